"""Bad input the fuzz test found, kept as fast regression tests."""

import pytest

from eventhub.extensions import db
from tests.factories import EventFactory, RegistrationFactory

HUGE = "é" * 60_000  # over SQLite's 50,000-byte LIKE pattern limit


@pytest.fixture
def event_id(app):
    with app.app_context():
        registration = RegistrationFactory()
        db.session.commit()
        return registration.event_id


@pytest.mark.parametrize(
    "path",
    [
        "/events/?q={q}",
        "/organisations/?q={q}",
        "/speakers/?q={q}",
        "/events/{event_id}/participants?q={q}",
        "/events/{event_id}/checkin?q={q}",
    ],
)
def test_huge_search_is_answered(organiser_client, event_id, path):
    response = organiser_client.get(path.format(q=HUGE, event_id=event_id))
    assert response.status_code == 200


def test_event_edit_without_start_says_so(app, organiser_client):
    with app.app_context():
        event_id = EventFactory().id
        db.session.commit()
    response = organiser_client.post(
        f"/events/{event_id}/edit",
        data={
            "title": "Mesa",
            "kind": "round_table",
            "timezone": "America/Santiago",
            "ends_at": "2027-07-15T13:00",
            "registration_mode": "invite_only",
        },
    )
    assert response.status_code in (200, 422)
    assert 'id="starts_at-errors"' in response.get_data(as_text=True)


@pytest.mark.parametrize("batch", ["99999999999999999999", "-99999999999999999999", "x", "0"])
def test_invitations_page_with_an_impossible_batch_id(organiser_client, event_id, batch):
    response = organiser_client.get(f"/events/{event_id}/invitations?batch={batch}")
    assert response.status_code == 200


def test_ids_no_column_can_hold_are_junk():
    from eventhub.forms import optional_int

    assert optional_int("2147483647") == 2147483647
    assert optional_int("2147483648") == -1
    assert optional_int("99999999999999999999") == -1
    assert optional_int("") is None


@pytest.mark.parametrize(
    "website",
    ["javascript:alert(1)", "JaVaScRiPt://x.example.org/%0aalert(1)", "data:text/html,<b>x</b>"],
)
def test_script_urls_are_refused_as_websites(app, organiser_client, website):
    from sqlalchemy import func, select

    from eventhub.organisations.models import Organisation

    response = organiser_client.post(
        "/organisations/new",
        data={"name": "Municipalidad de Prueba", "kind": "municipality", "website": website},
    )
    assert response.status_code in (200, 422)
    assert 'id="website-errors"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Organisation.id))) == 0
