"""The participants list at any size: pages, search by name, organisation and status beside the
answer filter, the counts per status of what was found, a light page at 3,000 people (the
query counts are in tests/test_query_counts.py)."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.organisations.models import Organisation
from eventhub.questions import services as questions
from eventhub.questions.models import CHOICE_KINDS, Answer, AnswerChoice, QuestionKind
from eventhub.registrations.models import Registration
from tests.factories import EventFactory

ROW = re.compile(r'<tr id="registration-(\d+)"')
LIBRARY = (
    "gender",
    "age_range",
    "nationality",
    "comuna_of_residence",
    "institution_kind",
    "interpretation",
    "accessibility",
    "dietary",
    "childcare",
)


@pytest.fixture
def app(make_app):
    return make_app(CACHE_TTL=0, FEED_CACHE_BYTES=0)


def _status(n: int) -> str:
    """Mostly confirmed; every 10th waiting, every 25th cancelled, every 40th pending."""
    if n % 40 == 39:
        return "pending"
    if n % 25 == 24:
        return "cancelled"
    if n % 10 == 9:
        return "waiting"
    return "confirmed"


def add_people(event_id: int, count: int, start: int = 0) -> None:
    """``count`` registrations in one statement: every third from the directory's
    Quilicura office, every third with a typed-in foundation, the rest with none."""
    if not count:
        return
    quilicura = db.session.scalar(
        select(Organisation.id).where(Organisation.name == "Municipalidad de Quilicura")
    )
    if quilicura is None:
        quilicura = Organisation(name="Municipalidad de Quilicura", kind="municipality")
        db.session.add(quilicura)
        db.session.flush()
        quilicura = quilicura.id
    now = datetime.now(UTC)
    rows = []
    for n in range(start, start + count):
        status = _status(n)
        rows.append(
            {
                "event_id": event_id,
                "name": f"Persona {n:04d}",
                "email": f"persona{n}@example.org",
                "language": "es",
                "organisation_id": quilicura if n % 3 == 0 else None,
                "organisation_name": "Fundación Sur" if n % 3 == 1 else None,
                "job_title": "Encargada de migraciones",
                "status": status,
                "confirmed_at": now if status == "confirmed" else None,
                "waitlisted_at": now if status == "waiting" else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(insert(Registration), rows)


def _ask(event: Event, count: int) -> None:
    """``count`` questions, from the library first, then short texts."""
    form = questions.ensure_event_form(event)
    for key in LIBRARY[:count]:
        questions.add_standard_question(form, key)
    for n in range(count - len(LIBRARY)):
        questions.add_question(
            form,
            questions.QuestionSpec(kind=QuestionKind.SHORT_TEXT.value, label_es=f"Comentario {n}"),
        )


def _answer_everyone(event_id: int) -> None:
    """Every registrant answers every question, in bulk (the first choice, yes, a code or a
    text): the answers the list shows, without a form per person."""
    asked = questions.event_questions(event_id)
    ids = db.session.scalars(select(Registration.id).where(Registration.event_id == event_id))
    now = datetime.now(UTC)
    values = {
        QuestionKind.YES_NO.value: "yes",
        QuestionKind.COUNTRY.value: "HT",
        QuestionKind.COMUNA.value: "13125",
    }
    rows = [
        {
            "registration_id": registration_id,
            "question_id": question.id,
            "value": None
            if question.kind in CHOICE_KINDS
            else values.get(question.kind, f"Respuesta de {registration_id}"),
            "created_at": now,
            "updated_at": now,
        }
        for registration_id in ids
        for question in asked
    ]
    db.session.execute(insert(Answer), rows)
    first_choice = {q.id: q.choices[0].id for q in asked if q.kind in CHOICE_KINDS}
    chosen = db.session.execute(
        select(Answer.id, Answer.question_id)
        .join(Registration, Registration.id == Answer.registration_id)
        .where(Registration.event_id == event_id, Answer.question_id.in_(first_choice))
    )
    db.session.execute(
        insert(AnswerChoice),
        [{"answer_id": answer_id, "choice_id": first_choice[q]} for answer_id, q in chosen],
    )


def event_with_people(app, people: int, asked: int = 0) -> int:
    with app.app_context():
        event = EventFactory(published=True, registration_mode="open", title="Mesa grande")
        db.session.flush()
        add_people(event.id, people)
        if asked:
            _ask(event, asked)
            _answer_everyone(event.id)
        db.session.commit()
        return event.id


def _rows(page: str) -> list[int]:
    return [int(found) for found in ROW.findall(page)]


def _status_counts(page: str) -> str:
    start = page.index('id="status-counts"')
    return re.sub(r"<[^>]+>|\s+", " ", page[start : page.index("</ul>", start)])


# --- pages ------------------------------------------------------------------------------------


def test_the_list_comes_in_pages_with_links_between_them(app, organiser_client):
    event_id = event_with_people(app, 120)
    path = f"/events/{event_id}/participants"
    first = organiser_client.get(path).text
    assert len(_rows(first)) == 50
    assert "120 personas" in first or "120 people" in first
    assert f'rel="next" href="{path}?page=2"' in first and 'rel="prev"' not in first
    assert f'href="{path}?page=3"' in first and 'aria-current="page"' in first
    pages = [_rows(organiser_client.get(f"{path}?page={n}").text) for n in (1, 2, 3)]
    assert [len(rows) for rows in pages] == [50, 50, 20]
    everyone = [one for rows in pages for one in rows]
    assert len(set(everyone)) == 120  # each person on exactly one page
    last = organiser_client.get(f"{path}?page=3").text
    assert f'rel="prev" href="{path}?page=2"' in last and 'rel="next"' not in last
    # Past the end: the last page; junk: the first.
    assert _rows(organiser_client.get(f"{path}?page=99").text) == pages[2]
    assert _rows(organiser_client.get(f"{path}?page=abc").text) == pages[0]
    assert _rows(organiser_client.get(f"{path}?page=-4").text) == pages[0]


def test_a_page_of_a_short_list_has_no_page_links(app, organiser_client):
    page = organiser_client.get(f"/events/{event_with_people(app, 7)}/participants").text
    assert len(_rows(page)) == 7 and 'class="pagination"' not in page


# --- search -----------------------------------------------------------------------------------


def test_search_by_name_organisation_and_status_counts_what_it_found(app, organiser_client):
    event_id = event_with_people(app, 120)
    path = f"/events/{event_id}/participants"
    with app.app_context():
        names = dict(db.session.execute(select(Registration.id, Registration.name)).all())
        statuses = dict(db.session.execute(select(Registration.id, Registration.status)).all())

    by_name = organiser_client.get(f"{path}?q=persona 0042").text
    assert [names[r] for r in _rows(by_name)] == ["Persona 0042"]

    # The directory's name and a typed-in one are both searched; 40 of each.
    quilicura = organiser_client.get(f"{path}?q=quilicura").text
    assert "40 personas" in quilicura or "40 people" in quilicura
    assert all(int(names[r].split()[1]) % 3 == 0 for r in _rows(quilicura))
    foundation = organiser_client.get(f"{path}?q=Fundación Sur").text
    assert len(_rows(foundation)) == 40
    assert all(int(names[r].split()[1]) % 3 == 1 for r in _rows(foundation))

    # Of Quilicura's 40 (n = 0, 3, …, 117): waiting n % 10 == 9 but not the others' ends.
    expected = {"confirmed": 0, "waiting": 0, "cancelled": 0, "pending": 0}
    for n in range(0, 120, 3):
        expected[_status(n)] += 1
    counts = _status_counts(quilicura)
    for status_word, key in (("Confirmad", "confirmed"), ("Lista de espera", "waiting")):
        assert re.search(rf"{status_word}\w*: {expected[key]}\b", counts), counts

    waiting = organiser_client.get(f"{path}?q=quilicura&status=waiting").text
    found = _rows(waiting)
    assert len(found) == expected["waiting"] and {statuses[r] for r in found} == {"waiting"}
    # The other statuses still say how many the search holds, and link to them.
    assert f"{path}?status=confirmed&amp;q=quilicura" in waiting
    assert re.search(rf"Confirmad\w*: {expected['confirmed']}\b", _status_counts(waiting))


def test_pages_keep_the_search_and_the_answer_filter(app, organiser_client):
    event_id = event_with_people(app, 0)
    with app.app_context():
        event = db.session.get(Event, event_id)
        _ask(event, 1)  # gender
        gender = questions.event_questions(event_id)[0]
        woman, man = gender.choices[0], gender.choices[1]
        add_people(event_id, 240)
        ids = db.session.scalars(
            select(Registration.id).where(Registration.event_id == event_id)
        ).all()
        for n, registration_id in enumerate(sorted(ids)):
            chose = AnswerChoice(choice_id=(woman if n % 2 else man).id)
            db.session.add(
                Answer(registration_id=registration_id, question_id=gender.id, choices=[chose])
            )
        db.session.commit()
        gender_id, woman_value = gender.id, woman.value
    path = f"/events/{event_id}/participants"
    answer = f"{gender_id}:{woman_value}"
    # 240 people, half with the answer, of whom every third is from Quilicura and none
    # (n odd, n % 3 == 0 → n % 6 == 3): 40 people, one page short of two.
    first = organiser_client.get(f"{path}?q=quilicura&answer={answer}").text
    assert "40 personas" in first or "40 people" in first
    assert 'class="pagination"' not in first

    everyone = organiser_client.get(f"{path}?answer={answer}").text
    assert "120 personas" in everyone or "120 people" in everyone
    next_link = re.search(r'rel="next" href="([^"]+)"', everyone).group(1)
    assert "answer=" in next_link and "page=2" in next_link
    second = organiser_client.get(next_link.replace("&amp;", "&")).text
    assert len(_rows(second)) == 50 and not set(_rows(second)) & set(_rows(everyone))


def test_a_search_that_finds_nobody_says_so(app, organiser_client):
    event_id = event_with_people(app, 5)
    page = organiser_client.get(f"/events/{event_id}/participants?q=zzz").text
    assert not _rows(page)
    assert "Nadie coincide." in page or "Nobody matches." in page


# --- size -------------------------------------------------------------------------------------


def test_three_thousand_people_with_ten_questions_make_a_light_page(app, organiser_client):
    event_id = event_with_people(app, 3000, asked=10)
    response = organiser_client.get(f"/events/{event_id}/participants")
    assert response.status_code == 200
    assert len(_rows(response.text)) == 50
    assert len(response.data) < 300_000, len(response.data)
    assert "3000 personas" in response.text or "3000 people" in response.text
    # The download is still of everyone, not of the page.
    csv_lines = organiser_client.get(f"/events/{event_id}/participants.csv").text.splitlines()
    assert len(csv_lines) == 3001
