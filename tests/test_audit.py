"""The audit log: organiser actions recorded with the change, readable by admins."""

import html
import re
from datetime import UTC, datetime

from sqlalchemy import select

from eventhub.audit import services as audit_services
from eventhub.audit.models import AuditEntry
from eventhub.auth.models import User
from eventhub.events.models import Event, Programme
from eventhub.extensions import db
from eventhub.people.models import Speaker
from tests.conftest import login
from tests.factories import (
    ContactFactory,
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    UserFactory,
)
from tests.test_events import event_form


def entries(app, action=None) -> list[tuple]:
    with app.app_context():
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return [(e.action, e.user_email, e.event_id, e.summary) for e in db.session.scalars(stmt)]


def test_event_life_cycle_is_logged_with_who_and_what_changed(app, organiser_client):
    organiser_client.post("/events/new", data=event_form(title="Mesa de Recoleta"))
    with app.app_context():
        event_id = db.session.scalar(select(Event.id))
    organiser_client.post(
        f"/events/{event_id}/edit", data=event_form(title="Mesa de Lo Prado", capacity="40")
    )
    organiser_client.post(f"/events/{event_id}/publish")
    organiser_client.post(f"/events/{event_id}/unpublish")
    organiser_client.post(f"/events/{event_id}/cancel")
    log = entries(app)
    assert [e[0] for e in log] == [
        "event.create",
        "event.edit",
        "event.publish",
        "event.unpublish",
        "event.cancel",
    ]
    assert all(e[1] == "organiser@example.org" and e[2] == event_id for e in log)
    assert log[0][3] == "Mesa de Recoleta"
    assert "title: “Mesa de Recoleta” → “Mesa de Lo Prado”" in log[1][3]
    assert "capacity: — → 40" in log[1][3]
    assert "venue_name" not in log[1][3]  # unchanged fields are not listed


def test_refused_actions_leave_no_entry(app, organiser_client):
    with app.app_context():
        event = EventFactory(status="cancelled")  # cannot be published any more
        db.session.commit()
        event_id = event.id
    organiser_client.post(f"/events/{event_id}/publish")
    organiser_client.post(f"/events/{event_id}/edit", data=event_form(title=""))
    assert entries(app) == []


def test_non_manager_attempts_are_not_logged_as_changes(app, client, organiser):
    with app.app_context():
        UserFactory(email="other@example.org")
        event = EventFactory()
        db.session.commit()
        event_id = event.id
    login(client, "other@example.org")
    assert client.post(f"/events/{event_id}/publish").status_code == 403
    assert entries(app) == []


def test_registration_moderation_and_door_are_logged(app, organiser_client):
    with app.app_context():
        registration = RegistrationFactory(name="Rosa", email="rosa@example.org")
        db.session.commit()
        event_id, registration_id = registration.event_id, registration.id
    organiser_client.post(f"/events/{event_id}/checkin/{registration_id}")
    organiser_client.post(f"/events/{event_id}/checkin/{registration_id}", data={"undo": "1"})
    organiser_client.post(f"/events/{event_id}/participants/{registration_id}/remove")
    organiser_client.post(f"/events/{event_id}/registration/toggle")
    assert [(e[0], e[3]) for e in entries(app)] == [
        ("registration.check_in", "Rosa <rosa@example.org>"),
        ("registration.undo_check_in", "Rosa <rosa@example.org>"),
        ("registration.cancel", "Rosa <rosa@example.org>"),
        ("registration.toggle", "closed"),
    ]


def test_directory_and_account_actions_are_logged_without_event(app, admin_client):
    with app.app_context():
        organisation = OrganisationFactory(name="Municipalidad de Recoleta")
        contact = ContactFactory(
            organisation=organisation, name="Ana", email="ana@example.org", role="Jefa"
        )
        other = UserFactory(email="bea@example.org")
        db.session.commit()
        org_id, contact_id, other_id = organisation.id, contact.id, other.id
    admin_client.post(
        f"/organisations/{org_id}/contacts/{contact_id}/edit",
        data={"name": "Ana", "email": "ana@example.org", "role": "Alcaldesa", "language": "es"},
    )
    admin_client.post(f"/organisations/{org_id}/contacts/{contact_id}/delete")
    admin_client.post(f"/users/{other_id}/active", data={"active": "0"})
    log = entries(app)
    assert [e[0] for e in log] == ["contact.edit", "contact.delete", "user.deactivate"]
    assert log[0][3] == "Municipalidad de Recoleta, Ana: role: “Jefa” → “Alcaldesa”"
    assert log[1][3] == "Municipalidad de Recoleta: Ana <ana@example.org>"
    assert log[2][3] == "bea@example.org"
    assert all(e[1] == "admin@example.org" and e[2] is None for e in log)


