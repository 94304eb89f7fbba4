"""Links mailed to choose a password (eventhub/auth/links.py): a forgotten password's reset
and an admin's invitation of an organiser. Single use, expiring, hashed, rate-limited."""

import hashlib
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from eventhub.audit.models import AuditEntry
from eventhub.auth.models import AccountLink, User, UserSession
from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.mail.worker import deliver_due
from eventhub.orm import utcnow
from tests.conftest import login
from tests.factories import UserFactory

RESET_LINK = re.compile(r"http://eventhub\.test(/password/reset/[A-Za-z0-9_-]{43})")
INVITATION_LINK = re.compile(r"http://eventhub\.test(/welcome/[A-Za-z0-9_-]{43})")
NEW_PASSWORD = {"password": "brand new password", "confirm": "brand new password"}
SAME_ANSWER = "Si existe una cuenta para esta dirección"


def _forgot(client, email: str, address: str = "127.0.0.1"):
    return client.post(
        "/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": address}
    )


def _outbox(app, to: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.to_address == to)
                .order_by(OutboxMessage.id)
            )
        )


def _link(app, to: str, pattern=RESET_LINK) -> str:
    match = pattern.search(_outbox(app, to)[-1].text_body)
    assert match is not None
    return match.group(1)


def _delivered(app, smtp_sink) -> dict[str, object]:
    with app.app_context():
        deliver_due()
    return {
        envelope.rcpt_tos[0]: message_from_bytes(envelope.original_content, policy=policy.default)
        for envelope in smtp_sink.envelopes
    }


