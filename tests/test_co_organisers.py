"""Who manages an event: admins, its creator and its co-organisers; others only read it."""

from eventhub.events.models import Event, EventManager
from eventhub.extensions import db
from tests.conftest import login
from tests.factories import EventFactory, UserFactory


def _people(app):
    """An event created by Ana; Bea and Carla are other organisers; Dora is an admin."""
    with app.app_context():
        ana = UserFactory(email="ana@example.org", name="Ana")
        bea = UserFactory(email="bea@example.org", name="Bea")
        carla = UserFactory(email="carla@example.org", name="Carla")
        UserFactory(email="dora@example.org", name="Dora", is_admin=True)
        UserFactory(email="gone@example.org", name="Gone", active=False)
        event = EventFactory(created_by_id=ana.id)
        db.session.commit()
        return event.id, ana.id, bea.id, carla.id


def _managers(app, event_id):
    with app.app_context():
        return sorted(
            m.user.email
            for m in db.session.scalars(
                db.select(EventManager).where(EventManager.event_id == event_id)
            )
        )


def test_non_manager_reads_the_event_but_cannot_manage_it(app, client):
    event_id, _, _, _ = _people(app)
    login(client, "bea@example.org")
    page = client.get(f"/events/{event_id}")
    assert page.status_code == 200
    assert f"/events/{event_id}/edit" not in page.get_data(as_text=True)
    assert "co-organisers" in page.get_data(as_text=True)  # the section lists who manages it
    assert client.get("/events/").status_code == 200
    refused = client.get(f"/events/{event_id}/edit")
    assert refused.status_code == 403
    assert "Usted no gestiona este evento" in refused.get_data(as_text=True)  # Spanish first
    assert client.post(f"/events/{event_id}/publish").status_code == 403
    assert client.get(f"/events/{event_id}/participants").status_code == 403
    with app.app_context():
        assert db.session.get(Event, event_id).status == "draft"


def test_creator_adds_a_co_organiser_who_then_manages(app, client):
    event_id, _, bea_id, _ = _people(app)
    login(client, "ana@example.org")
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Bea &lt;bea@example.org&gt;" in page
    assert "gone@example.org" not in page  # inactive accounts are not offered
    assert "dora@example.org" not in page  # admins manage everything already
    response = client.post(f"/events/{event_id}/co-organisers", data={"user_id": bea_id})
    assert response.status_code == 302
    assert _managers(app, event_id) == ["bea@example.org"]
    client.post("/logout")
    login(client, "bea@example.org")
    assert client.get(f"/events/{event_id}/edit").status_code == 200
    assert client.post(f"/events/{event_id}/publish").status_code == 302
    with app.app_context():
        assert db.session.get(Event, event_id).status == "published"


def test_adding_twice_or_an_unknown_account_changes_nothing(app, client):
    event_id, ana_id, bea_id, _ = _people(app)
    login(client, "ana@example.org")
    client.post(f"/events/{event_id}/co-organisers", data={"user_id": bea_id})
    for user_id in (bea_id, ana_id, 99999, "x", ""):
        response = client.post(
            f"/events/{event_id}/co-organisers", data={"user_id": user_id}, follow_redirects=True
        )
        assert response.status_code == 200
    assert _managers(app, event_id) == ["bea@example.org"]


def test_non_manager_cannot_add_themselves(app, client):
    event_id, _, bea_id, _ = _people(app)
    login(client, "bea@example.org")
    response = client.post(f"/events/{event_id}/co-organisers", data={"user_id": bea_id})
    assert response.status_code == 403
    assert _managers(app, event_id) == []


def test_creator_cannot_be_removed_except_by_an_admin(app, client):
    event_id, ana_id, bea_id, _ = _people(app)
    login(client, "ana@example.org")
    client.post(f"/events/{event_id}/co-organisers", data={"user_id": bea_id})
    client.post("/logout")
    login(client, "bea@example.org")
    page = client.post(
        f"/events/{event_id}/co-organisers/{ana_id}/delete", follow_redirects=True
    ).get_data(as_text=True)
    assert "No se puede quitar a quien creó el evento." in page
    with app.app_context():
        assert db.session.get(Event, event_id).created_by_id == ana_id
    client.post("/logout")
    login(client, "dora@example.org")
    client.post(f"/events/{event_id}/co-organisers/{ana_id}/delete")
    with app.app_context():
        assert db.session.get(Event, event_id).created_by_id is None
    client.post("/logout")
    login(client, "ana@example.org")
    assert client.get(f"/events/{event_id}/edit").status_code == 403


def test_removed_co_organiser_loses_access(app, client):
    event_id, _, bea_id, _ = _people(app)
    login(client, "ana@example.org")
    client.post(f"/events/{event_id}/co-organisers", data={"user_id": bea_id})
    client.post(f"/events/{event_id}/co-organisers/{bea_id}/delete")
    assert _managers(app, event_id) == []
    client.post("/logout")
    login(client, "bea@example.org")
    assert client.get(f"/events/{event_id}/edit").status_code == 403


def test_co_organised_events_are_in_the_organisers_own_calendar(app, client):
    event_id, _, bea_id, _ = _people(app)
    login(client, "ana@example.org")
    client.post(f"/events/{event_id}/co-organisers", data={"user_id": bea_id})
    client.post("/logout")
    login(client, "bea@example.org")
    client.post("/account/calendar")
    page = client.get("/account/calendar").get_data(as_text=True)
    feed = page.split("/feeds/", 1)[1].split(".ics", 1)[0]
    with app.app_context():
        uid = db.session.get(Event, event_id).uid
    assert uid in client.get(f"/feeds/{feed}.ics").get_data(as_text=True)
