"""The ``mockrouter`` command. Every option is also an environment variable ``MOCKROUTER_<OPTION>``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from mockrouter import server
from mockrouter.errors import FixtureError
from mockrouter.settings import PROFILES, Settings

__all__ = ["main"]


def _settings(**options: Any) -> Settings:
    values = {k: v for k, v in options.items() if v is not None}
    for name in ("fixtures", "scenarios"):
        if name in values:
            values[name] = tuple(values[name])
    return Settings(**values)


@click.group(context_settings={"auto_envvar_prefix": "MOCKROUTER", "help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mockrouter")
def main() -> None:
    """mockrouter: an offline, contract-faithful stand-in for the OpenRouter API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--fixtures", "-f", multiple=True, type=click.Path(exists=True, dir_okay=False), help="extra fixture file"
)
@click.option("--scenario", "scenarios", multiple=True, help="shipped scenario name or file (repeatable)")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--time-scale", default=1.0, show_default=True, type=float, help="0 = no delays, 1 = real time")
@click.option("--profile", default="current", show_default=True, type=click.Choice(PROFILES))
@click.option("--strict-keys/--any-key", default=False, show_default=True, help="unknown keys get 401")
@click.option("--clock", default=None, type=int, help="pin `created` and ids to this unix time")
@click.option("--journal-size", default=1000, show_default=True, type=int)
@click.option("--admin-token", default=None, help="require this token on /__mockrouter/")
@click.option(
    "--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"])
)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(**options: Any) -> None:
    """Serve the mock (default world plus any scenarios and fixture files)."""
    try:
        settings = _settings(**options)
        click.echo(f"mockrouter on http://{settings.host}:{settings.port}/api/v1  {settings!r}", err=True)
        server.run(settings)
    except (FixtureError, FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command("check-fixtures")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--scenario", "scenarios", multiple=True)
@click.option("--no-default", is_flag=True, help="do not merge over the shipped default world")
def check_fixtures(files: tuple[str, ...], scenarios: tuple[str, ...], no_default: bool) -> None:
    """Validate fixture files; print each error with its file and JSON pointer."""
    from mockrouter.fixtures import load_for, read

    failed = 0
    for path in files:
        try:
            read(path)
            click.echo(f"ok    {path}")
        except FixtureError as exc:
            failed += 1
            click.echo(f"error {exc}")
    if not failed:
        try:
            world = load_for(Settings(fixtures=files, scenarios=scenarios, no_default=no_default))
            click.echo(f"world: {len(world.models)} models, {len(world.providers)} providers, {len(world.stubs)} stubs")
        except (FixtureError, FileNotFoundError) as exc:
            failed += 1
            click.echo(f"error {exc}")
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--indent", default=2, type=int)
def openapi(indent: int) -> None:
    """Print the OpenAPI document the mock serves at /api/v1/openapi.json."""
    from mockrouter.contract import openapi as build

    click.echo(json.dumps(build(), indent=indent))


@main.command()
@click.option("--upstream", required=True, help="base URL of the real API, e.g. https://openrouter.ai/api/v1")
@click.option("--out", default="recordings.yaml", show_default=True, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def record(upstream: str, out: str, host: str, port: int) -> None:
    """Proxy to UPSTREAM with the caller's key and record every exchange into a fixture file."""
    import uvicorn

    from mockrouter.recording import Recorder

    click.echo(f"recording {upstream} -> {out}; point clients at http://{host}:{port}/api/v1", err=True)
    uvicorn.run(Recorder(upstream, out), host=host, port=port, log_level="info")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--time-scale", default=1.0, show_default=True, type=float)
def replay(files: tuple[str, ...], host: str, port: int, time_scale: float) -> None:
    """Serve recorded exchanges back offline, at the recorded pace scaled by --time-scale."""
    try:
        server.run(Settings(host=host, port=port, fixtures=files, time_scale=time_scale))
    except FixtureError as exc:
        raise click.ClickException(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