def test_co_organiser_changes_are_logged(app, organiser_client):
    with app.app_context():
        bea = UserFactory(email="bea@example.org", name="Bea")
        event = EventFactory()
        db.session.commit()
        event_id, bea_id = event.id, bea.id
    organiser_client.post(f"/events/{event_id}/co-organisers", data={"user_id": bea_id})
    organiser_client.post(f"/events/{event_id}/co-organisers/{bea_id}/delete")
    assert [(e[0], e[3]) for e in entries(app)] == [
        ("event.co_organiser_add", "Bea <bea@example.org>"),
        ("event.co_organiser_remove", "Bea <bea@example.org>"),
    ]


def test_admin_page_filters_and_pages(make_app):
    app = make_app(AUDIT_PER_PAGE=3)
    client = app.test_client()
    with app.app_context():
        UserFactory(email="admin@example.org", name="Admin", is_admin=True)
        ana = UserFactory(email="organiser@example.org", name="Ana")
        first, second = EventFactory(title="Primera mesa"), EventFactory(title="Segunda mesa")
        db.session.commit()
        ids = first.id, second.id, ana.id
    login(client, "organiser@example.org")
    for event_id in ids[:2]:
        for _ in range(2):
            client.post(f"/events/{event_id}/registration/toggle")
    client.post("/logout")
    login(client, "admin@example.org")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "4 entries" in page or "4 entradas" in page
    assert page.count('id="entry-') == 3 and "page=2" in page
    only_second = client.get(f"/admin/audit?event={ids[1]}").get_data(as_text=True)
    assert only_second.count('id="entry-') == 2
    assert "Segunda mesa" in only_second and "Primera mesa" not in only_second
    by_user = client.get(f"/admin/audit?user={ids[2]}").get_data(as_text=True)
    assert by_user.count('id="entry-') == 3
    for junk in ("x", "-1", "99999999999", "²"):
        response = client.get(f"/admin/audit?event={junk}&user={junk}")
        assert response.status_code == 200


def test_managers_read_their_events_history_only(app, client, organiser):
    with app.app_context():
        UserFactory(email="other@example.org")
        mine, theirs = EventFactory(title="Mía"), EventFactory(title="Ajena", created_by_id=None)
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    login(client, "organiser@example.org")
    client.post(f"/events/{mine_id}/registration/toggle")
    page = client.get(f"/events/{mine_id}")
    assert f"/admin/audit?event={mine_id}" in page.get_data(as_text=True)
    assert client.get(f"/admin/audit?event={mine_id}").status_code == 200
    assert client.get(f"/admin/audit?event={theirs_id}").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    assert client.get(f"/admin/audit?event={mine_id}&user=1").status_code == 200


def test_speaker_and_programme_changes_are_logged(app, organiser_client):
    from tests.test_people import form_data

    organiser_client.post("/speakers/new", data=form_data())
    with app.app_context():
        speaker_id = db.session.scalar(select(Speaker.id))
    organiser_client.post(
        f"/speakers/{speaker_id}/edit", data=form_data(title="Director de Migraciones")
    )
    organiser_client.post(f"/speakers/{speaker_id}/delete")
    organiser_client.post("/programmes/new", data={"name": "Migrantes y Ciudades"})
    with app.app_context():
        programme_id = db.session.scalar(select(Programme.id))
    organiser_client.post(
        f"/programmes/{programme_id}/edit",
        data={"name": "Migrantes y Ciudades", "description": "Mesas intermunicipales"},
    )
    log = entries(app)
    assert [e[0] for e in log] == [
        "speaker.create",
        "speaker.edit",
        "speaker.delete",
        "programme.create",
        "programme.edit",
    ]
    assert log[0][3] == "Rodrigo Sandoval"
    assert log[1][3] == (
        "Rodrigo Sandoval: title: “Jefe de la Oficina de Migrantes” → “Director de Migraciones”"
    )
    assert log[2][3] == "Rodrigo Sandoval"
    assert log[4][3] == "Migrantes y Ciudades: description: — → “Mesas intermunicipales”"
    assert all(e[1] == "organiser@example.org" and e[2] is None for e in log)


# --- what the log page tells ---------------------------------------------------------------------


def audit_page(client, lang: str, query: str = "") -> str:
    client.post("/language", data={"lang": lang})
    return client.get(f"/admin/audit{query}").get_data(as_text=True)


