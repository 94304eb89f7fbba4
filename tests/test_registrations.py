import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, update

from eventhub.events.models import Event
from eventhub.events.timezones import utc_to_local
from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory

START = datetime(2031, 6, 12, 14, 0, tzinfo=UTC)  # 10:00 in Santiago
TITLE = "Mesa abierta de Quilicura"


def open_event(app, **fields) -> int:
    with app.app_context():
        values = {
            "title": TITLE,
            "published": True,
            "registration_mode": "open",
            "starts_at": START,
            "ends_at": START + timedelta(hours=3),
            **fields,
        }
        event = EventFactory(**values)
        db.session.commit()
        return event.id


@pytest.fixture
def event_id(app):
    return open_event(app)


def spanish(app, message: str, **values) -> str:
    """The Spanish UI text, translated or (until the catalogue catches up) the English one."""
    with app.test_request_context(), force_locale("es"):
        return gettext(message, **values)


def form(**overrides) -> dict:
    data = {
        "name": "María José Núñez",
        "email": "maria@example.org",
        "organisation_id": "",
        "organisation_name": "Fundación Migrantes",
        "job_title": "Coordinadora territorial",
        "needs": "Rampa de acceso\nMenú vegetariano",
        "listed": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def register(client, event_id: int, **overrides):
    return client.post(f"/events/{event_id}/register", data=form(**overrides))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def places(app) -> dict[str, str]:
    """email -> status of every registration."""
    with app.app_context():
        return dict(db.session.execute(select(Registration.email, Registration.status)).all())


def outbox(app, topic: str | None = None) -> list[dict]:
    with app.app_context():
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if topic:
            stmt = stmt.where(OutboxMessage.topic == topic)
        return [
            {
                "to": m.to_address,
                "topic": m.topic,
                "subject": m.subject,
                "text": m.text_body,
                "html": m.html_body,
                "attachments": m.attachments,
            }
            for m in db.session.scalars(stmt)
        ]


def personal_link(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert re.fullmatch(r"/r/[\w-]{43}", location), location
    return location


def status_on_page(client, link: str) -> str:
    page = client.get(link).get_data(as_text=True)
    return re.search(r'class="registration-status status-(\w+)" id="registration-status"', page)[1]


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- registering ------------------------------------------------------------------------------


def test_event_page_form_confirms_and_queues_the_confirmation(app, client, event_id):
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert 'id="registration-form"' in page
    assert f'action="/events/{event_id}/register"' in page

    link = personal_link(register(client, event_id))

    with app.app_context():
        registration = db.session.scalars(select(Registration)).one()
        assert (registration.status, registration.language) == ("confirmed", "es")
        assert registration.name == "María José Núñez"
        assert registration.organisation_name == "Fundación Migrantes"
        assert registration.job_title == "Coordinadora territorial"
        assert registration.needs == "Rampa de acceso\nMenú vegetariano"
        assert registration.listed is True and registration.confirmed_at is not None
        assert len(registration.token_hash) == 64 and link[3:] not in registration.token_hash
    [message] = outbox(app)
    assert message["to"] == "maria@example.org"
    assert message["topic"] == "registration-confirmed"
    assert message["subject"] == f"Inscripción confirmada: {TITLE}"
    assert f"http://eventhub.test{link}" in message["text"]
    assert f"http://eventhub.test{link}" in message["html"]
    attachment = next(a for a in message["attachments"] if a["filename"] == "event.ics")
    assert attachment["content_type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in attachment["data"] and TITLE in attachment["data"]

    assert status_on_page(client, link) == "confirmed"


def test_confirmation_is_in_the_ui_language_at_registration(app, client, event_id):
    client.post("/language", data={"lang": "en"})
    personal_link(register(client, event_id))
    with app.app_context():
        assert db.session.scalars(select(Registration.language)).one() == "en"
    [message] = outbox(app)
    assert message["subject"] == f"Registration confirmed: {TITLE}"
    assert "Your place is confirmed for:" in message["text"]


def test_full_event_waiting_list_and_cancel_promotes_the_first_waiting(app, client):
    event_id = open_event(app, capacity=2)
    links = {
        who: personal_link(register(client, event_id, name=who.title(), email=f"{who}@example.org"))
        for who in ("ana", "beto", "carla", "dario")
    }
    assert places(app) == {
        "ana@example.org": "confirmed",
        "beto@example.org": "confirmed",
        "carla@example.org": "waiting",
        "dario@example.org": "waiting",
    }
    assert [m["to"] for m in outbox(app, "registration-waiting")] == [
        "carla@example.org",
        "dario@example.org",
    ]
    assert status_on_page(client, links["carla"]) == "waiting"
    with app.app_context():  # Darío has waited longer than Carla, whatever the ids say
        db.session.execute(
            update(Registration)
            .where(Registration.email == "dario@example.org")
            .values(waitlisted_at=datetime.now(UTC) - timedelta(hours=1))
        )
        db.session.commit()

    response = client.post(f"{links['ana']}/cancel")
    assert response.status_code == 302 and response.headers["Location"] == links["ana"]
    assert places(app) == {
        "ana@example.org": "cancelled",
        "beto@example.org": "confirmed",
        "carla@example.org": "waiting",
        "dario@example.org": "confirmed",
    }
    [promoted] = outbox(app, "registration-promoted")
    assert promoted["to"] == "dario@example.org"
    assert f"http://eventhub.test{links['dario']}" in promoted["text"]
    assert "event.ics" in [a["filename"] for a in promoted["attachments"]]
    assert [m["to"] for m in outbox(app, "registration-cancelled")] == ["ana@example.org"]
    assert status_on_page(client, links["ana"]) == "cancelled"
    assert status_on_page(client, links["dario"]) == "confirmed"

    client.post(f"{links['ana']}/cancel")  # twice: nothing more happens
    assert places(app)["carla@example.org"] == "waiting"
    assert len(outbox(app, "registration-cancelled")) == 1


def edit_form(app, event_id: int, **overrides) -> dict:
    with app.app_context():
        event = db.session.get(Event, event_id)
        local = lambda value: utc_to_local(value, event.timezone).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
        data = {
            "title": event.title,
            "kind": event.kind,
            "summary": "",
            "description": "",
            "timezone": event.timezone,
            "starts_at": local(event.starts_at),
            "ends_at": local(event.ends_at),
            "venue_name": "",
            "venue_address": "",
            "host_organisation_id": "",
            "programme_id": "",
            "capacity": str(event.capacity or ""),
            "registration_mode": event.registration_mode,
            "registration_deadline": "",
            "is_public": "y",
        }
    return data | overrides


def test_raising_the_capacity_promotes_the_waiting_list(app, organiser_client):
    event_id = open_event(app, capacity=1)
    visitor = app.test_client()
    for who in ("ana", "beto", "carla"):
        personal_link(register(visitor, event_id, email=f"{who}@example.org"))
    assert sorted(places(app).values()) == ["confirmed", "waiting", "waiting"]

    response = organiser_client.post(
        f"/events/{event_id}/edit", data=edit_form(app, event_id, capacity="2")
    )
    assert response.status_code == 302
    assert places(app)["beto@example.org"] == "confirmed"
    assert places(app)["carla@example.org"] == "waiting"
    assert [m["to"] for m in outbox(app, "registration-promoted")] == ["beto@example.org"]

    response = organiser_client.post(
        f"/events/{event_id}/edit", data=edit_form(app, event_id, capacity="")
    )
    assert response.status_code == 302
    assert set(places(app).values()) == {"confirmed"}
    assert [m["to"] for m in outbox(app, "registration-promoted")] == [
        "beto@example.org",
        "carla@example.org",
    ]


def test_registering_twice_emails_the_existing_link_and_reveals_nothing(app, client):
    """Anyone can type any address: the link goes to that address, never to the page."""
    event_id = open_event(app, capacity=1)
    first = personal_link(register(client, event_id, email="maria@example.org"))
    personal_link(register(client, event_id, email="beto@example.org"))
    again = register(
        client,
        event_id,
        email="Maria@Example.ORG",
        name="Someone Else",
        job_title="Impostor",
        listed=None,
    )
    assert again.status_code == 302
    assert again.headers["Location"] == f"/events/{event_id}"
    assert places(app) == {"maria@example.org": "confirmed", "beto@example.org": "waiting"}
    with app.app_context():
        maria = db.session.scalars(
            select(Registration).where(Registration.email == "maria@example.org")
        ).one()
        assert maria.name != "Someone Else" and maria.job_title != "Impostor"
    register(client, event_id, email="beto@example.org")  # still waiting, link re-sent
    assert places(app)["beto@example.org"] == "waiting"
    assert count(app, Registration) == 2
    messages = outbox(app)
    assert [m["topic"] for m in messages] == [
        "registration-confirmed",
        "registration-waiting",
        "registration-link",
        "registration-link",
    ]
    assert first in messages[2]["text"]


def test_invite_only_event_refuses_the_public_form(app, client):
    event_id = open_event(app, registration_mode="invite_only")
    assert 'id="registration-form"' not in client.get(f"/events/{event_id}").get_data(as_text=True)
    response = register(client, event_id)
    assert response.status_code in (409, 422)
    assert spanish(app, "This event takes registrations by invitation only.") in page_text(response)
    assert count(app, Registration) == 0 and count(app, OutboxMessage) == 0


def test_draft_event_is_not_found(app, client):
    event_id = open_event(app, published=False)
    assert register(client, event_id).status_code == 404
    assert count(app, Registration) == 0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"registration_deadline": datetime.now(UTC) - timedelta(minutes=1)},
            "The registration deadline has passed.",
        ),
        (
            {
                "starts_at": datetime.now(UTC) - timedelta(minutes=1),
                "ends_at": datetime.now(UTC) + timedelta(hours=2),
            },
            "The event has started.",
        ),
        ({"registration_closed": True}, "The organisers have closed registration."),
        (
            {"status": "cancelled", "cancelled_at": datetime.now(UTC)},
            "The event has been cancelled.",
        ),
    ],
    ids=["deadline", "started", "closed-by-organiser", "cancelled"],
)
def test_closed_registration_is_refused_with_the_reason(app, client, fields, reason):
    event_id = open_event(app, **fields)
    page = client.get(f"/events/{event_id}")
    assert 'id="registration-form"' not in page.get_data(as_text=True)
    # A cancelled event's page has no registration section: its banner says why.
    cancelled = fields.get("status") == "cancelled"
    on_page = "This event has been cancelled." if cancelled else reason
    assert spanish(app, on_page) in page_text(page)
    response = register(client, event_id)
    assert response.status_code in (409, 422)
    assert spanish(app, reason) in page_text(response)
    assert count(app, Registration) == 0 and count(app, OutboxMessage) == 0


