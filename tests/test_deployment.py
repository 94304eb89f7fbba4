"""Deployment settings: trusting a reverse proxy's headers, rate limits shared through Redis."""

import json
import re
import socket
import subprocess
import sys
import uuid

import pytest
from flask import request, url_for

from eventhub import ROOT, create_app
from eventhub.config import settings_from_environment
from eventhub.extensions import db
from tests.conftest import base_config

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def add_probe(app):
    @app.get("/_probe")
    def probe():
        return f"{request.remote_addr} {request.scheme} {url_for('healthz', _external=True)}"

    return app


def test_forwarded_headers_are_ignored_by_default(tmp_path):
    app = add_probe(create_app(base_config(f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path)))
    response = app.test_client().get("/_probe", headers=FORWARDED)
    # A client cannot pick its own address (and so dodge the login throttle) or fake https.
    assert response.get_data(as_text=True) == "127.0.0.1 http http://localhost/healthz"
    assert "Strict-Transport-Security" not in response.headers


def test_behind_a_proxy_the_client_address_and_https_come_from_its_headers(tmp_path):
    config = base_config(f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path)
    app = add_probe(create_app({**config, "PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1}))
    response = app.test_client().get(
        "/_probe", headers={**FORWARDED, "X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
    )
    # One proxy: only the address it appended is trusted, not what the client sent before.
    assert response.get_data(as_text=True) == "203.0.113.9 https https://localhost/healthz"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_proxy_settings_from_the_environment():
    found = settings_from_environment(
        {"EVENTHUB_PROXY_FIX_X_FOR": "1", "EVENTHUB_PROXY_FIX_X_PROTO": "1"}
    )
    assert found == {"PROXY_FIX_X_FOR": 1, "PROXY_FIX_X_PROTO": 1}


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


# Posts one failed sign-in from a fresh process and prints the status code.
OTHER_PROCESS = """
import sys
from eventhub import create_app
app = create_app(__import__("json").loads(sys.argv[1]))
data = {"email": "nadie@example.org", "password": "wrong password"}
print(app.test_client().post("/login", data=data).status_code)
"""


def throttle_config(tmp_path, storage: str) -> dict:
    config = {
        **base_config(f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": f"eventhub-test-{uuid.uuid4().hex}",
        "LOGIN_RATE_LIMIT": "3 per minute",
    }
    app = create_app(config)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return config


def use_up_the_limit_then_ask_another_process(config) -> int:
    client = create_app(config).test_client()
    data = {"email": "nadie@example.org", "password": "wrong password"}
    assert [client.post("/login", data=data).status_code for _ in range(3)] == [200] * 3
    assert client.post("/login", data=data).status_code == 429
    result = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, json.dumps(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1])


@pytest.mark.skipif(not redis_reachable(), reason="Redis is not running on 127.0.0.1:6379")
def test_login_throttle_is_shared_by_processes_through_redis(tmp_path):
    config = throttle_config(tmp_path, "redis://127.0.0.1:6379/0")
    assert use_up_the_limit_then_ask_another_process(config) == 429


def test_in_memory_limits_are_per_process(tmp_path):
    """Why several gunicorn processes need Redis: each would allow the limit on its own."""
    config = throttle_config(tmp_path, "memory://")
    assert use_up_the_limit_then_ask_another_process(config) == 200


def test_the_readme_names_every_setting_scripts_run_reads():
    run = (ROOT / "scripts" / "run").read_text()
    settings = set(re.findall(r"\$\{([A-Z_]+):-", run))
    assert {"HOST", "PORT"} <= settings
    readme = (ROOT / "README.md").read_text()
    assert [name for name in sorted(settings) if f"`{name}`" not in readme] == []
