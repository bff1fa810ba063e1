"""``pip install .`` (a wheel, not editable) ships the schemas and the default fixtures, and
``mockrouter serve`` works from any directory after it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent

# pip fetches the build backend (hatchling) from the package index; the installed wheel serves on a port
pytestmark = pytest.mark.socket


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)], check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    (built,) = out.glob("mockrouter-*.whl")
    return built


def test_wheel_contains_schemas_and_fixtures(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in (ROOT / "schemas").glob("*.json"):
        assert f"mockrouter/_data/schemas/{schema.name}" in names
    assert "mockrouter/_data/fixtures/default.yaml" in names
    assert "mockrouter/_data/fixtures/scenarios/byok-missing.yaml" in names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_wheel_serves_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the wheel's copy of the package comes first; dependencies come from this environment
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.Popen([sys.executable, "-m", "mockrouter", "serve", "--port", str(port), "--time-scale", "0",
                             "--scenario", "byok-missing"], cwd=elsewhere, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/models", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    proc.stdout.read().decode() if proc.stdout else ""
                )
                time.sleep(0.1)
        assert r.status_code == 200 and any(m["id"] == "openai/gpt-5" for m in r.json()["data"])
        where = subprocess.run([sys.executable, "-c", "import mockrouter.resources as r; print(r.data_dir('schemas'))"],
                               cwd=elsewhere, env=env, capture_output=True, text=True, check=True)  # fmt: skip
        assert where.stdout.strip() == str(target / "mockrouter" / "_data" / "schemas")
        chat = httpx.post(f"http://127.0.0.1:{port}/api/v1/chat/completions", headers={"Authorization": "Bearer sk-or-v1-x"},
                          json={"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
        assert chat.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
