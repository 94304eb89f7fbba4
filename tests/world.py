"""A populated EventHub for tests that walk every page: the demo world plus personal links.

Built the same way every time (same ids), so a form found on one build is found again at the
same address on another; personal links carry random salts and are read back from the outbox.
"""

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event as sa_event
from sqlalchemy import select

from eventhub.auth import links as account_links
from eventhub.events import images
from eventhub.events.models import Event, EventStatus, Programme, RegistrationMode
from eventhub.extensions import db
from eventhub.files import Upload
from eventhub.invitations import services as invitations
from eventhub.invitations.models import Invitation
from eventhub.mail.models import OutboxMessage, OutboxStatus
from eventhub.messages import services as messages
from eventhub.messages.audiences import Choice
from eventhub.messages.models import Audience, MessageRecipient
from eventhub.orm import utcnow
from eventhub.questions import services as questions
from eventhub.questions.models import QuestionKind
from eventhub.questions.services import ChoiceSpec, QuestionSpec
from eventhub.registrations import services as registrations
from tests.conftest import login
from tests.crawl import outbox_links
from tests.factories import UserFactory, png_bytes

ADMIN_EMAIL = "admin@example.org"
ORGANISER_EMAIL = "organiser@example.org"
SEEDS = [
    "/",
    "/events/",
    "/calendar",
    "/calendar.ics",
    "/organisations/",
    "/speakers/",
    "/programmes/",
    "/outbox/",
    "/users/",
    "/account/calendar",
    "/account/password",
    "/login",
]


@dataclass
class World:
    seeds: list[str] = field(default_factory=list)
    open_event_id: int = 0


def build_world(app) -> World:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    # The demo's commitments due soon get reminders: their owners' links become seeds.
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert "Reminders queued: 0;" not in result.output, result.output
    with app.app_context():
        admin = UserFactory(email=ADMIN_EMAIL, name="Admin", is_admin=True)
        UserFactory(email=ORGANISER_EMAIL, name="Ana Organiser")
        event = db.session.scalars(
            select(Event)
            .where(
                Event.registration_mode == RegistrationMode.OPEN,
                Event.status == EventStatus.PUBLISHED,
            )
            .order_by(Event.starts_at.desc())
        ).first()
        _ask_questions(event)
        # An image: the event page shows it, and its page offers replacing and removing it.
        images.save_image(event, Upload("cartel.png", png_bytes(8, 4)), "Cartel de la mesa", admin)
        plan = invitations.plan_invitations(
            event,
            [],
            False,
            [],
            "Invitada <invitada@example.org>\nguest@example.org\nthird@example.org",
            "es",
        )
        invitations.send_invitations(event, plan, admin)
        invited = db.session.scalars(
            select(Invitation).where(Invitation.email == "invitada@example.org")
        ).one()
        invitations.accept(invited, "Invitada Aceptada")
        first = registrations.register(
            event, registrations.RegistrantData(name="Participante Uno", email="uno@example.org")
        )
        waiting_list = _every_state(event)
        registrations.check_in(first)  # the door page offers to undo it
        # Links to choose a password: an organiser invited, a password forgotten.
        account_links.invite_organiser("invitado@example.org", "Invitado", False, "es", admin)
        account_links.request_password_reset(ORGANISER_EMAIL, "es")
        # One invitation bounced (offered again), one delivered and unanswered (reminded).
        for email, status in (("guest@example.org", "failed"), ("third@example.org", "sent")):
            message = db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.to_address == email)
            ).first()
            message.status = OutboxStatus(status).value
            message.last_error = "550 mailbox unavailable" if status == "failed" else None
            message.sent_at = utcnow() if status == "sent" else None
        # A message to the participants with one email bounced: the history offers a resend.
        sent = messages.send_message(
            event, Choice(frozenset({Audience.CONFIRMED})), "Aviso", "Hola {name}", admin
        )
        bounced = db.session.scalars(
            select(MessageRecipient.outbox_message_id).where(MessageRecipient.message_id == sent.id)
        ).first()
        db.session.get(OutboxMessage, bounced).status = OutboxStatus.FAILED.value
        db.session.commit()
        # Newest first: the states built here before the demo's many registrations (the
        # crawl visits a few pages per endpoint).
        bodies = list(
            db.session.scalars(select(OutboxMessage.text_body).order_by(OutboxMessage.id.desc()))
        )
        links = outbox_links(bodies, app.config["EVENTHUB_BASE_URL"])
        # The door's link is in a QR code, not in a mail; every event page is a seed.
        links += [f"/checkin/{registrations.checkin_code(r)}" for r in (first, *waiting_list)]
        links += [f"/events/{event_id}" for event_id in db.session.scalars(select(Event.id))]
        return World(seeds=SEEDS + links, open_event_id=event.id)


def _ask_questions(event: Event) -> None:
    """The open event's own questions, so the registration forms the crawl finds (the event
    page, the personal page, the invitation) carry every kind, a condition, a limited
    choice and a sensitive question."""
    form = questions.ensure_event_form(event)
    interpretation = None
    for kind in QuestionKind:
        choices = (
            [ChoiceSpec("Mañana", places=3), ChoiceSpec("Tarde")]
            if kind.value.endswith("choice")
            else []
        )
        question = questions.add_question(
            form, QuestionSpec(kind=kind.value, label_es=f"Pregunta {kind.value}", choices=choices)
        )
        if kind == QuestionKind.YES_NO:
            interpretation = question
    assert interpretation is not None
    questions.add_question(
        form,
        QuestionSpec(
            kind=QuestionKind.SHORT_TEXT.value,
            label_es="¿Qué lengua?",
            required=True,
            condition_question_id=interpretation.id,
            condition_value="yes",
        ),
    )
    questions.add_standard_question(form, "gender")
    # A programme's template form: the builder's pages for programmes to reach.
    programme = db.session.scalars(select(Programme).order_by(Programme.id)).first()
    if programme is not None:
        template = questions.ensure_programme_form(programme)
        questions.add_standard_question(template, "comuna_of_residence")
    db.session.flush()


