from unittest import mock

from sqlalchemy import func, select
from werkzeug import security

from eventhub import create_app
from eventhub.auth import services
from eventhub.auth.models import User
from eventhub.config import Defaults
from eventhub.extensions import db
from tests.conftest import TEST_PASSWORD_HASH_METHOD, base_config, login
from tests.factories import UserFactory


def test_login_page_is_spanish_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Iniciar sesión" in page


def test_language_switch_is_a_post(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_language_switch_refuses_offsite_redirect(client):
    response = client.post("/language", data={"lang": "en", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_sign_in_and_out(client, organiser):
    response = login(client, "organiser@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Ana Organiser" in client.get("/events/").get_data(as_text=True)
    client.post("/logout")
    assert client.get("/organisations/").status_code == 302


def test_wrong_password_and_unknown_account_get_the_same_message(client, organiser):
    wrong = login(client, "organiser@example.org", "not the password").get_data(as_text=True)
    unknown = login(client, "nobody@example.org", "not the password").get_data(as_text=True)
    assert "Correo o contraseña incorrectos." in wrong
    assert "Correo o contraseña incorrectos." in unknown


def test_deactivated_account_cannot_sign_in(app, client):
    with app.app_context():
        UserFactory(email="gone@example.org", active=False)
        db.session.commit()
    assert login(client, "gone@example.org").status_code == 200


def test_login_next_only_follows_local_paths(client, organiser):
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": "organiser@example.org", "password": "correct horse battery"},
    )
    assert response.headers["Location"] == "/"


def test_management_pages_need_sign_in(client):
    for path in ("/events/new", "/organisations/", "/speakers/", "/programmes/", "/users/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


def test_organiser_cannot_manage_accounts(organiser_client):
    assert organiser_client.get("/users/").status_code == 403


def test_admin_creates_account(app, admin_client):
    response = admin_client.post(
        "/users/new",
        data={
            "name": "Félix Martínez",
            "email": "Felix@Example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "felix@example.org"))
        assert user is not None and not user.is_admin
        assert user.password_hash.startswith("scrypt:")


def test_admin_create_account_bad_input(app, admin_client):
    response = admin_client.post(
        "/users/new",
        data={"name": "", "email": "not-an-email", "password": "short", "confirm": "other"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Correo electrónico inválido" in page or "inválid" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_admin_cannot_create_duplicate_email(app, admin_client, organiser):
    response = admin_client.post(
        "/users/new",
        data={
            "name": "Another",
            "email": "ORGANISER@example.org",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert response.status_code == 200
    assert "Ya existe una cuenta con este correo." in response.get_data(as_text=True)


def test_deactivation_signs_the_user_out(app, client, admin, organiser):
    other = app.test_client()
    login(other, "organiser@example.org")
    assert other.get("/organisations/").status_code == 200
    login(client, "admin@example.org")
    assert client.post(f"/users/{organiser}/active", data={"active": "0"}).status_code == 302
    assert other.get("/organisations/").status_code == 302
    assert login(other, "organiser@example.org").status_code == 200  # refused
    client.post(f"/users/{organiser}/active", data={"active": "1"})
    assert login(other, "organiser@example.org").status_code == 302


def test_admin_cannot_deactivate_themselves(app, admin_client, admin):
    admin_client.post(f"/users/{admin}/active", data={"active": "0"})
    with app.app_context():
        assert db.session.get(User, admin).active


def test_password_reset_by_admin(app, client, admin, organiser):
    login(client, "admin@example.org")
    response = client.post(
        f"/users/{organiser}/password",
        data={"password": "brand new password", "confirm": "brand new password"},
    )
    assert response.status_code == 302
    other = app.test_client()
    assert login(other, "organiser@example.org").status_code == 200
    assert login(other, "organiser@example.org", "brand new password").status_code == 302


def test_a_password_the_service_refuses_is_a_form_message(
    app, client, admin, organiser, monkeypatch
):
    # The form and the service share the minimum; should they ever differ, the service's
    # refusal must still reach the person as a message, with nothing saved.
    monkeypatch.setattr("eventhub.auth.services.MIN_PASSWORD_LENGTH", 30)
    login(client, "admin@example.org")
    client.post("/language", data={"lang": "en"})
    new = {"password": "brand new password", "confirm": "brand new password"}
    response = client.post(f"/users/{organiser}/password", data=new)
    assert response.status_code == 200
    assert "The password needs at least 30 characters." in response.get_data(as_text=True)
    own = client.post(
        "/account/password", data={"current_password": "correct horse battery", **new}
    )
    assert own.status_code == 200
    assert "The password needs at least 30 characters." in own.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, organiser).check_password("correct horse battery")
        assert db.session.get(User, admin).check_password("correct horse battery")


def test_unknown_user_is_404(admin_client):
    assert admin_client.get("/users/999/password").status_code == 404
    assert admin_client.post("/users/999/active", data={"active": "0"}).status_code == 404


def test_change_own_password(organiser_client):
    response = organiser_client.post(
        "/account/password",
        data={"current_password": "wrong", "password": "x" * 12, "confirm": "x" * 12},
    )
    assert "La contraseña actual es incorrecta." in response.get_data(as_text=True)
    response = organiser_client.post(
        "/account/password",
        data={
            "current_password": "correct horse battery",
            "password": "x" * 12,
            "confirm": "x" * 12,
        },
    )
    assert response.status_code == 302
    assert organiser_client.get("/organisations/").status_code == 200


def test_cli_creates_first_admin(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "boss@example.org",
            "--password",
            "a long enough password",
            "--name",
            "Boss",
            "--admin",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "boss@example.org")).is_admin
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "boss@example.org",
            "--password",
            "a long enough password",
            "--name",
            "Boss",
        ]
    )
    assert again.exit_code != 0
    weak = runner.invoke(
        args=["users", "create", "--email", "w@example.org", "--password", "short", "--name", "W"]
    )
    assert weak.exit_code != 0


def test_csrf_missing_is_400_with_message(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert "token" in response.get_data(as_text=True).lower()


def test_healthz_and_headers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_login_is_throttled(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post("/login", data={"email": "x@example.org", "password": "nope"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert client.get("/login").status_code == 200  # reading the form is never throttled


def test_login_is_throttled_per_account_from_any_address(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="3 per minute",
    )
    client = app.test_client()

    def attempt(email: str, address: str) -> int:
        data = {"email": email, "password": "nope"}
        return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code

    codes = [attempt("Ana@Example.org", f"10.0.0.{n}") for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert attempt("ana@example.org ", "10.0.0.9") == 429  # the same account, however typed
    assert attempt("otra@example.org", "10.0.0.9") == 200  # other accounts are not locked


def test_oversized_request_is_413(client):
    response = client.post("/login", data={"email": "a" * (6 * 1024 * 1024), "password": "x"})
    assert response.status_code == 413


def test_session_is_fresh_at_sign_in(client, organiser):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["lang"] = "en"
    login(client, "organiser@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["lang"] == "en"  # the visitor's language choice survives


def test_https_deployments_get_secure_cookies_and_hsts(make_app):
    app = make_app(EVENTHUB_BASE_URL="https://eventhub.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz", base_url="https://eventhub.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = make_app(EVENTHUB_BASE_URL="http://127.0.0.1:5000")
    assert plain.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in plain.test_client().get("/healthz").headers


def test_passwords_are_hashed_with_full_scrypt_outside_the_tests(tmp_path):
    """The tests hash cheaply (tests/conftest.py); an app configured as in production hashes
    with scrypt at werkzeug's cost, for real accounts and for the check an unknown address
    pays, so both cost the same."""
    assert Defaults.PASSWORD_HASH_METHOD == "scrypt"
    config = base_config(f"sqlite:///{tmp_path / 'hash.sqlite'}", tmp_path)
    del config["PASSWORD_HASH_METHOD"]
    app = create_app(config)
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with app.app_context():
        db.create_all()
        user = services.create_user("real@example.org", "Real", "a long enough password")
        db.session.commit()
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        assert services.authenticate("real@example.org", "a long enough password") == user
        with mock.patch.object(
            services, "check_password_hash", wraps=security.check_password_hash
        ) as check:
            assert services.authenticate("nobody@example.org", "a long enough password") is None
        assert check.call_args.args[0].startswith("scrypt:32768:8:1$")
        db.session.remove()
        db.engine.dispose()


def test_the_tests_hash_cheaply_with_the_same_algorithm(app, organiser):
    with app.app_context():
        assert db.session.get(User, organiser).password_hash.startswith(
            TEST_PASSWORD_HASH_METHOD + "$"
        )
        with mock.patch.object(
            services, "check_password_hash", wraps=security.check_password_hash
        ) as check:
            assert services.authenticate("nobody@example.org", "whatever it is") is None
        assert check.call_args.args[0].startswith(TEST_PASSWORD_HASH_METHOD + "$")
