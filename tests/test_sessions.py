"""Sign-in sessions live on the server (eventhub/auth/sessions.py): a copied cookie stops
working when its session ends, whichever way it ends."""

import hashlib
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from eventhub.auth.models import UserSession
from eventhub.auth.sessions import describe_device
from eventhub.extensions import db
from tests.conftest import login

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NEW_PASSWORD = {"password": "brand new password", "confirm": "brand new password"}


def _browser(app, email="organiser@example.org", user_agent=FIREFOX_WINDOWS):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    assert login(client, email).status_code == 302
    return client


def _replay(app, cookie: str, user_agent=FIREFOX_WINDOWS):
    """A second browser that presents a copy of someone's session cookie (and, like a
    careful thief, the same User-Agent, which Flask-Login's strong protection compares)."""
    thief = app.test_client()
    thief.environ_base["HTTP_USER_AGENT"] = user_agent
    thief.set_cookie("session", cookie)
    return thief


def _sessions(app, user_id) -> list[UserSession]:
    with app.app_context():
        return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)))


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, organiser):
    client = _browser(app)
    cookie = client.get_cookie("session").value
    assert _replay(app, cookie).get("/account/password").status_code == 200
    assert client.post("/logout").status_code == 302
    replayed = _replay(app, cookie).get("/account/password")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/login")
    assert _sessions(app, organiser) == []


def test_the_database_keeps_only_a_hash_of_the_session_token(app, organiser):
    client = _browser(app)
    cookie = client.get_cookie("session").value
    user_id, _, token = (
        app.session_interface.get_signing_serializer(app).loads(cookie)["_user_id"].partition(".")
    )
    [row] = _sessions(app, organiser)
    assert int(user_id) == organiser and len(token) == 43
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, organiser):
    laptop, phone = _browser(app), _browser(app, user_agent=SAFARI_IPHONE)
    laptop_cookie = laptop.get_cookie("session").value
    response = laptop.post(
        "/account/password", data={"current_password": "correct horse battery", **NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert laptop.get("/account/").status_code == 200  # still signed in here
    assert phone.get("/account/").status_code == 302
    # The session id changed too: the laptop's cookie from before the change is dead.
    assert _replay(app, laptop_cookie).get("/account/").status_code == 302
    assert len(_sessions(app, organiser)) == 1


def test_a_reset_by_an_admin_ends_every_session_of_the_account(app, admin, organiser):
    laptop, phone = _browser(app), _browser(app, user_agent=SAFARI_IPHONE)
    boss = _browser(app, "admin@example.org")
    assert boss.post(f"/users/{organiser}/password", data=NEW_PASSWORD).status_code == 302
    assert laptop.get("/account/").status_code == 302
    assert phone.get("/account/").status_code == 302
    assert _sessions(app, organiser) == []
    assert boss.get("/users/").status_code == 200  # the admin's own session is untouched


def test_deactivation_ends_the_sessions_and_reactivation_does_not_revive_them(
    app, admin, organiser
):
    laptop = _browser(app)
    cookie = laptop.get_cookie("session").value
    boss = _browser(app, "admin@example.org")
    boss.post(f"/users/{organiser}/active", data={"active": "0"})
    assert _sessions(app, organiser) == []
    boss.post(f"/users/{organiser}/active", data={"active": "1"})
    assert _replay(app, cookie).get("/account/").status_code == 302


def test_the_account_page_lists_sessions_and_ends_another(app, organiser):
    laptop, phone = _browser(app), _browser(app, user_agent=SAFARI_IPHONE)
    laptop.post("/language", data={"lang": "en"})
    seen = (datetime.now(UTC) - timedelta(hours=1)).replace(minute=7, second=41, microsecond=0)
    with app.app_context():
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_agent == SAFARI_IPHONE)
            .values(last_seen_at=seen)
        )
        db.session.commit()
    page = laptop.get("/account/").get_data(as_text=True)
    assert "Firefox on Windows" in page and "Safari on iPhone" in page
    assert "this browser" in page
    # Last seen in Santiago's time (3 or 4 hours behind UTC), not in UTC.
    local = seen.astimezone(ZoneInfo("America/Santiago"))
    assert f"{local.hour % 12 or 12}:07:41" in page
    assert local.hour != seen.hour
    assert "America/Santiago" in page
    phone_row = next(row for row in _sessions(app, organiser) if row.user_agent == SAFARI_IPHONE)
    assert phone.get("/account/").status_code == 200

    response = laptop.post(f"/account/sessions/{phone_row.id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    assert phone.get("/account/").status_code == 302
    assert laptop.get("/account/").status_code == 200
    assert "Safari on iPhone" not in laptop.get("/account/").get_data(as_text=True)


def test_end_all_other_sessions(app, organiser):
    laptop = _browser(app)
    others = [_browser(app, user_agent=SAFARI_IPHONE) for _ in range(2)]
    laptop.post("/language", data={"lang": "en"})
    response = laptop.post("/account/sessions/end-others", follow_redirects=True)
    assert "2 other sessions were ended." in response.get_data(as_text=True)
    assert [other.get("/account/").status_code for other in others] == [302, 302]
    assert laptop.get("/account/").status_code == 200


def test_nobody_ends_another_accounts_session(app, admin, organiser):
    _browser(app)
    [row] = _sessions(app, organiser)
    boss = _browser(app, "admin@example.org")
    assert boss.post(f"/account/sessions/{row.id}/end").status_code == 404
    assert len(_sessions(app, organiser)) == 1
    assert boss.get(f"/account/sessions/{row.id}/end").status_code == 405  # only a POST


def test_ending_sessions_needs_the_csrf_token(make_app, organiser):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = CSRF_FIELD.search(client.get("/login").get_data(as_text=True))[1]
    data = {"email": "organiser@example.org", "password": "correct horse battery"}
    assert client.post("/login", data={**data, "csrf_token": token}).status_code == 302
    assert client.post("/account/sessions/end-others").status_code == 400
    page = client.get("/account/").get_data(as_text=True)
    assert CSRF_FIELD.search(page)  # the page's own buttons carry it


@pytest.mark.parametrize("hours, alive", [(12, False), (24, True)])
def test_sessions_end_after_the_idle_time(make_app, organiser, hours, alive):
    app = make_app(SESSION_IDLE_HOURS=hours)
    client = _browser(app)
    with app.app_context():
        db.session.execute(
            update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(hours=13))
        )
        db.session.commit()
    assert client.get("/account/").status_code == (200 if alive else 302)


