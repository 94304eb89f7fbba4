import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventhub.agenda import services
from eventhub.agenda.models import AgendaItem, AgendaItemSpeaker
from eventhub.errors import DomainError
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.people.models import Speaker
from tests.factories import EventFactory, SpeakerFactory
from tests.test_registrations import spanish

# 15 Dec 2026 in Santiago is UTC-3: 09:00 local is 12:00Z.
EVENT_START = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


def local(hhmm: str, day: int = 15) -> datetime:
    return datetime.fromisoformat(f"2026-12-{day:02d}T{hhmm}")


@pytest.fixture
def event_id(create_event):
    return create_event(
        title="Mesa de Lo Prado",
        starts_at=EVENT_START,
        ends_at=EVENT_START + timedelta(hours=4),
        published=True,
    )


@pytest.fixture
def speakers(app):
    with app.app_context():
        ids = [SpeakerFactory(name=name).id for name in ("Fernando Cejudo", "Branislav Marelic")]
        db.session.commit()
        return ids


def item_data(start="09:00", end="09:30", title="Bienvenida", speakers=(), **extra):
    return services.AgendaItemData(
        title=title,
        starts_at=local(start),
        ends_at=local(end),
        speakers=[services.SpeakerSlot(s, role) for s, role in speakers],
        **extra,
    )


def add(event_id, *args, **kwargs) -> AgendaItem:
    item = services.add_item(db.session.get(Event, event_id), item_data(*args, **kwargs))
    db.session.commit()
    return item


def item_count() -> int:
    return db.session.scalar(select(func.count(AgendaItem.id)))


# --- services -------------------------------------------------------------------------------


def test_items_are_stored_in_utc_and_ordered(app_ctx, event_id):
    add(event_id, "10:00", "10:30", "Segundo")
    add(event_id, "09:00", "09:30", "Primero")
    event = db.session.get(Event, event_id)
    assert [i.title for i in event.agenda_items] == ["Primero", "Segundo"]
    assert event.agenda_items[0].starts_at == EVENT_START


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("08:30", "09:30", "starts_at"),
        ("12:30", "13:30", "ends_at"),
        ("10:00", "09:00", "ends_at"),
        ("10:00", "10:00", "ends_at"),
    ],
)
def test_items_must_lie_within_the_event(app_ctx, event_id, start, end, field):
    with pytest.raises(DomainError) as refused:
        add(event_id, start, end)
    assert refused.value.field == field
    db.session.rollback()
    assert item_count() == 0


def test_unknown_speaker_is_refused(app_ctx, event_id):
    with pytest.raises(DomainError, match="9999"):
        add(event_id, speakers=[(9999, "speaker")])
    db.session.rollback()
    assert item_count() == 0


def test_overlapping_items_allowed_but_not_for_the_same_speaker(app_ctx, event_id, speakers):
    fernando, branislav = speakers
    add(event_id, "09:00", "10:00", "Sala A", speakers=[(fernando, "speaker")])
    add(event_id, "09:30", "10:30", "Sala B", speakers=[(branislav, "speaker")])
    with pytest.raises(services.AgendaConflictError) as refused:
        add(event_id, "09:45", "10:15", "Sala C", speakers=[(fernando, "moderator")])
    message = refused.value.message
    assert "Fernando Cejudo" in message and "Sala C" in message and "Sala A" in message
    db.session.rollback()
    assert item_count() == 2
    add(event_id, "10:00", "10:30", "Back to back", speakers=[(fernando, "speaker")])


def test_double_booking_across_events(app_ctx, event_id, speakers):
    fernando = speakers[0]
    other = EventFactory(
        title="Otra mesa", starts_at=EVENT_START, ends_at=EVENT_START + timedelta(hours=2)
    )
    db.session.commit()
    add(other.id, "09:00", "10:00", "Elsewhere", speakers=[(fernando, "speaker")])
    with pytest.raises(services.AgendaConflictError, match="Otra mesa"):
        add(event_id, "09:30", "10:00", speakers=[(fernando, "speaker")])


