"""Capacity holds when many people register at once, on SQLite (WAL) and PostgreSQL."""

import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update
from werkzeug.serving import make_server

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.registrations import services
from eventhub.registrations.models import Registration
from tests.factories import EventFactory

WORKERS = 20

# Twenty threads racing need the machine's cores: never beside another timed test (-n 2).
pytestmark = pytest.mark.xdist_group("timed")


def open_event(app, capacity: int, **fields) -> int:
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            mode = db.session.execute(text("PRAGMA journal_mode")).scalar()
            assert mode == "wal"
            assert db.engine.url.database not in (None, "", ":memory:")  # a file
        event = EventFactory(published=True, registration_mode="open", capacity=capacity, **fields)
        db.session.commit()
        return event.id


def tally(app, event_id: int) -> tuple[dict[str, int], int]:
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Registration.status, func.count())
                .where(Registration.event_id == event_id)
                .group_by(Registration.status)
            ).all()
        )
        messages = db.session.scalar(select(func.count(OutboxMessage.id)))
        return statuses, messages


def test_concurrent_registrations_never_exceed_the_capacity(app):
    event_id = open_event(app, capacity=50)
    errors: list[str] = []

    def attempt(i: int) -> None:
        # A request context, not only an app context: the emails' links are built with
        # url_for, which needs one (SERVER_NAME is not configured).
        with app.test_request_context():
            try:
                event = db.session.get(Event, event_id)
                services.register(
                    event,
                    services.RegistrantData(name=f"Persona {i}", email=f"persona{i}@example.org"),
                )
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                errors.append(f"{i}: {error!r}")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(attempt, range(200)))

    assert errors == []
    statuses, messages = tally(app, event_id)
    assert statuses == {"confirmed": 50, "waiting": 150}
    assert messages == 200
    with app.app_context():
        topics = dict(
            db.session.execute(
                select(OutboxMessage.topic, func.count()).group_by(OutboxMessage.topic)
            ).all()
        )
        assert topics == {"registration-confirmed": 50, "registration-waiting": 150}
        emails = db.session.scalars(select(Registration.email)).all()
        assert len(set(emails)) == 200


def test_the_same_person_submitting_many_times_at_once_gets_one_place(app):
    event_id = open_event(app, capacity=5)
    errors: list[str] = []

    def attempt(i: int) -> None:
        with app.test_request_context():
            try:
                services.register(
                    db.session.get(Event, event_id),
                    services.RegistrantData(
                        name="Ana", email=("ana@example.org", "ANA@example.org")[i % 2]
                    ),
                )
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                errors.append(f"{i}: {error!r}")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(attempt, range(WORKERS)))

    assert errors == []
    assert tally(app, event_id) == ({"confirmed": 1}, 1)


def run_at_once(jobs) -> list[str]:
    """Each job in a request context of its own, 20 at a time; the errors they raised."""
    errors: list[str] = []

    def run(job) -> None:
        with job[0].test_request_context():
            try:
                job[1]()
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(run, jobs))
    return errors


def test_holds_count_against_the_capacity_under_concurrency(app):
    """Events that confirm addresses: holds, confirmations, expired holds and new
    registrations all at once never give more places than the capacity."""
    event_id = open_event(app, capacity=50, confirm_email=True)

    def registering(i: int):
        def job():
            services.register_publicly(
                db.session.get(Event, event_id),
                services.RegistrantData(name=f"Persona {i}", email=f"persona{i}@example.org"),
            )

        return app, job

    assert run_at_once([registering(i) for i in range(200)]) == []
    statuses, messages = tally(app, event_id)
    assert statuses == {"held": 50, "unconfirmed": 150}
    assert messages == 200

    with app.app_context():
        held = db.session.scalars(
            select(Registration.id).where(Registration.status == "held").order_by(Registration.id)
        ).all()
        db.session.execute(
            update(Registration)
            .where(Registration.id.in_(held[:20]))
            .values(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()
        everyone = db.session.scalars(select(Registration.id)).all()

    def confirming(registration_id: int):
        def job():
            services.confirm_address(db.session.get(Registration, registration_id))

        return app, job

    # Everyone confirms (in time or late) while 30 newcomers register.
    jobs = [confirming(i) for i in everyone] + [registering(i) for i in range(200, 230)]
    jobs = jobs[::2] + jobs[1::2]  # newcomers among the confirmations
    assert run_at_once(jobs) == []
    statuses, _ = tally(app, event_id)
    with app.app_context():
        active_holds = services.places_taken(db.session.get(Event, event_id)) - statuses.get(
            "confirmed", 0
        )
    assert statuses["confirmed"] + active_holds == 50
    assert statuses["confirmed"] >= 30  # every hold still in time became a place
    assert sum(statuses.values()) == 230


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 to the personal page is the answer we measure


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Checks for shutdown() every 50 ms, not every 0.5 s (a wait at the end of each test).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def test_concurrent_http_registrations(app, live_server):
    event_id = open_event(app, capacity=30)
    url = f"{live_server}/events/{event_id}/register"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)

    def post(i: int) -> tuple[int, float]:
        body = urllib.parse.urlencode(
            {"name": f"Persona {i}", "email": f"persona{i}@example.org", "organisation_id": ""}
        ).encode()
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (http)
        started = time.perf_counter()
        try:
            with opener.open(request, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
        return status, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(post, range(100)))

    codes = [code for code, _ in results]
    latencies = sorted(seconds * 1000 for _, seconds in results)
    percentiles = statistics.quantiles(latencies, n=100, method="inclusive")
    with app.app_context():
        dialect = db.engine.dialect.name
    print(
        f"\n[{dialect}] 100 HTTP registrations, {WORKERS} clients: "
        f"p50 {percentiles[49]:.0f} ms, p99 {percentiles[98]:.0f} ms, "
        f"max {latencies[-1]:.0f} ms"
    )
    assert [code for code in codes if not 200 <= code < 400] == []
    assert codes.count(302) == 100
    statuses, messages = tally(app, event_id)
    assert statuses == {"confirmed": 30, "waiting": 70}
    assert messages == 100
