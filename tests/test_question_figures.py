"""Figures by answer, and people across a programme: the numbers, small-count suppression in
every shared view and download, the managers' exact view, and constant query counts."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from eventhub.events.models import Event, EventManager, EventStatus
from eventhub.extensions import db
from eventhub.followup.programme import answers, disclosure
from eventhub.questions import services as questions
from eventhub.questions.models import QuestionKind
from eventhub.questions.services import ChoiceSpec, QuestionSpec
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration
from tests.conftest import login
from tests.factories import EventFactory, OrganisationFactory, ProgrammeFactory, UserFactory

SOON = datetime.now(UTC) + timedelta(days=10)
WORKSHOP = QuestionSpec(
    kind=QuestionKind.SINGLE_CHOICE.value,
    label_es="Taller",
    choices=[ChoiceSpec("Mañana"), ChoiceSpec("Tarde")],
)


def _event(programme, days: int, **fields):
    return EventFactory(
        programme=programme,
        published=True,
        registration_mode="open",
        starts_at=SOON + timedelta(days=days),
        ends_at=SOON + timedelta(days=days, hours=3),
        **fields,
    )


def _form(event, *, nationality: bool = False):
    form = questions.ensure_event_form(event)
    questions.add_standard_question(form, "gender")
    if nationality:
        questions.add_standard_question(form, "nationality")
    questions.add_question(form, WORKSHOP)
    return questions.event_questions(event.id)


def _register(event, asked, email, organisation=None, *, came=False, **answers_by_key):
    sent = MultiDict({"sensitive_consent": "1"})
    for question in asked:
        value = answers_by_key.get(question.key or "workshop")
        if value:
            sent[question.field_name] = value
    registration = registrations.register(
        event,
        registrations.RegistrantData(
            name=email.split("@")[0],
            email=email,
            organisation_id=organisation.id if organisation else None,
            questions=asked,
            answers=questions.read_answers(asked, sent),
        ),
    )
    if came:
        registrations.check_in(registration)
    return registration


@pytest.fixture
def world(app):
    return build_world(app)


def build_world(app) -> dict:
    """A programme of two events and a cancelled one.

    First table: 6 women from a municipality (5 came), 2 men from an NGO (1 came), 1 woman from
    no organisation of the directory. Second table: 5 women from another municipality, all
    came, 3 of them back from the first table (their addresses typed in other cases), 1 man
    from the NGO who did not come."""
    with app.app_context(), app.test_request_context():
        programme = ProgrammeFactory(name="Migrantes y Ciudades")
        quilicura = OrganisationFactory(kind="municipality", region="Metropolitana")
        valparaiso = OrganisationFactory(kind="municipality", region="Valparaíso")
        ngo = OrganisationFactory(kind="ngo", region="Metropolitana")
        first, second = _event(programme, 0), _event(programme, 7)
        cancelled = _event(programme, 3)
        db.session.flush()
        asked = _form(first, nationality=True)
        for n in range(6):
            _register(
                first,
                asked,
                f"mujer{n}@example.org",
                quilicura,
                came=n < 5,
                gender="female",
                nationality="VE" if n < 5 else "HT",
                workshop="manana",
            )
        for n in range(2):
            _register(first, asked, f"hombre{n}@example.org", ngo, came=n == 0, gender="male")
        _register(first, asked, "sola@example.org", gender="female", workshop="tarde")
        asked = _form(second)
        for n in range(5):
            email = f"Mujer{n}@Example.ORG" if n < 3 else f"nueva{n}@example.org"
            _register(second, asked, email, valparaiso, came=True, gender="female")
        _register(second, asked, "hombre9@example.org", ngo, gender="male", workshop="tarde")
        # A row kept from before addresses were normalised: still the same person.
        db.session.execute(
            update(Registration)
            .where(Registration.event_id == second.id, Registration.email == "mujer2@example.org")
            .values(email="MUJER2@example.org")
        )
        # The cancelled event counts for nothing.
        asked = _form(cancelled)
        _register(cancelled, asked, "fantasma@example.org", ngo, came=True, gender="male")
        cancelled.status = EventStatus.CANCELLED.value
        db.session.commit()
        return {
            "programme": programme.id,
            "first": first.id,
            "second": second.id,
            "cancelled": cancelled.id,
        }


def _events(world):
    from eventhub.followup.programme.services import programme_events

    return programme_events(world["programme"])


def _figure(report, key):
    return next(figure for figure in report.figures if figure.key == key)


def _row(figure, label):
    return next(row for row in figure.rows if row.label == label)


def _texts(pairs):
    return [(pair.registered.text, pair.attended.text) for pair in pairs]


# --- the numbers --------------------------------------------------------------------------------


def test_answers_add_up_across_the_programme_by_organisation_kind(app, world):
    with app.app_context(), app.test_request_context():
        events = answers.counted_events(_events(world))
        assert [event.id for event in events] == [world["first"], world["second"]]
        figures = answers.answer_figures([event.id for event in events], "kind", "en")
        gender = next(figure for figure in figures if figure.key == "gender")
        female = next(row for row in gender.rows if row.value == "female")
        assert dict(female.registered) == {"municipality": 11, "": 1}
        assert dict(female.attended) == {"municipality": 10, "": 0}
        male = next(row for row in gender.rows if row.value == "male")
        assert dict(male.registered) == {"ngo": 3} and dict(male.attended) == {"ngo": 1}
        # The organiser's own question, on both forms, is one figure.
        workshop = next(figure for figure in figures if figure.title == "Taller")
        assert {row.value: row.registered.total() for row in workshop.rows} == {
            "manana": 6,
            "tarde": 2,
        }
        nationality = next(figure for figure in figures if figure.key == "nationality")
        assert [(row.label, row.registered.total()) for row in nationality.rows] == [
            ("Venezuela", 5),
            ("Haiti", 1),
        ]
        by_region = answers.answer_figures([event.id for event in events], "region", "en")
        female = next(row for figure in by_region if figure.key == "gender" for row in figure.rows)
        assert dict(female.registered) == {"Metropolitana": 6, "Valparaíso": 5, "": 1}


def test_unique_people_and_first_time_versus_returning(app, world):
    with app.app_context():
        people = answers.people(answers.counted_events(_events(world)))
        assert (people.registrations, people.unique_registered) == (15, 12)
        assert (people.attendances, people.unique_attended) == (11, 8)
        first, second = people.events
        assert (first.registered_first, first.registered_returning) == (9, 0)
        assert (first.attended_first, first.attended_returning) == (6, 0)
        # Mujer0@Example.ORG, mujer1 and MUJER2 registered for and came to the first table.
        assert (second.registered_first, second.registered_returning) == (3, 3)
        assert (second.attended_first, second.attended_returning) == (2, 3)


def test_the_small_count_rule():
    assert [disclosure.cell(n).text for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    assert disclosure.total([11, 0, 1]).text == "≥12"  # never 12: 12 - 11 would give the 1
    assert disclosure.total([0, 3]).text == "<5"
    assert disclosure.total([5, 7]).value == 12
    assert disclosure.total([11, 0, 1], exact=True).value == 12
    assert disclosure.cell(3).value == "<5" and disclosure.cell(3).bar == 0


# --- the pages ----------------------------------------------------------------------------------


def _section(html: str) -> str:
    return html.split('id="answer-figures"')[1].split("</section>")[0]


def test_programme_page_hides_small_counts_in_tables_and_svg(app, organiser_client, world):
    page = organiser_client.get(f"/programmes/{world['programme']}").get_data(as_text=True)
    figures = _section(page)
    assert "exact-banner" not in figures
    gender = figures.split('id="answers-gender"')[1].split("</figure>")[0]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", gender)
    cells = {label: re.findall(r"<td>(.*?)</td>", body) for label, body in rows}
    # Columns: municipality, ngo, no organisation, total; registered then came in each.
    assert cells["Femenino"] == ["11", "10", "0", "0", "&lt;5", "0", "≥12", "10"]
    assert cells["Masculino"] == ["0", "0", "&lt;5", "&lt;5", "0", "0", "&lt;5", "&lt;5"]
    assert cells["Total"] == ["11", "10", "&lt;5", "&lt;5", "&lt;5", "0", "≥13", "≥11"]
    # The chart says no more than the table: no label, tooltip or bar for a hidden count.
    svg = gender.split("<svg")[1].split("</svg>")[0]
    assert "Masculino: Personas inscritas 3" not in svg
    assert "Masculino: Personas inscritas &lt;5" in svg
    assert re.search(r">3<|>1<|>2<|>4<", svg) is None
    # Second table: 3 returning, 3 new: both hidden; nothing of the cancelled event.
    returning = page.split('id="returning-figures"')[1].split("</table>")[0]
    assert returning.count("&lt;5") == 4
    people = page.split('id="people-figures"')[1].split("</table>")[0]
    assert re.findall(r"<td>(.*?)</td>", people) == ["15", "11", "12", "8"]


def test_exact_figures_are_for_the_managers_of_every_event(app, client, world):
    with app.app_context():
        UserFactory(email="outsider@example.org")
        manager = UserFactory(email="manager@example.org")
        for key in ("first", "second"):
            db.session.add(EventManager(event_id=world[key], user_id=manager.id))
        db.session.commit()
    url = f"/programmes/{world['programme']}?exact=1"
    login(client, "outsider@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "exact-banner" not in page and 'id="exact-link"' not in page
    assert "≥12" in _section(page)
    client.post("/logout")
    login(client, "manager@example.org")  # manages the two events counted (not the cancelled)
    shareable = client.get(f"/programmes/{world['programme']}").get_data(as_text=True)
    assert 'id="exact-link"' in shareable
    page = client.get(url).get_data(as_text=True)
    assert 'id="exact-banner"' in page
    gender = _section(page).split('id="answers-gender"')[1].split("</figure>")[0]
    assert "≥" not in gender and "&lt;5" not in gender
    assert "Masculino: Personas inscritas 3" in gender


def test_event_page_figures_for_its_managers_only(app, client, organiser_client, world):
    event = f"/events/{world['second']}"
    page = organiser_client.get(event).get_data(as_text=True)
    section = _section(page)
    assert "Taller" in section and "&lt;5" in section
    returning = section.split('id="returning-figures"')[1].split("</table>")[0]
    assert returning.count("&lt;5") == 4  # 3 first time, 3 returning; 2 and 3 came
    exact = _section(organiser_client.get(f"{event}?exact=1").get_data(as_text=True))
    returning = exact.split('id="returning-figures"')[1].split("</table>")[0]
    assert re.findall(r"<td>(.*?)</td>", returning) == ["3", "3", "2", "3"]
    with app.app_context():
        UserFactory(email="outsider@example.org")
        db.session.commit()
    organiser_client.post("/logout")
    login(client, "outsider@example.org")
    page = client.get(f"{event}?exact=1").get_data(as_text=True)
    assert 'id="answer-figures"' not in page
    assert client.get(f"{event}/answer-figures.xlsx").status_code == 403


# --- the downloads ------------------------------------------------------------------------------


def _sheet_rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_xlsx_and_csv_always_hide_small_counts(app, organiser_client, world):
    base = f"/programmes/{world['programme']}/answer-figures"
    for url in (f"{base}.xlsx", f"{base}.xlsx?exact=1"):
        rows = _sheet_rows(organiser_client.get(url))
        gender = [row for row in rows if row[0] == "Género"]
        assert ["Género", "Femenino", "Municipalidad", 11, 10] in gender
        assert ["Género", "Femenino", "Total", "≥12", 10] in gender
        assert ["Género", "Masculino", "ONG", "<5", "<5"] in gender
        assert ["Género", "Total", "Total", "≥13", "≥11"] in gender
        values = [value for row in rows for value in row[3:]]
        assert not {1, 2, 3, 4} & {v for v in values if isinstance(v, int)}
    returning = [row for row in rows if row[0] == "Participantes nuevos y que vuelven"]
    assert [row[3:] for row in returning[2:]] == [["<5", "<5"], ["<5", "<5"]]
    text = organiser_client.get(f"{base}.csv?by=region").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert ["Género", "Femenino", "Valparaíso", "5", "5"] in table
    assert ["Género", "Femenino", "Metropolitana", "6", "5"] in table
    assert not any(cell in {"1", "2", "3", "4"} for row in table[1:] for cell in row[3:])
    event = _sheet_rows(organiser_client.get(f"/events/{world['first']}/answer-figures.xlsx"))
    assert ["Nacionalidad", "Haití", "Municipalidad", "<5", 0] in event


# --- query counts -------------------------------------------------------------------------------


def _grow(app, world, events: int, people: int):
    """More events, more questions, more registrants, all in the same programme (the first
    event, whose page is counted, too)."""
    with app.app_context(), app.test_request_context():
        first = db.session.get(Event, world["first"])
        organisation = OrganisationFactory(kind="university", region="Biobío")
        grown = [first] + [_event(first.programme, 20 + day) for day in range(events)]
        db.session.flush()
        for index, event in enumerate(grown):
            if event is not first:
                _form(event, nationality=True)
            form = questions.ensure_event_form(event)
            questions.add_standard_question(form, "age_range")
            questions.add_standard_question(form, "interpretation")
            asked = questions.event_questions(event.id)
            for n in range(people):
                _register(
                    event,
                    asked,
                    f"p{index}-{n}@example.org",
                    organisation,
                    came=n % 2 == 0,
                    gender="female",
                    nationality="CL",
                    workshop="tarde",
                )
        db.session.commit()


def test_query_counts_do_not_grow_with_events_questions_or_registrants(
    app, organiser_client, world, count_queries
):
    programme = f"/programmes/{world['programme']}"
    event = f"/events/{world['first']}"

    def counts():
        result = []
        for url in (programme, f"{programme}/answer-figures.xlsx", event):
            with count_queries(app) as statements:
                assert organiser_client.get(url).status_code == 200
            result.append(len(statements))
        return result

    before = counts()
    _grow(app, world, events=3, people=8)
    assert counts() == before
