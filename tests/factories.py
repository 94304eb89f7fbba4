"""factory_boy factories, bound to the Flask-SQLAlchemy session of the current app."""

import struct
import zlib
from datetime import UTC, datetime, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select

from eventhub import tokens
from eventhub.auth.models import User
from eventhub.events.models import Event, EventStatus, Programme
from eventhub.extensions import db
from eventhub.organisations.models import Contact, Organisation
from eventhub.people.models import Speaker
from eventhub.registrations.models import Registration, RegistrationStatus

TEST_PASSWORD = "correct horse battery"
# The ``organiser`` fixture's account. Events made in tests belong to it unless the test says
# otherwise, so tests of other features act as the event's manager (see events/permissions.py).
DEFAULT_CREATOR_EMAIL = "organiser@example.org"


def _default_creator_id() -> int | None:
    return db.session.scalar(select(User.id).where(User.email == DEFAULT_CREATOR_EMAIL))


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"organiser{n}@example.org")
    name = factory.Sequence(lambda n: f"Organiser {n}")
    password_hash = ""
    is_admin = False

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or TEST_PASSWORD)


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Municipalidad {n}")
    kind = "municipality"
    region = "Metropolitana"
    commune = factory.Sequence(lambda n: f"Comuna {n}")


class ContactFactory(BaseFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Contacto {n}")
    role = "Jefa de la Oficina de Migrantes"
    email = factory.Sequence(lambda n: f"contact{n}@example.org")
    language = "es"


class SpeakerFactory(BaseFactory):
    class Meta:
        model = Speaker

    name = factory.Sequence(lambda n: f"Speaker {n}")
    title = "Economist"


class ProgrammeFactory(BaseFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Programme {n}")


class EventFactory(BaseFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Mesa intermunicipal {n}")
    kind = "round_table"
    timezone = "America/Santiago"
    starts_at = factory.LazyFunction(lambda: datetime.now(UTC) + timedelta(days=30))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    status = EventStatus.DRAFT.value
    is_public = True
    created_by_id = factory.LazyFunction(_default_creator_id)

    class Params:
        published = factory.Trait(
            status=EventStatus.PUBLISHED.value,
            published_at=factory.LazyFunction(lambda: datetime.now(UTC)),
        )


class RegistrationFactory(BaseFactory):
    """A confirmed place at an open, published event, with a working personal link."""

    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory, published=True, registration_mode="open")
    name = factory.Sequence(lambda n: f"Participante {n}")
    email = factory.Sequence(lambda n: f"participante{n}@example.org")
    language = "es"
    status = RegistrationStatus.CONFIRMED.value
    confirmed_at = factory.LazyAttribute(
        lambda o: datetime.now(UTC) if o.status == RegistrationStatus.CONFIRMED else None
    )
    waitlisted_at = factory.LazyAttribute(
        lambda o: datetime.now(UTC) if o.status == RegistrationStatus.WAITING else None
    )
    token_salt = factory.LazyFunction(tokens.new_salt)
    token_hash = factory.LazyAttribute(
        lambda o: tokens.token_hash(tokens.derive_token("registration", o.event.id, o.token_salt))
    )


def png_bytes(width: int = 2, height: int = 1, colour: bytes = b"\x0b\x5c\xad") -> bytes:
    """A real PNG (browsers draw it), made without an imaging library: for event images."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + colour * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