def test_organiser_closes_and_reopens_registration(app, organiser_client, event_id):
    visitor = app.test_client()
    response = organiser_client.post(f"/events/{event_id}/registration/toggle")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/{event_id}/participants"
    refused = register(visitor, event_id)
    assert refused.status_code in (409, 422)
    assert spanish(app, "The organisers have closed registration.") in page_text(refused)
    assert count(app, Registration) == 0

    organiser_client.post(f"/events/{event_id}/registration/toggle")
    personal_link(register(visitor, event_id))
    assert places(app) == {"maria@example.org": "confirmed"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "   "}, "name"),
        ({"email": "maria@@example"}, "email"),
        ({"email": ""}, "email"),
        ({"needs": "x" * 5000}, "needs"),
        ({"organisation_id": "987654"}, "organisation_id"),
        ({"organisation_id": "junk"}, "organisation_id"),
    ],
    ids=["empty-name", "bad-email", "no-email", "long-needs", "unknown-org", "junk-org"],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_written(
    app, client, event_id, overrides, field
):
    response = register(client, event_id, **overrides)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-errors"' in page
    assert re.search(
        rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', page
    )
    assert count(app, Registration) == 0 and count(app, OutboxMessage) == 0


def test_known_organisation_is_kept_by_id(app, client, event_id):
    with app.app_context():
        organisation_id = OrganisationFactory(name="Municipalidad de Ñuñoa").id
        db.session.commit()
    personal_link(register(client, event_id, organisation_id=str(organisation_id)))
    with app.app_context():
        registration = db.session.scalars(select(Registration)).one()
        assert registration.organisation_id == organisation_id
        assert registration.organisation_name is None  # the directory's name is used
        assert registration.display_organisation == "Municipalidad de Ñuñoa"


