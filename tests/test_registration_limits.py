"""Public registration is throttled per client address and per event (Flask-Limiter)."""

import secrets

import pytest
from sqlalchemy import func, select

from eventhub.extensions import db
from eventhub.registrations.models import Registration
from tests.factories import EventFactory
from tests.test_deployment import redis_reachable

FROM_YOU_ES = "Demasiadas inscripciones desde su conexión. Inténtelo de nuevo más tarde."
REDIS = "redis://127.0.0.1:6379/0"
FROM_YOU_EN = "Too many registrations from your connection. Please try again later."


def throttled(make_app, **limits):
    return make_app(RATELIMIT_ENABLED=True, **limits)  # memory://: fresh counters per app


def open_events(app, count: int = 1) -> list[int]:
    with app.app_context():
        events = [EventFactory(published=True, registration_mode="open") for _ in range(count)]
        db.session.commit()
        return [event.id for event in events]


def register(client, event_id: int, n: int, address: str = "10.0.0.1"):
    data = {"name": f"Persona {n}", "email": f"persona{n}@example.org", "organisation_id": ""}
    return client.post(
        f"/events/{event_id}/register", data=data, environ_base={"REMOTE_ADDR": address}
    )


def registrations(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Registration.id)))


def test_one_address_cannot_fill_an_event(make_app):
    app = throttled(make_app, REGISTRATION_RATE_LIMIT="3 per hour")
    (event_id,) = open_events(app)
    client = app.test_client()
    codes = [register(client, event_id, n).status_code for n in range(3)]
    refused = register(client, event_id, 3)
    assert codes == [302, 302, 302]
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert FROM_YOU_ES in page and "<html" in page
    assert int(refused.headers["Retry-After"]) > 0
    with client.session_transaction() as session:
        session["lang"] = "en"
    assert FROM_YOU_EN in register(client, event_id, 4).get_data(as_text=True)
    assert register(client, event_id, 5, address="10.0.0.2").status_code == 302
    assert client.get(f"/events/{event_id}").status_code == 200  # reading is never throttled
    assert registrations(app) == 4


def test_many_addresses_cannot_fill_one_event(make_app):
    app = throttled(make_app, REGISTRATION_EVENT_RATE_LIMIT="3 per hour")
    first, second = open_events(app, 2)
    client = app.test_client()
    codes = [register(client, first, n, address=f"10.0.1.{n}").status_code for n in range(4)]
    assert codes == [302, 302, 302, 429]
    assert "demasiadas inscripciones en este momento" in (
        register(client, first, 9, address="10.0.2.1").get_data(as_text=True)
    )
    assert register(client, second, 4, address="10.0.1.9").status_code == 302
    assert registrations(app) == 4


@pytest.mark.skipif(not redis_reachable(), reason="Redis is not running on 127.0.0.1:6379")
def test_the_limit_is_shared_through_redis(make_app):
    """A second app (another gunicorn process) counts the same registrations."""
    limits = {"REGISTRATION_RATE_LIMIT": "2 per hour", "RATELIMIT_STORAGE_URI": REDIS}
    # Counters outlive the test in Redis, and the shared limiter keeps the key prefix of the
    # first app it served: a client address of its own keeps each run apart.
    address = ".".join(str(b) for b in (10, *secrets.token_bytes(3)))
    app = make_app(RATELIMIT_ENABLED=True, **limits)
    (event_id,) = open_events(app)
    client = app.test_client()
    codes = [register(client, event_id, n, address).status_code for n in range(2)]
    assert codes == [302, 302]
    other = make_app(RATELIMIT_ENABLED=True, **limits).test_client()
    assert register(other, event_id, 2, address).status_code == 429
    # The same in memory: each process would count on its own.
    memory = make_app(RATELIMIT_ENABLED=True, **{**limits, "RATELIMIT_STORAGE_URI": "memory://"})
    assert register(memory.test_client(), event_id, 3, address).status_code == 302
