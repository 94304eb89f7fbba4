"""Real headless Chromium (Debian's) driven by Playwright against a live server."""

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from eventhub import create_app
from eventhub.extensions import db
from tests.conftest import base_config, sqlite_with_tables
from tests.factories import UserFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def make_live_app(tmp_path, **overrides):
    config = base_config(sqlite_with_tables(tmp_path / "browser.sqlite"), tmp_path)
    config["WTF_CSRF_ENABLED"] = True  # the browser goes through the real forms
    app = create_app({**config, **overrides})
    with app.app_context():
        db.create_all()
        UserFactory(email="organiser@example.org", name="Ana Organiser")
        db.session.commit()
    return app


@pytest.fixture
def live_app(tmp_path):
    app = make_live_app(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    # Checks for shutdown() every 50 ms, not every 0.5 s (a wait at the end of each test).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def signed_in_page(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("Correo electrónico").fill("organiser@example.org")
    page.get_by_label("Contraseña").fill("correct horse battery")
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{live_server}/")  # sign-in lands on the home
    return page