def test_editing_an_item_does_not_clash_with_itself(app_ctx, event_id, speakers):
    item = add(event_id, "09:00", "10:00", speakers=[(speakers[0], "speaker")])
    services.update_item(
        db.session.get(Event, event_id),
        item,
        item_data(
            "09:15",
            "10:15",
            "Moved",
            speakers=[(speakers[0], "moderator"), (speakers[1], "panellist")],
        ),
    )
    db.session.commit()
    assert [(b.speaker.name, b.role) for b in item.speakers] == [
        ("Fernando Cejudo", "moderator"),
        ("Branislav Marelic", "panellist"),
    ]


def test_shift_following_items(app_ctx, event_id):
    first = add(event_id, "09:00", "09:30", "Uno")
    second = add(event_id, "09:30", "10:00", "Dos")
    add(event_id, "10:00", "10:30", "Tres")
    event = db.session.get(Event, event_id)
    moved = services.shift_following(event, second, 15)
    db.session.commit()
    assert [i.title for i in moved] == ["Dos", "Tres"]
    assert first.starts_at == EVENT_START
    assert [i.starts_at for i in event.agenda_items][1:] == [
        EVENT_START + timedelta(minutes=45),
        EVENT_START + timedelta(minutes=75),
    ]


@pytest.mark.parametrize("minutes", [0, 200, -100, 20000])
def test_bad_shifts_are_refused_and_change_nothing(app_ctx, event_id, minutes):
    add(event_id, "09:00", "09:30", "Uno")
    last = add(event_id, "12:00", "12:45", "Cierre")
    event = db.session.get(Event, event_id)
    with pytest.raises(DomainError):
        services.shift_following(event, event.agenda_items[0] if minutes < 0 else last, minutes)
    db.session.rollback()
    assert last.ends_at == EVENT_START + timedelta(hours=3, minutes=45)


def test_items_by_day_for_a_multi_day_event(app_ctx):
    event = EventFactory(starts_at=EVENT_START, ends_at=EVENT_START + timedelta(days=1, hours=4))
    db.session.commit()
    add(event.id, "09:00", "10:00", "Día uno")
    services.add_item(
        event,
        item_data(title="Día dos", start="09:00", end="10:00").__class__(
            title="Día dos", starts_at=local("09:00", 16), ends_at=local("10:00", 16)
        ),
    )
    db.session.commit()
    days = services.items_by_day(event)
    assert [(day.isoformat(), [i.title for i in items]) for day, items in days] == [
        ("2026-12-15", ["Día uno"]),
        ("2026-12-16", ["Día dos"]),
    ]


# --- pages ----------------------------------------------------------------------------------


def item_form(start="09:00", end="09:30", title="Bienvenida", speaker_rows=(), **extra):
    data = {
        "title": title,
        "kind": "talk",
        "starts_at": f"2026-12-15T{start}",
        "ends_at": f"2026-12-15T{end}",
        "location": "",
        "description": "",
    }
    for n, (speaker_id, role) in enumerate(speaker_rows):
        data[f"speakers-{n}-speaker_id"] = str(speaker_id)
        data[f"speakers-{n}-role"] = role
    data.update(extra)
    return data


def selected(page: str, name: str) -> str | None:
    """The value of the selected option of the select called ``name``."""
    select = page.split(f'name="{name}"')[1].split("</select>")[0]
    match = re.search(r'<option selected value="([^"]*)"', select) or re.search(
        r'<option value="([^"]*)" selected', select
    )
    return match[1] if match else None


def test_more_speaker_rows_without_saving(app, organiser_client, event_id, speakers):
    url = f"/events/{event_id}/agenda/new"
    page = organiser_client.get(url).text
    assert 'name="speakers-2-speaker_id"' in page and 'name="speakers-3-speaker_id"' not in page
    rows = [(speakers[0], "moderator"), ("", "speaker"), ("", "speaker")]
    form = item_form(title="Diálogo sobre la ley", speaker_rows=rows, add_row="y")
    response = organiser_client.post(url, data=form)
    assert response.status_code == 200
    page = response.text
    assert 'name="speakers-3-speaker_id"' in page and 'name="speakers-4-speaker_id"' not in page
    assert 'value="Diálogo sobre la ley"' in page  # what was typed stays
    assert selected(page, "speakers-0-speaker_id") == str(speakers[0])
    assert selected(page, "speakers-0-role") == "moderator"
    assert f'formaction="{url}#speakers"' in page
    with app.app_context():
        assert item_count() == 0  # nothing saved
    rows.append(("", "speaker"))
    again = organiser_client.post(url, data=item_form(speaker_rows=rows, add_row="y")).text
    assert 'name="speakers-4-speaker_id"' in again


