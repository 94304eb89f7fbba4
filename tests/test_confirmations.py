"""The irreversible buttons ask first, without a script; a cancelled registration comes back.

Each button is a link to a page that asks (a GET that changes nothing) and whose form POSTs to
the same address, so the CSP's ban on inline script and a browser without JavaScript get the
same safe path.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventhub.agenda.models import AgendaItem
from eventhub.events.models import Event, EventOrganisation
from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory
from tests.test_registrations import spanish

START = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def table(app, organiser_client):
    """A full event (two places, two confirmed), one cancellation, an agenda item, a host."""
    with app.app_context():
        event = EventFactory(
            title="Mesa de Lo Prado",
            published=True,
            registration_mode="open",
            capacity=2,
            starts_at=START,
            ends_at=START + timedelta(hours=3),
        )
        ana = RegistrationFactory(event=event, name="Ana Soto", email="ana@example.org")
        RegistrationFactory(event=event, name="Beto Díaz")
        elena = RegistrationFactory(
            event=event, name="Elena Gómez", status="cancelled", cancelled_at=datetime.now(UTC)
        )
        host = EventOrganisation(
            event=event,
            organisation=OrganisationFactory(name="Municipalidad de Lo Prado"),
            role="host",
        )
        item = AgendaItem(
            event=event, starts_at=START, ends_at=START + timedelta(hours=1), title="Bienvenida"
        )
        db.session.add_all([host, item])
        db.session.commit()
        return {
            "event": event.id,
            "ana": ana.id,
            "elena": elena.id,
            "host": host.id,
            "item": item.id,
        }


def status(app, registration_id: int) -> str:
    with app.app_context():
        return db.session.get(Registration, registration_id).status


def mails(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxMessage.id)))


def asks_first(client, page: str, url: str, question: str) -> str:
    """The page links to ``url`` (no form posts there), whose GET asks and posts to itself."""
    html = client.get(page).text
    assert f'href="{url}"' in html
    assert f'action="{url}"' not in html
    confirm = client.get(url)
    assert confirm.status_code == 200
    text = confirm.text
    assert question in text
    assert f'<form method="post" action="{url}" id="confirm-form">' in text
    assert 'name="csrf_token"' in text.split('id="confirm-form"')[1].split("</form>")[0]
    assert "<script>" not in text and not re.search(r"\son[a-z]+=", text)
    return text


def test_cancelling_a_registration_asks_first(app, organiser_client, table):
    base = f"/events/{table['event']}"
    url = f"{base}/participants/{table['ana']}/remove"
    before = mails(app)
    text = asks_first(organiser_client, f"{base}/participants", url, "Ana Soto")
    assert "ana@example.org" in text and f'href="{base}/participants"' in text
    assert status(app, table["ana"]) == "confirmed" and mails(app) == before  # GET changed nothing
    assert organiser_client.post(url).status_code == 302
    assert status(app, table["ana"]) == "cancelled"


def test_removing_a_participating_organisation_asks_first(app, organiser_client, table):
    base = f"/events/{table['event']}"
    url = f"{base}/organisations/{table['host']}/delete"
    asks_first(organiser_client, base, url, "Municipalidad de Lo Prado")
    with app.app_context():
        assert db.session.get(EventOrganisation, table["host"]) is not None
    organiser_client.post(url)
    with app.app_context():
        assert db.session.get(EventOrganisation, table["host"]) is None
    assert organiser_client.get(url).status_code == 404


def test_deleting_an_agenda_item_asks_first(app, organiser_client, table):
    base = f"/events/{table['event']}"
    url = f"{base}/agenda/{table['item']}/delete"
    asks_first(organiser_client, f"{base}/agenda/manage", url, "Bienvenida")
    with app.app_context():
        assert db.session.get(AgendaItem, table["item"]) is not None
    organiser_client.post(url)
    with app.app_context():
        assert db.session.get(AgendaItem, table["item"]) is None


def test_cancelling_an_event_asks_first(app, organiser_client, table):
    base = f"/events/{table['event']}"
    html = organiser_client.get(base).text
    assert f'href="{base}/cancel"' in html and f'action="{base}/cancel"' not in html
    page = organiser_client.get(f"{base}/cancel").text
    assert 'id="cancel-event-form"' in page and "<script>" not in page
    with app.app_context():
        assert not db.session.get(Event, table["event"]).is_cancelled


def test_a_restored_registration_waits_when_the_event_is_full(app, organiser_client, table):
    base = f"/events/{table['event']}"
    page = organiser_client.get(f"{base}/participants").text
    row = page.split(f'id="registration-{table["elena"]}"')[1].split("</tr>")[0]
    assert f'action="{base}/participants/{table["elena"]}/restore"' in row
    before = mails(app)
    response = organiser_client.post(
        f"{base}/participants/{table['elena']}/restore", follow_redirects=True
    )
    assert status(app, table["elena"]) == "waiting"
    full = spanish(app, "Registration restored to the waiting list: the event is full.")
    assert full in response.text
    assert mails(app) == before + 1  # she is told
    # A place frees up: she is first in line for it.
    organiser_client.post(f"{base}/participants/{table['ana']}/remove")
    assert status(app, table["elena"]) == "confirmed"


def test_a_restored_registration_gets_a_free_place(app, organiser_client, table):
    base = f"/events/{table['event']}"
    organiser_client.post(f"{base}/participants/{table['ana']}/remove")
    response = organiser_client.post(
        f"{base}/participants/{table['elena']}/restore", follow_redirects=True
    )
    assert status(app, table["elena"]) == "confirmed"
    assert spanish(app, "Registration restored: the place is confirmed.") in response.text
    again = organiser_client.post(
        f"{base}/participants/{table['elena']}/restore", follow_redirects=True
    )
    assert spanish(app, "Only cancelled registrations can be restored.") in again.text