# --- the personal page ------------------------------------------------------------------------


def snapshot(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(Registration).order_by(Registration.id))
        return [
            (r.name, r.email, r.status, r.job_title, r.needs, r.listed, r.updated_at) for r in rows
        ] + [("outbox", count(app, OutboxMessage))]


def test_personal_page_get_changes_nothing_and_post_updates_details(app, client, event_id):
    link = personal_link(register(client, event_id))
    before = snapshot(app)
    page = client.get(link)
    assert page.status_code == 200
    text = page_text(page)
    assert TITLE in text and "maria@example.org" in text
    assert 'value="María José Núñez"' in text and 'id="cancel-form"' in text
    assert 'name="email"' not in text  # the address cannot be changed
    client.get(link)
    assert snapshot(app) == before

    response = client.post(
        link,
        data=form(name="María Núñez", email="attacker@example.org", job_title="Alcaldesa"),
    )
    assert response.status_code == 302 and response.headers["Location"] == link
    with app.app_context():
        registration = db.session.scalars(select(Registration)).one()
        assert (registration.name, registration.email, registration.job_title) == (
            "María Núñez",
            "maria@example.org",
            "Alcaldesa",
        )
        assert registration.status == "confirmed"

    bad = client.post(link, data=form(name="", needs="x" * 5000))
    assert bad.status_code == 422
    assert 'id="name-errors"' in bad.get_data(as_text=True)
    assert 'id="needs-errors"' in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Registration.name)).one() == "María Núñez"


