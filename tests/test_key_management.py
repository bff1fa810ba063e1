"""``/keys`` and ``/keys/{hash}``: a management key lists, creates, reads, changes and deletes its account's API
keys; a created key infers at once and its spend shows; a disabled or deleted one gets 401 ``User not found.``.
(tests/test_shared.py runs these again over the shared Redis store.)"""

from __future__ import annotations

import hashlib

from tests.conftest import AUTH, KEY, chat

MANAGER = "sk-or-v1-" + "fedcba9876543210" * 4
MGMT = {"Authorization": f"Bearer {MANAGER}"}


def _manager(client) -> None:
    """MANAGER becomes a management key of KEY's account (KEY is a key of its own: the admin names the account)."""
    r = client.put("/__mockrouter/keys", json={"key": MANAGER, "management": True})
    assert r.status_code == 200 and r.json()["management"] is True


def _create(client, **body):
    body.setdefault("name", "ci")
    r = client.post("/api/v1/keys", json=body, headers=MGMT)
    assert r.status_code == 201, r.text
    return r.json()


def test_other_keys_get_403_with_openrouters_wording(client):
    for method, path in [("GET", "/api/v1/keys"), ("POST", "/api/v1/keys"), ("GET", "/api/v1/keys/" + "0" * 64),
                         ("PATCH", "/api/v1/keys/" + "0" * 64), ("DELETE", "/api/v1/keys/" + "0" * 64)]:  # fmt: skip
        r = client.request(method, path, headers=AUTH, json={"name": "x"} if method != "GET" else None)
        assert r.status_code == 403, (method, path)
        assert r.json()["error"]["message"] == "Only management keys can perform this operation"
    assert client.get("/api/v1/keys").status_code == 401


def test_create_shows_the_secret_once_and_the_key_infers_at_once(client):
    _manager(client)
    created = _create(client, name="ci", limit=5, limit_reset="monthly", include_byok_in_limit=True)
    secret, data = created["key"], created["data"]
    assert secret.startswith("sk-or-v1-") and len(secret) == 73
    assert data["hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert (data["name"], data["limit"], data["limit_reset"], data["include_byok_in_limit"]) == ("ci", 5, "monthly", True)
    assert data["usage"] == 0 and data["limit_remaining"] == 5 and data["disabled"] is False
    assert secret[-3:] in data["label"] and secret not in str(data)

    r = chat(client, headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200, r.text
    cost = r.json()["usage"]["cost"]
    got = client.get(f"/api/v1/keys/{data['hash']}", headers=MGMT).json()["data"]
    assert "key" not in got and got["usage"] == cost > 0 and got["usage_daily"] == cost
    assert got["limit_remaining"] == round(5 - cost, 12)
    listed = client.get("/api/v1/keys", headers=MGMT).json()["data"]
    assert [k["hash"] for k in listed] == [data["hash"]]  # the management key itself is not listed
    journal = str(client.get("/__mockrouter/requests").json())
    assert secret not in journal and MANAGER not in journal and KEY not in journal


def test_secrets_are_deterministic_and_never_reused(client):
    _manager(client)
    first, second = _create(client, name="same"), _create(client, name="same")
    assert first["key"] != second["key"]
    client.post("/__mockrouter/reset")
    _manager(client)
    assert _create(client, name="same")["key"] == first["key"]  # the same seed: the same secrets


def test_patch_disable_then_delete(client):
    _manager(client)
    created = _create(client)
    secret, h = created["key"], created["data"]["hash"]
    bearer = {"Authorization": f"Bearer {secret}"}
    r = client.patch(f"/api/v1/keys/{h}", json={"name": "renamed", "limit": 1, "disabled": True}, headers=MGMT)
    assert r.status_code == 200
    data = r.json()["data"]
    assert (data["name"], data["limit"], data["disabled"]) == ("renamed", 1, True) and data["updated_at"]
    r = chat(client, headers=bearer)
    assert r.status_code == 401 and r.json()["error"]["message"] == "User not found."
    assert client.get("/api/v1/keys", headers=MGMT).json()["data"] == []
    assert len(client.get("/api/v1/keys?include_disabled=true", headers=MGMT).json()["data"]) == 1
    assert client.patch(f"/api/v1/keys/{h}", json={"disabled": False}, headers=MGMT).status_code == 200
    assert chat(client, headers=bearer).status_code == 200

    r = client.delete(f"/api/v1/keys/{h}", headers=MGMT)
    assert r.status_code == 200 and r.json() == {"deleted": True}
    r = client.get("/api/v1/key", headers=bearer)
    assert r.status_code == 401 and r.json()["error"]["message"] == "User not found."
    assert client.get(f"/api/v1/keys/{h}", headers=MGMT).status_code == 404
    assert client.delete(f"/api/v1/keys/{h}", headers=MGMT).status_code == 404
    assert client.get("/api/v1/keys?include_disabled=true", headers=MGMT).json()["data"] == []


def test_bad_input_is_a_400_not_a_500(client):
    _manager(client)
    assert client.post("/api/v1/keys", json={}, headers=MGMT).status_code == 400
    assert client.post("/api/v1/keys", json={"name": "x", "limit": -1}, headers=MGMT).status_code == 400
    assert client.post("/api/v1/keys", json={"name": "x", "limit_reset": "yearly"}, headers=MGMT).status_code == 400
    assert client.get("/api/v1/keys/not-a-hash", headers=MGMT).status_code == 404  # no such path
    h = _create(client)["data"]["hash"]
    assert client.patch(f"/api/v1/keys/{h}", json={"disabled": "yes"}, headers=MGMT).status_code == 400


def test_another_accounts_key_is_not_found(client):
    _manager(client)
    h = _create(client)["data"]["hash"]
    other = "sk-or-v1-" + "1111222233334444" * 4
    client.put("/__mockrouter/keys", json={"key": other, "management": True})
    r = client.get(f"/api/v1/keys/{h}", headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 404
    assert client.get("/api/v1/keys", headers={"Authorization": f"Bearer {other}"}).json()["data"] == []