def test_a_new_speaker_is_added_in_place_and_the_form_kept(
    app, organiser_client, event_id, speakers
):
    url = f"/events/{event_id}/agenda/new"
    form = item_form(
        title="Diálogo sobre la ley",
        description="Con preguntas del público",
        speaker_rows=[(speakers[0], "moderator")],
        new_speaker_name="Paula Coddou",
        new_speaker_affiliation="INDH",
        add_speaker="y",
    )
    response = organiser_client.post(url, data=form)
    assert response.status_code == 200
    page = response.text
    with app.app_context():
        paula = db.session.scalar(select(Speaker).where(Speaker.name == "Paula Coddou"))
        assert paula is not None and paula.affiliation == "INDH"
        assert item_count() == 0
    assert 'value="Diálogo sobre la ley"' in page and "Con preguntas del público" in page
    assert selected(page, "speakers-0-speaker_id") == str(speakers[0])
    assert selected(page, "speakers-1-speaker_id") == str(paula.id)
    assert 'name="new_speaker_name" type="text" value=""' in page
    saved = organiser_client.post(
        url,
        data=item_form(
            title="Diálogo sobre la ley",
            speaker_rows=[(speakers[0], "moderator"), (paula.id, "speaker")],
        ),
    )
    assert saved.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(AgendaItem))
        assert [b.speaker.name for b in item.speakers] == ["Fernando Cejudo", "Paula Coddou"]


def test_a_new_speaker_needs_a_name(app, organiser_client, event_id):
    url = f"/events/{event_id}/agenda/new"
    page = organiser_client.post(url, data=item_form(add_speaker="y")).text
    assert html.escape(spanish(app, "Type the new speaker's name.")) in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Speaker.id))) == 0 and item_count() == 0


def test_add_item_in_the_browser_form(app, organiser_client, event_id, speakers):
    form = organiser_client.get(f"/events/{event_id}/agenda/new").get_data(as_text=True)
    assert 'value="2026-12-15T09:00"' in form  # starts where the event starts
    response = organiser_client.post(
        f"/events/{event_id}/agenda/new",
        data=item_form(speaker_rows=[(speakers[0], "moderator"), ("", "speaker")]),
    )
    assert response.status_code == 302
    # Back on the agenda tab, where the manager edits the agenda.
    assert response.headers["Location"] == f"/events/{event_id}/agenda/manage#agenda"
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bienvenida" in page and "Fernando Cejudo" in page and "09:00" in page


@pytest.mark.parametrize(
    ("overrides", "error_id"),
    [
        ({"start": "08:00", "end": "08:30"}, "starts_at-errors"),
        ({"end": "08:59"}, "ends_at-errors"),
        ({"title": ""}, "title-errors"),
        ({"speaker_rows": [(9999, "speaker")]}, "speakers-errors"),
        ({"speaker_rows": [("abc", "speaker")]}, "speakers-errors"),
        ({"kind": "party"}, "kind-errors"),
    ],
)
def test_bad_items_are_refused_with_a_message(app, organiser_client, event_id, overrides, error_id):
    response = organiser_client.post(f"/events/{event_id}/agenda/new", data=item_form(**overrides))
    assert response.status_code == 200
    assert f'id="{error_id}"' in response.get_data(as_text=True)
    with app.app_context():
        assert item_count() == 0


def test_double_booking_page_names_both_items(app, organiser_client, event_id, speakers):
    organiser_client.post(
        f"/events/{event_id}/agenda/new",
        data=item_form("09:00", "10:00", "Panel A", [(speakers[0], "speaker")]),
    )
    response = organiser_client.post(
        f"/events/{event_id}/agenda/new",
        data=item_form("09:30", "10:30", "Panel B", [(speakers[0], "speaker")]),
    )
    page = response.get_data(as_text=True)
    assert "Panel A" in page and "Panel B" in page and "Fernando Cejudo" in page
    with app.app_context():
        assert item_count() == 1