def as_the_browser_sends_it(client, event_id: int) -> str:
    """The edit form's description as a browser submits it: what the page shows, in CRLF."""
    page = client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    shown = re.search(r'<textarea[^>]*name="description"[^>]*>\n?(.*?)</textarea>', page, re.S)
    return html.unescape(shown.group(1)).replace("\n", "\r\n")


def test_an_edit_with_browser_line_breaks_logs_no_description_change(app, organiser_client):
    text = "Primera parte.\r\nSegunda parte.\r\n\r\nTercera."
    organiser_client.post("/events/new", data=event_form(description=text))
    with app.app_context():
        event_id = db.session.scalar(select(Event.id))
    for capacity in ("", "30"):  # saved twice, as people do, the second time with a change
        description = as_the_browser_sends_it(organiser_client, event_id)
        organiser_client.post(
            f"/events/{event_id}/edit",
            data=event_form(description=description, capacity=capacity),
        )
    log = entries(app, "event.edit")
    assert log[0][3] == "no change"
    assert log[1][3] == "capacity: — → 30"
    with app.app_context():
        assert db.session.get(Event, event_id).description == (
            "Primera parte.\nSegunda parte.\n\nTercera."
        )


def test_the_log_shows_labels_and_times_in_the_readers_language(app, client, admin):
    with app.app_context():
        ana = UserFactory(email="ana@example.org", name="Ana")
        organisation = OrganisationFactory(name="Municipalidad de Recoleta")
        db.session.commit()
        organisation_id = organisation.id
        ana_id = ana.id
    login(client, "ana@example.org")
    client.post(
        "/events/new",
        data=event_form(title="Mesa de Madrid", timezone="Europe/Madrid"),
    )
    with app.app_context():
        event_id = db.session.scalar(select(Event.id))
    client.post(
        f"/events/{event_id}/edit",
        data={
            **event_form(title="Mesa de Madrid", timezone="Europe/Madrid"),
            "venue_name": "Casa de América",
            "registration_mode": "open",
            "is_public": "",
            "starts_at": "2026-12-15T09:00",
            "notify_registrants": "",
        },
    )
    client.post(
        f"/events/{event_id}/organisations",
        data={"organisation_id": organisation_id, "role": "co_organiser"},
    )
    client.post(f"/events/{event_id}/registration/toggle")
    with app.app_context():
        # An entry outside any event, and times fixed so the zones can be read.
        audit_services.record(db.session.get(User, ana_id), "organisation.create", "Recoleta")
        for entry in db.session.scalars(select(AuditEntry)):
            entry.created_at = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
        db.session.commit()

    english = audit_page(client, "en", f"?event={event_id}")  # the event's history page
    assert "Venue: “Municipalidad de Lo Prado” → “Casa de América”" in english
    assert "Registration: Invitation only → Open registration" in english
    assert "List in the public events list once published: Yes → No" in english
    assert "Municipalidad de Recoleta: Co-organiser" in english
    assert "Registration closed or reopened" in english and ">closed<" in english
    # 10:00 in Madrid is 09:00Z; 13:30Z is 14:30 in Madrid (CET, UTC+1).
    before, after = "Dec 15, 2026, 10:00:00\u202fAM", "Dec 15, 2026, 9:00:00\u202fAM"
    assert f"Starts: {before} (GMT+01:00) → {after} (GMT+01:00)" in english
    assert "Dec 1, 2026, 2:30:00\u202fPM (GMT+01:00)" in english
    for raw in ("venue_name", "registration_mode", "co_organiser", "is_public", "UTC"):
        assert raw not in english

    client.post("/logout")
    assert login(client, "admin@example.org").status_code == 302
    spanish = audit_page(client, "es")
    assert "Lugar: “Municipalidad de Lo Prado” → “Casa de América”" in spanish
    assert "Sí → No" in spanish
    assert "Municipalidad de Recoleta: Coorganizador" in spanish
    assert "1 dic 2026, 14:30:00 (GMT+01:00)" in spanish
    # Outside any event: America/Santiago, 10:30 in summer (UTC−3).
    assert "1 dic 2026, 10:30:00 (GMT-03:00)" in spanish
    for raw in ("venue_name", "registration_mode", "co_organiser", "in_progress", "UTC"):
        assert raw not in spanish


def test_counts_are_plural_correct_in_both_languages(app, admin_client):
    with app.app_context():
        event = EventFactory()
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        for count in (1, 2):
            audit_services.record(
                admin,
                "followup.send",
                f"{count} recipients",
                event,
                details={"count": ["recipients", count]},
            )
        db.session.commit()
    english = audit_page(admin_client, "en")
    assert "1 recipient<" in english and "2 recipients<" in english
    spanish = audit_page(admin_client, "es")
    assert "1 destinatario<" in spanish and "2 destinatarios<" in spanish