def _every_state(open_event: Event) -> list:
    """Registrations waiting for a place (another open event), for approval and for the
    address to be confirmed."""
    others = db.session.scalars(
        select(Event).where(
            Event.registration_mode == RegistrationMode.OPEN,
            Event.status == EventStatus.PUBLISHED,
            Event.id != open_event.id,
        )
    ).all()
    waiting_list = []
    if others:
        full = others[0]
        full.capacity = 1
        waiting_list = [
            registrations.register(
                full, registrations.RegistrantData(name=f"Lista {n}", email=f"w{n}@example.org")
            )
            for n in (1, 2)
        ]
    # A cancelled registration: the participants page offers to restore it.
    cancelled = registrations.register(
        open_event, registrations.RegistrantData(name="Cancelada", email="c@example.org")
    )
    registrations.cancel(cancelled)
    open_event.requires_approval = True
    registrations.register_publicly(
        open_event, registrations.RegistrantData(name="Pendiente", email="p@example.org")
    )
    if others:  # full now: a registration waiting for its address, before the waiting list
        others[0].confirm_email = True
        registrations.register_publicly(
            others[0], registrations.RegistrantData(name="Por confirmar", email="c@example.org")
        )
    return waiting_list


def clients(app) -> dict:
    """Anonymous first: a form anyone can reach is fuzzed as anyone."""
    anonymous = app.test_client()
    # The admin is also signed in on another device, so the account page offers to end it.
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (iPhone) Version/17.5 Safari/604.1"
    assert login(phone, ADMIN_EMAIL).status_code == 302
    admin = app.test_client()
    response = login(admin, ADMIN_EMAIL)
    assert response.status_code == 302
    return {"anonymous": anonymous, "admin": admin}


def session_cookies(signed_in: dict) -> dict[str, str]:
    """The session cookie of each client that has one (``clients()``), to sign in again on a
    copy of the same database without the password check."""
    return {
        role: cookie.value
        for role, client in signed_in.items()
        if (cookie := client.get_cookie("session")) is not None
    }


def clients_with(app, cookies: dict[str, str]) -> dict:
    """``clients()`` on a copy of the database they signed in to: the phone's session is in
    the copy too."""
    made = {}
    for role in ("anonymous", "admin"):
        made[role] = app.test_client()
        if role in cookies:
            made[role].set_cookie("session", cookies[role])
    return made


def _frozen(value):
    """JSON columns come back as lists and dicts: comparable, hashable text instead."""
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def snapshot(app, tables: Iterable[str] | None = None) -> dict[str, list]:
    """Every row of every table (or of the tables named), to prove a refused request wrote
    nothing."""
    with app.app_context():
        wanted = None if tables is None else set(tables)
        rows = {}
        for table in db.metadata.sorted_tables:
            if wanted is not None and table.name not in wanted:
                continue
            stmt = select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(map(_frozen, r)) for r in db.session.execute(stmt)]
        db.session.remove()
        return rows


# Statements that cannot change a row. Anything else is a write: to the tables it names, or,
# when it names none we know, to every table (a statement we cannot read is not trusted).
READ_ONLY = re.compile(
    r"\s*(SELECT|PRAGMA|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SHOW|SET\s)\b", re.IGNORECASE
)
WRITTEN_TABLE = re.compile(
    r'\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE
)


class RowWatch:
    """The rows of every table, kept up to date by re-reading only the tables written to.

    As strict as comparing every table before and after each request (``snapshot``), at the
    cost of the tables a request actually wrote: the fuzz runs thousands of requests, most of
    which write nothing. Every statement on the app's engine is seen, rolled back or not; rows
    also change without a statement naming their table through ON DELETE/UPDATE CASCADE, so
    the tables that reference a written one are re-read too.
    """

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.engine = db.engine
            self.table_names = {t.name for t in db.metadata.sorted_tables}
            referencing: dict[str, set[str]] = {name: set() for name in self.table_names}
            for table in db.metadata.sorted_tables:
                for key in table.foreign_keys:
                    referencing[key.column.table.name].add(table.name)
        self._referencing = referencing
        self._written: set[str] = set()
        self.rows = snapshot(app)

    def _record(self, conn, cursor, statement: str, parameters, context, executemany) -> None:
        if READ_ONLY.match(statement):
            return
        named = {name.lower() for name in WRITTEN_TABLE.findall(statement)} & self.table_names
        self._written |= named or self.table_names

    @contextmanager
    def watching(self) -> Iterator["RowWatch"]:
        sa_event.listen(self.engine, "before_cursor_execute", self._record)
        try:
            yield self
        finally:
            sa_event.remove(self.engine, "before_cursor_execute", self._record)

    def _reached(self, written: set[str]) -> set[str]:
        reached, pending = set(), list(written)
        while pending:
            name = pending.pop()
            if name not in reached:
                reached.add(name)
                pending.extend(self._referencing[name])
        return reached

    def changes(self) -> dict[str, set]:
        """Rows added or changed since the last call, by table (an empty set when rows were
        only deleted): the same answer as comparing two full snapshots."""
        tables = self._reached(self._written)
        self._written = set()
        if not tables:
            return {}
        fresh = snapshot(self.app, tables)
        changed = {
            name: set(rows) - set(self.rows[name])
            for name, rows in fresh.items()
            if set(rows) != set(self.rows[name])
        }
        self.rows.update(fresh)
        return changed