def test_shift_edit_and_delete_routes(app, organiser_client, event_id):
    with app.app_context():
        first = add(event_id, "09:00", "09:30", "Uno").id
        second = add(event_id, "09:30", "10:00", "Dos").id
    assert (
        organiser_client.post(
            f"/events/{event_id}/agenda/{first}/shift", data={"minutes": "10"}
        ).status_code
        == 302
    )
    organiser_client.post(f"/events/{event_id}/agenda/{first}/shift", data={"minutes": "0"})
    organiser_client.post(f"/events/{event_id}/agenda/{first}/shift", data={"minutes": "x"})
    with app.app_context():
        assert db.session.get(AgendaItem, second).starts_at == EVENT_START + timedelta(minutes=40)
    edit = organiser_client.get(f"/events/{event_id}/agenda/{second}/edit").get_data(as_text=True)
    assert 'value="2026-12-15T09:40"' in edit
    organiser_client.post(f"/events/{event_id}/agenda/{second}/delete")
    with app.app_context():
        assert item_count() == 1
    assert organiser_client.post(f"/events/{event_id}/agenda/{second}/delete").status_code == 404


def test_items_of_another_event_are_404(app, organiser_client, event_id):
    with app.app_context():
        other = EventFactory(starts_at=EVENT_START, ends_at=EVENT_START + timedelta(hours=1))
        db.session.commit()
        item = add(event_id, "09:00", "09:30").id
        other_id = other.id
    assert organiser_client.get(f"/events/{other_id}/agenda/{item}/edit").status_code == 404


def test_anonymous_cannot_change_agenda(client, event_id):
    assert client.post(f"/events/{event_id}/agenda/new", data=item_form()).status_code == 302
    assert client.get(f"/events/{event_id}/agenda/new").status_code == 302


def test_public_page_printable_programme_and_csv(app, client, event_id, speakers):
    with app.app_context():
        add(event_id, "09:00", "09:30", "=cmd|' /C calc'!A0", speakers=[(speakers[0], "host")])
        add(event_id, "09:30", "10:00", "Derechos humanos", speakers=[(speakers[1], "speaker")])
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Derechos humanos" in page and "Branislav Marelic" in page
    assert "agenda-actions" not in page  # no controls for visitors
    programme = client.get(f"/events/{event_id}/agenda").get_data(as_text=True)
    assert "Mesa de Lo Prado" in programme and "09:30" in programme
    response = client.get(f"/events/{event_id}/agenda.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[1][1:4] == ["09:00", "09:30", "'=cmd|' /C calc'!A0"]
    assert "Fernando Cejudo" in rows[1][6]


def test_draft_event_agenda_is_not_public(app, client):
    with app.app_context():
        draft = EventFactory().id
        db.session.commit()
    assert client.get(f"/events/{draft}/agenda").status_code == 404
    assert client.get(f"/events/{draft}/agenda.csv").status_code == 404


def _queries(count_queries, app, client, path) -> int:
    with count_queries(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def _fill_agenda(app, event_id, count):
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.ends_at = EVENT_START + timedelta(hours=count)
        for n in range(count):
            speaker = SpeakerFactory()
            item = AgendaItem(
                event=event,
                title=f"Item {n}",
                kind="talk",
                starts_at=EVENT_START + timedelta(hours=n),
                ends_at=EVENT_START + timedelta(hours=n, minutes=50),
            )
            item.speakers.append(AgendaItemSpeaker(speaker=speaker, role="speaker"))
            db.session.add(item)
        db.session.commit()


@pytest.mark.parametrize("path", ["/events/{id}", "/events/{id}/agenda", "/events/{id}/agenda.csv"])
def test_event_page_query_count_constant(app, client, event_id, path, count_queries):
    _fill_agenda(app, event_id, 3)
    small = _queries(count_queries, app, client, path.format(id=event_id))
    with app.app_context():
        db.session.execute(AgendaItem.__table__.delete())
        db.session.commit()
    _fill_agenda(app, event_id, 60)
    assert _queries(count_queries, app, client, path.format(id=event_id)) == small


# --- the event's start moves ----------------------------------------------------------------


def event_edit_form(start, end, policy=None):
    data = {
        "title": "Mesa de Lo Prado",
        "kind": "round_table",
        "timezone": "America/Santiago",
        "starts_at": start,
        "ends_at": end,
        "registration_mode": "invite_only",
        "is_public": "y",
    }
    if policy:
        data["agenda_policy"] = policy
    return data


def test_moving_the_event_asks_about_the_agenda(app, organiser_client, event_id):
    with app.app_context():
        add(event_id, "09:00", "09:30", "Bienvenida")
        add(event_id, "12:30", "13:00", "Cierre")
    later = event_edit_form("2026-12-15T10:00", "2026-12-15T14:00")
    page = organiser_client.post(f"/events/{event_id}/edit", data=later).get_data(as_text=True)
    assert 'id="agenda_policy-errors"' in page
    assert "Bienvenida" in page  # would fall outside if the agenda stays
    with app.app_context():
        assert db.session.get(Event, event_id).starts_at == EVENT_START

    response = organiser_client.post(
        f"/events/{event_id}/edit", data={**later, "agenda_policy": "move"}
    )
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert [i.starts_at - event.starts_at for i in event.agenda_items] == [
            timedelta(0),
            timedelta(hours=3, minutes=30),
        ]


def test_keeping_the_agenda_when_it_would_fall_outside_is_refused(app, organiser_client, event_id):
    with app.app_context():
        add(event_id, "09:00", "09:30", "Bienvenida")
    response = organiser_client.post(
        f"/events/{event_id}/edit",
        data=event_edit_form("2026-12-15T10:00", "2026-12-15T14:00", "keep"),
    )
    assert "Bienvenida" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, event_id).starts_at == EVENT_START


def test_shortening_the_event_lists_items_outside(app, organiser_client, event_id):
    with app.app_context():
        add(event_id, "12:30", "13:00", "Cierre")
    response = organiser_client.post(
        f"/events/{event_id}/edit", data=event_edit_form("2026-12-15T09:00", "2026-12-15T12:00")
    )
    assert "Cierre" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, event_id).ends_at == EVENT_START + timedelta(hours=4)


