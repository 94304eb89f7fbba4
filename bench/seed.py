"""Benchmark data: a fresh database (SQLite file or PostgreSQL schema) filled in bulk.

Full size: 1,000 published public events over three years (every 25th cancelled), the busiest
with 40 agenda items (1–2 speakers each) and 300 registrations, 350 organisations with 2
contacts each, 5,000 registrations overall. The small size divides every count by ten
(busiest event: 4 items, 30 registrations); the 10× size (``SCALE10``, ``--scale 10``)
multiplies the events, the registrations and the busiest event's registrants by ten. All
events fall inside the feeds' window (the past 90 days and the future), so ``/calendar.ics``
carries every one of them.

Beside them, bench/seed_questions.py adds twin round tables of the busiest event's size, one
asking 10 registration questions and one asking none, each in a programme of its own.
"""

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import seed_questions
from eventhub import tokens
from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.auth.models import User
from eventhub.calendar.feeds import FeedKind
from eventhub.calendar.services import rotate_feed_token
from eventhub.events.models import Event, EventKind, EventOrganisation, EventStatus
from eventhub.extensions import db
from eventhub.organisations.models import Contact, Organisation
from eventhub.people.models import Speaker
from eventhub.registrations.models import Registration, RegistrationStatus

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ORGANISER_EMAIL = "bench.organiser@example.org"
ORGANISER_PASSWORD = "bench organiser password"  # noqa: S105
REGISTRANT_EMAIL = "bench.registrant@example.org"
ZONE = "America/Santiago"


@dataclass
class Size:
    name: str
    events: int
    agenda_items: int
    busiest_registrations: int
    organisations: int
    registrations: int
    # The registration-question twins: measured at full and small only, so the 10× size keeps
    # the full size's rather than spend its seeding on 30,000 answers nobody reads.
    twin_registrations: int | None = None

    @property
    def scale(self) -> float:
        return self.events / 1000


FULL = Size("full", 1000, 40, 300, 350, 5000)
SMALL = Size("small", 100, 4, 30, 35, 500)
# Ten times the full size where an organiser's data grows with time (events, registrations, the
# busiest event's registrants); the directory and one event's agenda stay as they are.
SCALE10 = Size("scale10", 10_000, 40, 3000, 350, 50_000, twin_registrations=300)


@dataclass
class Dataset:
    size: str
    url: str
    busiest_id: int
    race_event_id: int
    race_capacity: int
    organisation_id: int
    organisation_token: str
    registrant_token: str
    organisation_ids: list[int]
    counts: dict
    questions: dict  # seed_questions.Twins: the twin events, their programmes, the form

    def public(self) -> dict:
        data = asdict(self)
        data["questions"].pop("form_fields")
        data.pop("organisation_ids")
        data.pop("organisation_token")
        data.pop("registrant_token")
        return data


# --- databases ------------------------------------------------------------------------------


class Database:
    """A fresh, empty database; ``drop()`` removes it."""

    def __init__(self, kind: str, out_dir: Path, label: str):
        self.kind = kind
        self.schema = None
        if kind == "sqlite":
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / f"bench-{label}.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.path = path
            self.url = f"sqlite:///{path}"
        else:
            self.schema = f"eventhub_bench_{label}_{uuid.uuid4().hex[:8]}"
            engine = create_engine(PG_BASE)
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            engine.dispose()
            self.url = f"{PG_BASE}?options=-csearch_path%3D{self.schema}"

    def drop(self) -> None:
        if self.schema:
            engine = create_engine(PG_BASE)
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            engine.dispose()


# --- data -----------------------------------------------------------------------------------


def seed(app, size: Size, url: str) -> Dataset:
    """Migrate (``flask db upgrade``) and fill the database; the app is bound to ``url``."""
    import flask_migrate

    with app.test_request_context():
        flask_migrate.upgrade(directory=str(MIGRATIONS))
        dataset = _fill(size, url)
        db.session.remove()
    _settle(url)
    return dataset