def tampered(link: str) -> str:
    token = link.removeprefix("/r/")
    flipped = ("B" if token[10] == "A" else "A").join((token[:10], token[11:]))
    return flipped


@pytest.mark.parametrize("kind", ["short", "plausible", "tampered", "long", "symbols"])
def test_invalid_or_tampered_link_says_so(app, client, event_id, kind):
    link = personal_link(register(client, event_id))
    token = {
        "short": "nope",
        "plausible": "A" * 43,
        "tampered": tampered(link),
        "long": "x" * 300,
        "symbols": "%2e%2e" + "a" * 37,
    }[kind]
    before = snapshot(app)
    response = client.get(f"/r/{token}")
    assert response.status_code == 404
    assert spanish(app, "This link is not valid. Ask the organisers for a new one.") in page_text(
        response
    )
    assert client.post(f"/r/{token}", data=form(name="X")).status_code == 404
    assert client.post(f"/r/{token}/cancel").status_code == 404
    assert snapshot(app) == before


# --- organisers -------------------------------------------------------------------------------


@pytest.fixture
def crowd(app):
    """Quilicura: 2 confirmed and 1 waiting; an NGO typed by hand; one cancellation."""
    with app.app_context():
        event = EventFactory(
            title=TITLE,
            published=True,
            registration_mode="open",
            capacity=3,
            starts_at=START,
            ends_at=START + timedelta(hours=3),
        )
        quilicura = OrganisationFactory(name="Municipalidad de Quilicura")
        people = {
            "ana": RegistrationFactory(event=event, name="Ana Soto", organisation=quilicura),
            "beto": RegistrationFactory(event=event, name="Beto Díaz", organisation=quilicura),
            "carla": RegistrationFactory(
                event=event, name="Carla Ruiz", organisation=quilicura, status="waiting"
            ),
            "dario": RegistrationFactory(
                event=event, name="Darío Paz", organisation_name="ONG Puentes"
            ),
            "elena": RegistrationFactory(
                event=event,
                name="Elena Gómez",
                status="cancelled",
                cancelled_at=datetime.now(UTC),
            ),
        }
        db.session.commit()
        return {"event": event.id, **{who: r.id for who, r in people.items()}}