# --- speakers -------------------------------------------------------------------------------


def test_speaker_page_lists_events_and_items(app, client, organiser, event_id, speakers):
    with app.app_context():
        add(event_id, "09:00", "09:30", "Bienvenida", speakers=[(speakers[0], "host")])
        draft = EventFactory(
            title="Borrador secreto",
            starts_at=EVENT_START + timedelta(days=1),
            ends_at=EVENT_START + timedelta(days=1, hours=1),
        )
        db.session.commit()
        hidden = services.AgendaItemData(
            title="Oculto",
            starts_at=local("09:00", 16),
            ends_at=local("09:30", 16),
            speakers=[services.SpeakerSlot(speakers[0])],
        )
        services.add_item(draft, hidden)
        db.session.commit()
    page = client.get(f"/speakers/{speakers[0]}").get_data(as_text=True)
    assert "Mesa de Lo Prado" in page and "Bienvenida" in page
    assert "Borrador secreto" not in page


def test_deleting_a_speaker_on_an_agenda_needs_confirmation(
    app, organiser_client, event_id, speakers
):
    with app.app_context():
        item = add(event_id, "09:00", "09:30", "Bienvenida", speakers=[(speakers[0], "host")]).id
    confirm = organiser_client.get(f"/speakers/{speakers[0]}/delete").get_data(as_text=True)
    assert "Bienvenida" in confirm and 'name="remove_from_agendas"' in confirm
    refused = organiser_client.post(f"/speakers/{speakers[0]}/delete")
    assert refused.status_code == 409
    with app.app_context():
        assert db.session.get(Speaker, speakers[0]) is not None
    organiser_client.post(f"/speakers/{speakers[0]}/delete", data={"remove_from_agendas": "1"})
    with app.app_context():
        assert db.session.get(Speaker, speakers[0]) is None
        assert db.session.get(AgendaItem, item).speakers == []


def test_demo_has_full_agendas(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        lo_prado = db.session.scalar(select(Event).where(Event.title.contains("Lo Prado")))
        names = {b.speaker.name for i in lo_prado.agenda_items for b in i.speakers}
        assert {"Fernando Cejudo", "Félix Martínez", "Branislav Marelic"} <= names
        asexma = db.session.scalar(select(Event).where(Event.title.contains("ASEXMA")))
        names = {b.speaker.name for i in asexma.agenda_items for b in i.speakers}
        assert names == {"Roberto Fantuzzi", "Tomás Flores", "Felipe Lopeandia", "Alex Alarcón"}
