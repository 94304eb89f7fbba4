"""A workshop session of 20 places holds when 200 people register at once (SQLite and
PostgreSQL), through the real HTTP form."""

import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from eventhub.extensions import db
from eventhub.mail.models import OutboxMessage
from eventhub.questions import services as questions
from eventhub.questions.models import Answer, AnswerChoice, QuestionChoice, QuestionKind
from eventhub.questions.services import ChoiceSpec, QuestionSpec
from eventhub.registrations.models import Registration
from tests.factories import EventFactory
from tests.test_registration_concurrency import _NoRedirect
from tests.test_registration_concurrency import live_server as _live_server

PEOPLE = 200
PLACES = 20
WORKERS = 20

# Twenty threads racing need the machine's cores: never beside another timed test (-n 2).
pytestmark = pytest.mark.xdist_group("timed")

# The capacity race's server, threaded, on the test app.
live_server = _live_server


def test_two_hundred_people_twenty_places_in_one_session(app, live_server):
    with app.app_context():
        event = EventFactory(published=True, registration_mode="open")
        db.session.flush()
        form = questions.ensure_event_form(event)
        session = questions.add_question(
            form,
            QuestionSpec(
                kind=QuestionKind.SINGLE_CHOICE.value,
                label_es="Taller",
                required=True,
                choices=[ChoiceSpec("Mañana", places=PLACES), ChoiceSpec("Tarde")],
            ),
        )
        db.session.commit()
        event_id, name = event.id, session.field_name
    url = f"{live_server}/events/{event_id}/register"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)

    busy: list[int] = []

    def post(i: int, choice: str) -> int:
        # SQLite answers 503 when its lock waited longer than busy_timeout (an overloaded
        # machine): nothing was written, and a person would press the button again.
        for _attempt in range(5):
            status = _post_once(i, choice)
            if status != 503:
                return status
            busy.append(i)
        return status

    def _post_once(i: int, choice: str) -> int:
        body = urllib.parse.urlencode(
            {
                "name": f"Persona {i}",
                "email": f"p{i}@example.org",
                "organisation_id": "",
                name: choice,
            }
        ).encode()
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (http)
        try:
            with opener.open(request, timeout=120) as response:
                return response.status
        except urllib.error.HTTPError as error:
            error.close()
            return error.code

    def person(i: int) -> tuple[int, int | None]:
        # Half take "no" for an answer; the others choose the afternoon instead.
        first = post(i, "manana")
        second = post(i, "tarde") if first == 422 and i % 2 else None
        return first, second

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(person, range(PEOPLE)))

    print(f"\n{len(busy)} retries after a busy database")
    firsts = [first for first, _ in results]
    assert firsts.count(302) == PLACES
    assert firsts.count(422) == PEOPLE - PLACES
    seconds = [second for _, second in results if second is not None]
    assert seconds == [302] * len(seconds)
    with app.app_context():
        held = dict(
            db.session.execute(
                select(QuestionChoice.value, func.count())
                .join(AnswerChoice, AnswerChoice.choice_id == QuestionChoice.id)
                .group_by(QuestionChoice.value)
            ).all()
        )
        assert held == {"manana": PLACES, "tarde": len(seconds)}
        registered = db.session.scalar(select(func.count(Registration.id)))
        assert registered == PLACES + len(seconds)
        assert db.session.scalar(select(func.count(Answer.id))) == registered
        # A refused person got no mail: the refusal rolled back the place and its message.
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == registered