def _settle(url: str) -> None:
    """Statistics gathered and the bulk load written out now, as in a database that has been
    in service a while: otherwise PostgreSQL's autovacuum and checkpointer, or SQLite's WAL
    checkpoint, start on the new rows while the paths are being measured."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                # This schema's tables only: the database may hold others.
                tables = connection.exec_driver_sql(
                    "SELECT quote_ident(tablename) FROM pg_tables"
                    " WHERE schemaname = current_schema()"
                ).scalars()
                connection.exec_driver_sql(f"VACUUM ANALYZE {', '.join(tables)}")
                connection.exec_driver_sql("CHECKPOINT")
            else:
                connection.exec_driver_sql("ANALYZE")
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def _fill(size: Size, url: str) -> Dataset:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    organiser = User(email=ORGANISER_EMAIL, name="Bench Organiser", password_hash="")
    organiser.set_password(ORGANISER_PASSWORD)
    db.session.add(organiser)

    organisations = []
    for n in range(size.organisations):
        org = Organisation(
            name=f"Municipalidad Bench {n:03d}",
            kind="municipality",
            region="Metropolitana",
            commune=f"Comuna {n:03d}",
        )
        org.contacts = [
            Contact(
                name=f"Contacto {n}-{c}",
                role="Oficina de Migrantes",
                email=f"contact{n}-{c}@example.org",
                language="es",
                is_primary=c == 0,
            )
            for c in range(2)
        ]
        organisations.append(org)
    db.session.add_all(organisations)
    speakers = [
        Speaker(name=f"Ponente {n}", title="Economista", organisation=organisations[n])
        for n in range(min(40, size.organisations))
    ]
    db.session.add_all(speakers)
    db.session.flush()

    # Three years, starting 60 days ago (inside the feeds' 90-day history).
    first = now - timedelta(days=60)
    step = timedelta(days=3 * 365) / size.events
    kinds = [k.value for k in EventKind]
    events = []
    for n in range(size.events):
        starts = first + step * n
        cancelled = n % 25 == 24
        events.append(
            Event(
                title=f"Mesa intermunicipal {n:04d}",
                kind=kinds[n % len(kinds)],
                summary="Coordinación de las oficinas de migrantes.",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                timezone=ZONE,
                venue_name="Salón OIM",
                venue_address="Av. Apoquindo 3000, Las Condes",
                host_organisation=organisations[n % size.organisations],
                registration_mode="open",
                status=EventStatus.CANCELLED.value if cancelled else EventStatus.PUBLISHED.value,
                cancelled_at=now if cancelled else None,
                published_at=now - timedelta(days=90),
                is_public=True,
                created_by=organiser,
            )
        )
    db.session.add_all(events)
    db.session.flush()

    upcoming = [e for e in events if e.starts_at > now + timedelta(days=7) and not e.is_cancelled]
    busiest, race = upcoming[0], upcoming[1]
    race.capacity = 50
    race.title = "Carrera por 50 cupos"

    # Participations: host on every event; organisation 0 also invited to every tenth event.
    # Written in bulk, by ids: through the ORM each would put its event in the session's dirty
    # set, which the calendar's before_flush listener walks once per object (quadratic: about
    # 80 s of the 10× size's seeding).
    org0 = organisations[0]
    participations = []
    for n, event in enumerate(events):
        host = event.host_organisation
        participations.append({"event_id": event.id, "organisation_id": host.id, "role": "host"})
        if n % 10 == 5 and host is not org0:
            participations.append(
                {"event_id": event.id, "organisation_id": org0.id, "role": "invited"}
            )
    db.session.execute(EventOrganisation.__table__.insert(), participations)

    item_length = timedelta(minutes=180) / size.agenda_items
    items = []
    for n in range(size.agenda_items):
        start = busiest.starts_at + item_length * n
        item = AgendaItem(
            event=busiest,
            starts_at=start,
            ends_at=start + item_length,
            title=f"Ponencia {n + 1}: gobernanza local de la migración",
            kind="talk",
            description="Experiencias municipales y buenas prácticas.",
            location=f"Sala {n % 3 + 1}",
        )
        item.speakers = [
            AgendaItemSpeaker(speaker=speakers[(n + k) % len(speakers)], role="speaker", position=k)
            for k in range(1 + n % 2)
        ]
        items.append(item)
    db.session.add_all(items)
    db.session.flush()

    # Registrations: the busiest event's, then the rest spread over the other events
    # (never on the race event). The registrant feed's address holds 20 (2) of them.
    others = [e for e in events if e.id not in {busiest.id, race.id}]
    rows = []
    confirmed = RegistrationStatus.CONFIRMED.value
    for n in range(size.registrations):
        event = busiest if n < size.busiest_registrations else others[n % len(others)]
        own = size.busiest_registrations <= n < size.busiest_registrations + int(20 * size.scale)
        rows.append(
            {
                "event_id": event.id,
                "name": f"Participante {n}",
                "email": REGISTRANT_EMAIL if own else f"participante{n}@example.org",
                "language": "es",
                "status": confirmed,
                "confirmed_at": now,
                "token_salt": tokens.new_salt(),
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(Registration.__table__.insert(), rows)
    twin_people = size.twin_registrations or size.busiest_registrations
    twins = seed_questions.fill(now, organiser, organisations, twin_people)
    db.session.commit()

    organisation_token = rotate_feed_token(FeedKind.ORGANISATION, org0.id)
    registrant_token = rotate_feed_token(FeedKind.REGISTRANT, REGISTRANT_EMAIL)
    db.session.commit()
    return Dataset(
        size=size.name,
        url=url,
        busiest_id=busiest.id,
        race_event_id=race.id,
        race_capacity=50,
        organisation_id=org0.id,
        organisation_token=organisation_token,
        registrant_token=registrant_token,
        organisation_ids=[o.id for o in organisations],
        counts={
            "events": len(events),
            "agenda_items": len(items),
            "busiest_registrations": size.busiest_registrations,
            "organisations": len(organisations),
            "contacts": 2 * len(organisations),
            "registrations": size.registrations,
        },
        questions=asdict(twins),
    )