def rows_on(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr id="registration-(\d+)"', page)}


def test_participants_page_counts_search_and_filter(app, organiser_client, crowd):
    url = f"/events/{crowd['event']}/participants"
    page = page_text(organiser_client.get(url))
    # Each count takes its own plural form ("1 cancelado", "0 en espera").
    assert "3 confirmados, 1 en lista de espera, 1 cancelado" in page
    assert "Municipalidad de Quilicura: 2 confirmados, 1 en espera" in page
    assert "ONG Puentes: 1 confirmado, 0 en espera" in page
    assert rows_on(page) == {crowd[w] for w in ("ana", "beto", "carla", "dario", "elena")}

    def shown(**args) -> set[int]:
        return rows_on(organiser_client.get(url, query_string=args).get_data(as_text=True))

    assert shown(q="quilicura") == {crowd["ana"], crowd["beto"], crowd["carla"]}
    assert shown(q="PUENTES") == {crowd["dario"]}
    assert shown(q="díaz") == {crowd["beto"]}
    assert shown(q="participante") == rows_on(page)  # the e-mail addresses
    assert shown(q="%") == set()  # no wildcards
    assert shown(status="waiting") == {crowd["carla"]}
    assert shown(status="confirmed", q="quilicura") == {crowd["ana"], crowd["beto"]}
    assert shown(status="bogus") == rows_on(page)


def test_participant_actions(app, organiser_client, crowd):
    base = f"/events/{crowd['event']}/participants"

    def act(who: str, action: str):
        response = organiser_client.post(f"{base}/{crowd[who]}/{action}")
        assert response.status_code == 302 and response.headers["Location"] == base

    def status(who: str) -> str:
        with app.app_context():
            return db.session.get(Registration, crowd[who]).status

    act("carla", "promote")  # beyond the capacity: the organiser's call
    assert status("carla") == "confirmed"
    assert [m["topic"] for m in outbox(app)] == ["registration-promoted"]
    act("beto", "wait")
    assert status("beto") == "waiting"
    assert outbox(app)[-1]["topic"] == "registration-waiting"
    act("ana", "promote")  # not waiting: refused, nothing changes
    assert status("ana") == "confirmed" and len(outbox(app)) == 2
    act("ana", "remove")
    assert status("ana") == "cancelled"
    # Ana's place is freed: 3 confirmed (Carla, Darío... and Beto moves up) on 3 places.
    assert status("beto") == "confirmed"
    assert [m["topic"] for m in outbox(app)][-2:] == [
        "registration-cancelled",
        "registration-promoted",
    ]

    other = open_event(app)
    assert (
        organiser_client.post(f"/events/{other}/participants/{crowd['dario']}/remove").status_code
        == 404
    )
    assert status("dario") == "confirmed"


def test_organiser_pages_need_a_sign_in(app, client, crowd):
    base = f"/events/{crowd['event']}"
    for response in (
        client.get(f"{base}/participants"),
        client.get(f"{base}/participants.csv"),
        client.post(f"{base}/participants/{crowd['carla']}/promote"),
        client.post(f"{base}/participants/{crowd['ana']}/wait"),
        client.post(f"{base}/participants/{crowd['ana']}/remove"),
        client.post(f"{base}/registration/toggle"),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.get(Registration, crowd["carla"]).status == "waiting"
        assert db.session.get(Registration, crowd["ana"]).status == "confirmed"
        assert db.session.get(Event, crowd["event"]).registration_closed is False


def test_csv_export_is_safe_for_spreadsheets(app, client, organiser_client, event_id):
    visitor = app.test_client()
    personal_link(
        register(visitor, event_id, name='=HYPERLINK("http://evil.example","x")', email="e@x.org")
    )
    personal_link(
        register(
            visitor,
            event_id,
            name="José Núñez Ñandú",
            email="jose@example.org",
            organisation_name="Municipalidad de Peñalolén",
            needs="Intérprete de lengua de señas",
        )
    )
    response = organiser_client.get(f"/events/{event_id}/participants.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f"participants-event-{event_id}.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header, *body = rows
    assert header[:2] == [spanish(app, "Name"), spanish(app, "Email")]
    assert len(header) == 9 and all(len(row) == 9 for row in body)
    by_email = {row[1]: row for row in body}
    assert by_email["e@x.org"][0] == '\'=HYPERLINK("http://evil.example","x")'
    jose = by_email["jose@example.org"]
    assert jose[0] == "José Núñez Ñandú"
    assert jose[2] == "Municipalidad de Peñalolén"
    assert jose[5] == "Intérprete de lengua de señas"


def test_participants_page_queries_do_not_grow_with_registrations(
    app, organiser_client, count_queries
):
    with app.app_context():
        organisations = [OrganisationFactory() for _ in range(4)]
        small, large = (EventFactory(published=True, registration_mode="open") for _ in range(2))
        for event, size in ((small, 3), (large, 40)):
            for i in range(size):
                RegistrationFactory(
                    event=event,
                    organisation=organisations[i % 4] if i % 3 else None,
                    organisation_name=None if i % 3 else f"ONG {i}",
                    status=("confirmed", "waiting", "cancelled")[i % 3],
                )
        db.session.commit()
        ids = small.id, large.id

    statements: list[str] = []

    def queries(event_id: int) -> int:
        with count_queries(app) as recorded:
            response = organiser_client.get(f"/events/{event_id}/participants")
        statements[:] = recorded
        assert response.status_code == 200
        return len(statements)

    queries(ids[0])  # warm up
    small_count, large_count = queries(ids[0]), queries(ids[1])
    assert 0 < small_count == large_count, statements
    assert (
        len(rows_on(organiser_client.get(f"/events/{ids[1]}/participants").get_data(as_text=True)))
        == 40
    )


# --- invitations ------------------------------------------------------------------------------


def test_accepting_an_invitation_when_full_puts_the_invitee_on_the_waiting_list(
    app, organiser_client
):
    event_id = open_event(app, registration_mode="invite_only", capacity=1)
    with app.app_context():
        RegistrationFactory(event=db.session.get(Event, event_id), email="first@example.org")
        db.session.commit()
    response = organiser_client.post(
        f"/events/{event_id}/invitations/new",
        data={
            "whom": "primary",
            "extra": "Ana <ana@example.org>",
            "extra_language": "es",
            "send": "1",
        },
    )
    assert response.status_code == 302
    [invitation] = outbox(app, "invitation")
    link = re.search(r"http://eventhub\.test(/i/[\w-]+)", invitation["text"])[1]

    invitee = app.test_client()
    assert invitee.post(f"{link}/accept", data={"name": "Ana Pérez"}).status_code == 302
    assert places(app) == {"first@example.org": "confirmed", "ana@example.org": "waiting"}
    [waiting] = outbox(app, "registration-waiting")
    assert waiting["to"] == "ana@example.org"
    personal = re.search(r"http://eventhub\.test(/r/[\w-]+)", waiting["text"])[1]
    assert status_on_page(invitee, personal) == "waiting"
    assert outbox(app, "registration-confirmed") == []


def test_cancelling_at_a_cancelled_event_promotes_nobody(app, client):
    event_id = open_event(app, capacity=1)
    first = personal_link(register(client, event_id, email="ana@example.org"))
    personal_link(register(client, event_id, email="beto@example.org"))
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.status, event.cancelled_at = "cancelled", datetime.now(UTC)
        db.session.commit()
    assert client.post(f"{first}/cancel").status_code == 302
    assert places(app) == {"ana@example.org": "cancelled", "beto@example.org": "waiting"}
    assert outbox(app, "registration-promoted") == []