def _actions(app) -> list[tuple[str, str | None, str]]:
    with app.app_context():
        return [
            (entry.action, entry.user_email, entry.summary)
            for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


# --- forgotten password -------------------------------------------------------------------------


def test_the_sign_in_page_offers_the_forgotten_password_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert "¿Olvidó su contraseña?" in page and 'href="/password/forgot"' in page
    assert 'name="email"' in client.get("/password/forgot").get_data(as_text=True)


def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_gets_mail(
    app, client, organiser, count_queries
):
    with count_queries(app) as known_statements:
        known = _forgot(client, "organiser@example.org")
    with count_queries(app) as unknown_statements:
        unknown = _forgot(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    assert SAME_ANSWER in client.get("/login").get_data(as_text=True)
    assert len(_outbox(app, "organiser@example.org")) == 1
    assert _outbox(app, "nobody@example.org") == []
    # The same reads either way; a known account adds only its link and its mail.
    assert len(known_statements) - len(unknown_statements) == 2
    assert [s for s in known_statements if s.startswith("SELECT")] == [
        s for s in unknown_statements if s.startswith("SELECT")
    ]


def test_invited_and_deactivated_accounts_get_the_same_answer_and_no_mail(app, client):
    with app.app_context():
        UserFactory(email="gone@example.org", active=False)
        db.session.add(User(email="invited@example.org", name="Inv", password_hash=""))
        db.session.commit()
    for email in ("gone@example.org", "invited@example.org"):
        assert _forgot(client, email).headers["Location"] == "/login"
        assert _outbox(app, email) == []


@pytest.mark.parametrize(
    "language, subject, words",
    [
        ("es", "Elija una nueva contraseña de EventHub", "expira en 60 minutos"),
        ("en", "Choose a new EventHub password", "expires in 60 minutes"),
    ],
)
def test_the_reset_mail_on_the_wire(make_app, smtp_sink, language, subject, words):
    app = make_app(**smtp_sink.app_config())
    with app.app_context():
        UserFactory(email="ana@example.org", name="Ana Núñez")
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["lang"] = language
    _forgot(client, "ana@example.org")
    message = _delivered(app, smtp_sink)["ana@example.org"]
    assert message["Subject"] == subject
    assert message["To"] == "Ana Núñez <ana@example.org>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    path = RESET_LINK.search(text).group(1)
    assert words in text and f'href="http://eventhub.test{path}"' in html
    assert f'lang="{language}"' in html
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(AccountLink)).one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert stored.expires_at - stored.created_at == timedelta(hours=1)
        assert stored.purpose == "password-reset"
        # Only the hash is kept: the database opens no link.
        row = db.session.execute(select(AccountLink.__table__)).one()
        assert token not in " ".join(map(str, row))


def test_the_link_sets_the_password_once_and_ends_every_other_session(app, client, organiser):
    elsewhere = app.test_client()
    assert login(elsewhere, "organiser@example.org").status_code == 302
    _forgot(client, "organiser@example.org")
    path = _link(app, "organiser@example.org")
    page = client.get(path)
    assert page.status_code == 200 and "Elija una nueva contraseña" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(AccountLink)).one().used_at is None  # a GET wrote nothing
    response = client.post(path, data=NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/account/").status_code == 200  # this browser is signed in
    assert elsewhere.get("/account/").status_code == 302  # the other one is not
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 1
    assert login(app.test_client(), "organiser@example.org").status_code == 200  # old refused
    assert (
        login(app.test_client(), "organiser@example.org", NEW_PASSWORD["password"]).status_code
        == 302
    )
    again = app.test_client().post(path, data={"password": "x" * 12, "confirm": "x" * 12})
    assert again.status_code == 410
    assert "ya fue usado" in again.get_data(as_text=True)
    assert ("user.password_reset_link", "organiser@example.org", "organiser@example.org") in (
        _actions(app)
    )


def test_a_new_password_kills_the_other_reset_links(app, client, organiser):
    _forgot(client, "organiser@example.org")
    first = _link(app, "organiser@example.org")
    _forgot(client, "organiser@example.org")
    second = _link(app, "organiser@example.org")
    assert first != second
    assert app.test_client().post(second, data=NEW_PASSWORD).status_code == 302
    assert app.test_client().get(first).status_code == 410


def test_a_weak_password_is_a_form_message_and_the_link_still_works(app, client, organiser):
    _forgot(client, "organiser@example.org")
    path = _link(app, "organiser@example.org")
    response = client.post(path, data={"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("minutes, status", [(59, 200), (61, 410)])
def test_the_link_expires_after_one_hour(app, client, organiser, monkeypatch, minutes, status):
    _forgot(client, "organiser@example.org")
    path = _link(app, "organiser@example.org")
    later = utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr("eventhub.auth.links.utcnow", lambda: later)
    response = client.get(path)
    assert response.status_code == status
    if status == 410:
        assert "venció" in response.get_data(as_text=True)
        assert client.post(path, data=NEW_PASSWORD).status_code == 410


@pytest.mark.parametrize(
    "path", ["/password/reset/" + "A" * 43, "/password/reset/short", "/welcome/" + "A" * 43]
)
def test_unknown_links_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "no es válido" in response.get_data(as_text=True)


def test_a_reset_link_does_not_open_the_invitation_page(app, client, organiser):
    _forgot(client, "organiser@example.org")
    token = _link(app, "organiser@example.org").rsplit("/", 1)[1]
    assert client.get(f"/welcome/{token}").status_code == 404


def test_requests_are_limited_per_client_address(make_app, organiser):
    app = make_app(RATELIMIT_ENABLED=True, RESET_LINK_RATE_LIMIT="2 per hour")
    client = app.test_client()
    codes = [_forgot(client, f"someone{n}@example.org").status_code for n in range(3)]
    assert codes == [302, 302, 429]
    page = _forgot(client, "organiser@example.org").get_data(as_text=True)
    assert "Demasiadas solicitudes de una nueva contraseña" in page
    assert client.get("/password/forgot").status_code == 200  # reading the form is never limited


def test_requests_are_limited_per_account_from_any_address(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RESET_LINK_RATE_LIMIT="100 per hour",
        RESET_LINK_ACCOUNT_RATE_LIMIT="2 per hour",
    )
    with app.app_context():
        UserFactory(email="ana@example.org")
        db.session.commit()
    client = app.test_client()
    spellings = ["ana@example.org", "Ana@Example.org", " ANA@example.org "]
    codes = [_forgot(client, email, f"10.0.0.{n}").status_code for n, email in enumerate(spellings)]
    assert codes == [302, 302, 429]
    assert len(_outbox(app, "ana@example.org")) == 2
    assert _forgot(client, "otra@example.org", "10.0.0.9").status_code == 302
    # An unknown address is counted the same way: a 429 tells nothing about the account.
    unknown = [_forgot(client, "nadie@example.org", f"10.0.1.{n}").status_code for n in range(3)]
    assert unknown == [302, 302, 429]


# --- organiser invitations ------------------------------------------------------------------


def _invite(client, email="nueva@example.org", name="Nueva Organizadora", **extra):
    data = {"name": name, "email": email, "language": "es", **extra}
    return client.post("/users/invite", data=data)


def test_an_invitee_chooses_a_password_and_then_signs_in(app, admin_client):
    assert _invite(admin_client).status_code == 302
    assert login(app.test_client(), "nueva@example.org", "").status_code == 200
    assert login(app.test_client(), "nueva@example.org", "anything at all").status_code == 200
    users_page = admin_client.get("/users/").get_data(as_text=True)
    assert "Invitaciones sin respuesta" in users_page and "nueva@example.org" in users_page
    path = _link(app, "nueva@example.org", INVITATION_LINK)
    invitee = app.test_client()
    page = invitee.get(path).get_data(as_text=True)
    assert "Elija su contraseña" in page and "nueva@example.org" in page
    response = invitee.post(path, data=NEW_PASSWORD)
    assert response.status_code == 302
    assert invitee.get("/account/").status_code == 200
    invitee.post("/logout")
    assert login(invitee, "nueva@example.org", "brand new password").status_code == 302
    assert (
        "nueva@example.org"
        not in admin_client.get("/users/").get_data(as_text=True).split("invitations-heading")[1]
    )
    assert invitee.get(path).status_code == 410
    actions = _actions(app)
    assert ("user.invite", "admin@example.org", "nueva@example.org") in actions
    assert ("user.invitation_accept", "nueva@example.org", "nueva@example.org") in actions


@pytest.mark.parametrize(
    "language, subject, words",
    [
        ("es", "Le invitamos a organizar eventos en EventHub", "expira en 7 días"),
        ("en", "You are invited to organise events on EventHub", "expires in 7 days"),
    ],
)
def test_the_invitation_mail_on_the_wire(make_app, smtp_sink, admin, language, subject, words):
    app = make_app(**smtp_sink.app_config())
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    _invite(client, "felix@example.org", "Félix Martínez", language=language)
    message = _delivered(app, smtp_sink)["felix@example.org"]
    assert message["Subject"] == subject
    assert message["To"] == "Félix Martínez <felix@example.org>"
    text = message.get_body(("plain",)).get_content()
    assert words in text and "Admin" in text and INVITATION_LINK.search(text)
    assert f'lang="{language}"' in message.get_body(("html",)).get_content()
    with app.app_context():
        link = db.session.scalars(select(AccountLink)).one()
        assert link.expires_at - link.created_at == timedelta(days=7)


def test_a_withdrawn_invitation_link_says_so(app, admin_client):
    _invite(admin_client)
    path = _link(app, "nueva@example.org", INVITATION_LINK)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "nueva@example.org"))
    assert admin_client.post(f"/users/{user_id}/invitation/revoke").status_code == 302
    response = app.test_client().get(path)
    assert response.status_code == 410
    assert "La invitación fue retirada" in response.get_data(as_text=True)
    assert app.test_client().post(path, data=NEW_PASSWORD).status_code == 410
    assert "Retirada" in admin_client.get("/users/").get_data(as_text=True)
    # Invited again: a new link works, the old one still does not.
    assert admin_client.post(f"/users/{user_id}/invitation/resend").status_code == 302
    fresh = _link(app, "nueva@example.org", INVITATION_LINK)
    assert fresh != path and app.test_client().get(path).status_code == 410
    assert app.test_client().post(fresh, data=NEW_PASSWORD).status_code == 302
    actions = [action for action, _who, _what in _actions(app)]
    assert actions[-3:] == [
        "user.invitation_revoke",
        "user.invitation_resend",
        "user.invitation_accept",
    ]


def test_resending_an_invitation_kills_the_previous_link(app, admin_client):
    _invite(admin_client)
    first = _link(app, "nueva@example.org", INVITATION_LINK)
    assert _invite(admin_client).status_code == 302  # the same address again: a new link
    second = _link(app, "nueva@example.org", INVITATION_LINK)
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 2  # admin and invitee


def test_an_existing_account_cannot_be_invited(app, admin_client, organiser):
    response = _invite(admin_client, "Organiser@Example.org")
    assert response.status_code == 200
    assert "Ya existe una cuenta con este correo." in response.get_data(as_text=True)
    assert _outbox(app, "organiser@example.org") == []


def test_an_expired_invitation_is_shown_and_refused(app, admin_client, monkeypatch):
    _invite(admin_client)
    path = _link(app, "nueva@example.org", INVITATION_LINK)
    later = utcnow() + timedelta(days=7, minutes=1)
    monkeypatch.setattr("eventhub.auth.links.utcnow", lambda: later)
    response = app.test_client().get(path)
    assert response.status_code == 410 and "venció" in response.get_data(as_text=True)


def test_resend_and_revoke_answer_404_for_accounts_with_a_password(admin_client, organiser):
    assert admin_client.post(f"/users/{organiser}/invitation/resend").status_code == 404
    assert admin_client.post(f"/users/{organiser}/invitation/revoke").status_code == 404


def test_the_admin_reset_still_works_for_an_invitee_and_ends_the_link(app, admin_client):
    _invite(admin_client)
    path = _link(app, "nueva@example.org", INVITATION_LINK)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "nueva@example.org"))
    assert admin_client.post(f"/users/{user_id}/password", data=NEW_PASSWORD).status_code == 302
    assert app.test_client().get(path).status_code == 410
    assert login(app.test_client(), "nueva@example.org", "brand new password").status_code == 302


def test_invitation_pages_are_for_admins(organiser_client):
    assert organiser_client.get("/users/invite").status_code == 403
    assert _invite(organiser_client).status_code == 403


def test_the_invitation_form_refuses_bad_input_and_writes_nothing(app, admin_client):
    response = _invite(admin_client, "not-an-address", "")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1
        assert db.session.scalar(select(func.count(AccountLink.id))) == 0