def test_idle_time_comes_from_the_environment():
    from eventhub.config import settings_from_environment

    assert settings_from_environment({"EVENTHUB_SESSION_IDLE_HOURS": "8"}) == {
        "SESSION_IDLE_HOURS": 8
    }


def _writes_to_sessions(count_queries, app, client, path: str, times: int) -> int:
    with count_queries(app) as statements:
        for _ in range(times):
            assert client.get(path).status_code == 200
    return sum(s.lstrip().upper().startswith("UPDATE") and "user_session" in s for s in statements)


def test_last_seen_is_written_at_most_once_a_minute(app, organiser, count_queries):
    client = _browser(app)
    assert _writes_to_sessions(count_queries, app, client, "/events/", 5) == 0
    with app.app_context():
        two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
        db.session.execute(update(UserSession).values(last_seen_at=two_minutes_ago))
        db.session.commit()
    assert _writes_to_sessions(count_queries, app, client, "/events/", 5) == 1
    [row] = _sessions(app, organiser)
    assert row.last_seen_at > datetime.now(UTC) - timedelta(seconds=30)


def test_signing_in_clears_the_accounts_idle_sessions(app, organiser):
    _browser(app)
    with app.app_context():
        db.session.execute(
            update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(days=3))
        )
        db.session.commit()
    _browser(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 1


@pytest.mark.parametrize(
    "user_agent, device",
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/156.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        ("curl/8.5.0", "Unknown device"),
        ("", "Unknown device"),
    ],
)
def test_devices_are_named_in_plain_words(app, user_agent, device):
    with app.test_request_context(headers={"Cookie": "x=1"}):
        from flask import session

        session["lang"] = "en"
        assert describe_device(user_agent) == device


def test_a_failed_last_seen_write_does_not_fail_the_page(app, organiser, monkeypatch):
    from sqlalchemy.exc import OperationalError

    client = _browser(app)
    with app.app_context():
        db.session.execute(
            update(UserSession).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=5))
        )
        db.session.commit()

    def busy(row):
        raise OperationalError("UPDATE user_session", {}, Exception("database is locked"))

    monkeypatch.setattr("eventhub.auth.sessions.touch", busy)
    assert client.get("/account/").status_code == 200
