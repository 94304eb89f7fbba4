"""``flask demo``: the world of the IOM Chile newsletter (March 2017), loaded idempotently.

Everything is matched by a natural key (organisation and programme name, contact email,
speaker name, event title), so running the command again changes nothing.
"""

import secrets
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from eventhub.agenda import services as agenda_services
from eventhub.auth import services as auth_services
from eventhub.demo.data import (
    CONTACTS,
    DEMO_EMAIL,
    DEMO_NAME,
    ORGANISATIONS,
    PROGRAMME,
    SANTIAGO,
    SPEAKERS,
    newsletter_events,
    upcoming_events,
)
from eventhub.demo.followup import load_followup
from eventhub.demo.questions import load_round_table_form
from eventhub.events import services as event_services
from eventhub.events.models import Event, Programme
from eventhub.extensions import db
from eventhub.organisations.models import Contact, Organisation
from eventhub.people.models import Speaker


def _get_or_create(model, lookup: dict, **values):
    instance = db.session.scalar(select(model).filter_by(**lookup))
    if instance is None:
        instance = model(**lookup, **values)
        db.session.add(instance)
        db.session.flush()
        return instance, True
    return instance, False


def load_directory() -> dict[str, Organisation]:
    organisations = {}
    for name, kind, region, commune, website in ORGANISATIONS:
        organisations[name], _ = _get_or_create(
            Organisation,
            {"name": name},
            kind=kind,
            region=region,
            commune=commune,
            website=website,
        )
    for org_name, name, role, email, language, primary in CONTACTS:
        organisation = organisations[org_name]
        _get_or_create(
            Contact,
            {"organisation_id": organisation.id, "email": email},
            name=name,
            role=role,
            language=language,
            is_primary=primary,
        )
    for name, title, org_name, bio in SPEAKERS:
        _get_or_create(
            Speaker,
            {"name": name},
            title=title,
            organisation=organisations[org_name],
            bio=bio,
        )
    return organisations


def load_event(spec: dict, organisations: dict, programme: Programme, organiser) -> bool:
    if db.session.scalar(select(Event.id).where(Event.title == spec["title"])):
        return False
    end_day = spec.get("end_day", spec["day"])
    event = event_services.create_event(
        event_services.EventData(
            title=spec["title"],
            kind=spec["kind"],
            timezone=spec.get("timezone", SANTIAGO),
            starts_at=datetime.combine(spec["day"], spec["start"]),
            ends_at=datetime.combine(end_day, spec["end"]),
            summary=spec.get("summary"),
            description=spec.get("description"),
            venue_name=spec.get("venue_name"),
            venue_address=spec.get("venue_address"),
            host_organisation_id=organisations[spec["host"]].id,
            programme_id=programme.id if spec.get("programme") else None,
            capacity=spec.get("capacity"),
            registration_mode=spec.get("registration_mode", "invite_only"),
        ),
        organiser,
    )
    for org_name, role in spec.get("organisations", {}).items():
        event_services.set_participation(event, organisations[org_name].id, role.value)
    for item in spec.get("agenda", []):
        agenda_services.add_item(event, _agenda_item_data(spec["day"], item))
    if spec.get("publish", True):
        event_services.publish_event(event)
    return True


def _agenda_item_data(day: date, item: dict) -> agenda_services.AgendaItemData:
    speaker_ids = {
        name: db.session.execute(select(Speaker.id).where(Speaker.name == name)).scalar_one()
        for name, _ in item["speakers"]
    }
    return agenda_services.AgendaItemData(
        title=item["title"],
        kind=item["kind"],
        starts_at=datetime.combine(day, time.fromisoformat(item["start"])),
        ends_at=datetime.combine(day, time.fromisoformat(item["end"])),
        description=item.get("description"),
        speakers=[
            agenda_services.SpeakerSlot(speaker_ids[name], role) for name, role in item["speakers"]
        ],
    )


def demo_login_file() -> Path:
    configured = current_app.config.get("DEMO_LOGIN_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "demo_login.txt"


def ensure_demo_organiser():
    """The demo admin; its generated password is kept in instance/ (never in the repo)."""
    user = auth_services.find_user_by_email(DEMO_EMAIL)
    login_file = demo_login_file()
    if user is not None and login_file.exists():
        return user, login_file.read_text().strip()
    password = secrets.token_urlsafe(12)
    if user is None:
        user = auth_services.create_user(DEMO_EMAIL, DEMO_NAME, password, is_admin=True)
    else:
        auth_services.reset_password(user, password)
    login_file.write_text(password + "\n")
    login_file.chmod(0o600)
    return user, password


def load_demo(today: date | None = None) -> dict:
    today = today or datetime.now(ZoneInfo(SANTIAGO)).date()
    organiser, password = ensure_demo_organiser()
    organisations = load_directory()
    programme, _ = _get_or_create(Programme, {"name": PROGRAMME[0]}, description=PROGRAMME[1])
    created = sum(
        load_event(spec, organisations, programme, organiser)
        for spec in newsletter_events() + upcoming_events(today)
    )
    load_followup(organiser, today)
    load_round_table_form()
    return {"email": organiser.email, "password": password, "events_created": created}


@click.command("demo", help="Load the newsletter's events, people and places (idempotent).")
@with_appcontext
def demo_command():
    result = load_demo()
    db.session.commit()
    click.echo(f"Demo data loaded ({result['events_created']} new events).")
    click.echo(f"Organiser login: {result['email']} / {result['password']}")
