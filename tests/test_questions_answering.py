"""People answer the event's own questions: the public form, their page, the invitation."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.invitations import services as invitations
from eventhub.invitations.models import Invitation
from eventhub.mail.models import OutboxMessage
from eventhub.questions import services as questions
from eventhub.questions.models import Answer, AnswerChoice, QuestionKind
from eventhub.questions.services import ChoiceSpec, QuestionSpec
from eventhub.registrations import services as registrations
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, UserFactory


def _spec(kind: QuestionKind, label: str, **fields) -> QuestionSpec:
    return QuestionSpec(kind=kind.value, label_es=label, label_en=f"{label} (en)", **fields)


def workshop_event(**event_fields) -> dict:
    """An open event asking: interpretation (yes/no) → which language (conditional, required),
    a workshop session of 1 place, a comuna, and a sensitive gender question."""
    event = EventFactory(published=True, registration_mode="open", **event_fields)
    db.session.flush()
    form = questions.ensure_event_form(event)
    questions.set_purpose(form, "Para informar al programa.", "To report to the programme.")
    interpretation = questions.add_question(
        form, _spec(QuestionKind.YES_NO, "Interpretación", required=True)
    )
    language = questions.add_question(
        form,
        _spec(
            QuestionKind.SINGLE_CHOICE,
            "Lengua",
            required=True,
            choices=[ChoiceSpec("Creole haitiano", "Haitian Creole"), ChoiceSpec("Señas")],
            condition_question_id=interpretation.id,
            condition_value="yes",
        ),
    )
    session = questions.add_question(
        form,
        _spec(
            QuestionKind.SINGLE_CHOICE,
            "Taller",
            required=True,
            choices=[ChoiceSpec("Mañana", places=1), ChoiceSpec("Tarde")],
        ),
    )
    comuna = questions.add_question(form, _spec(QuestionKind.COMUNA, "Comuna"))
    gender = questions.add_standard_question(form, "gender")
    db.session.commit()
    return {
        "event": event.id,
        "interpretation": interpretation.field_name,
        "language": language.field_name,
        "session": session.field_name,
        "comuna": comuna.field_name,
        "gender": gender.field_name,
        "gender_value": gender.choices[0].value,
        "ids": {
            "interpretation": interpretation.id,
            "language": language.id,
            "session": session.id,
            "comuna": comuna.id,
            "gender": gender.id,
        },
    }


@pytest.fixture
def workshop(app_ctx):
    return workshop_event()


def _post(w: dict, email="ana@example.org", **answers) -> dict:
    body = {"name": "Ana Pérez", "email": email, "organisation_id": ""}
    for key, value in answers.items():
        body[w.get(key, key)] = value
    return body


def _written() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(Registration.id))),
        db.session.scalar(select(func.count(Answer.id))),
        db.session.scalar(select(func.count(OutboxMessage.id))),
    )


def _answers(email: str) -> dict[int, tuple[str | None, list[str]]]:
    registration = db.session.scalars(select(Registration).where(Registration.email == email)).one()
    sheet = questions.stored_sheet(
        questions.event_questions(registration.event_id), registration.id
    )
    return {
        qid: (sheet.values.get(qid), sorted(map(str, sheet.choices.get(qid, []))))
        for qid in sheet.applicable
    }


def test_the_event_page_draws_every_question_accessibly(client, workshop):
    page = client.get(f"/events/{workshop['event']}").get_data(as_text=True)
    assert f'name="{workshop["interpretation"]}" value="yes"' in page
    # The conditional question says when it applies, for the script and for a page without one.
    assert f'data-show-if="{workshop["interpretation"]}" data-show-if-value="yes"' in page
    assert "Answer only if you answered" in page or "Responda solo si" in page
    assert 'src="/static/js/conditional-questions.js" defer' in page
    assert "<optgroup label=" in page
    # Sensitive questions last, after the purpose and the consent box.
    purpose = page.index("Para informar al programa.")
    consent = page.index('name="sensitive_consent"')
    assert purpose < consent < page.index(f'name="{workshop["gender"]}"')
    assert page.index(f'name="{workshop["comuna"]}"') < consent
    assert re.search(r"1 (place left|cupo disponible|lugar disponible)", page)


def test_every_kind_has_its_input(client, app_ctx):
    event = EventFactory(published=True, registration_mode="open")
    db.session.flush()
    form = questions.ensure_event_form(event)
    made = {
        kind: questions.add_question(
            form,
            _spec(
                kind,
                kind.value,
                display="select" if kind == QuestionKind.SINGLE_CHOICE else "radio",
                choices=[ChoiceSpec("Uno"), ChoiceSpec("Dos")]
                if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
                else [],
            ),
        ).field_name
        for kind in QuestionKind
    }
    db.session.commit()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)

    def tag(kind):
        return re.search(rf'<(input|select|textarea)[^>]*name="{made[kind]}"[^>]*>', page)[0]

    assert tag(QuestionKind.SHORT_TEXT).startswith('<input type="text"')
    assert tag(QuestionKind.LONG_TEXT).startswith("<textarea")
    assert 'inputmode="decimal"' in tag(QuestionKind.NUMBER)
    assert 'type="date"' in tag(QuestionKind.DATE)
    assert 'type="tel"' in tag(QuestionKind.PHONE) and 'autocomplete="tel"' in tag(
        QuestionKind.PHONE
    )
    assert tag(QuestionKind.SINGLE_CHOICE).startswith("<select")
    assert 'type="checkbox"' in tag(QuestionKind.MULTIPLE_CHOICE)
    assert 'type="radio"' in tag(QuestionKind.YES_NO)
    assert tag(QuestionKind.COUNTRY).startswith("<select")
    assert '<option value="CL">Chile</option>' in page
    assert tag(QuestionKind.COMUNA).startswith("<select")
    assert 'value="13101">Santiago</option>' in page
    assert f'aria-describedby="{made[QuestionKind.RUT]}-rut-hint"' in tag(QuestionKind.RUT)


def test_answers_are_stored_and_hidden_questions_are_not(client, workshop):
    ids = workshop["ids"]
    response = client.post(
        f"/events/{workshop['event']}/register",
        data=_post(
            workshop,
            interpretation="no",
            language="senas",  # sent, but the question does not apply
            session="tarde",
            comuna="13101",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = _answers("ana@example.org")
    assert set(stored) == {ids["interpretation"], ids["session"], ids["comuna"]}
    assert stored[ids["interpretation"]][0] == "no"
    assert stored[ids["comuna"]][0] == "13101"


def test_required_and_invalid_answers_come_back_beside_their_questions(client, workshop):
    response = client.post(
        f"/events/{workshop['event']}/register",
        data=_post(workshop, interpretation="yes", comuna="99999"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for name in (workshop["language"], workshop["session"], workshop["comuna"]):
        assert f'id="{name}-errors"' in page
    assert 'aria-invalid="true"' in page
    # What was sent is shown again.
    assert f'id="{workshop["interpretation"]}-yes" name="{workshop["interpretation"]}"' in page
    assert re.search(rf'name="{workshop["interpretation"]}" value="yes" checked', page)
    assert _written() == (0, 0, 0)


def test_sensitive_answers_need_consent(client, workshop):
    base = _post(workshop, interpretation="no", session="tarde")
    refused = client.post(
        f"/events/{workshop['event']}/register",
        data={**base, workshop["gender"]: workshop["gender_value"]},
    )
    assert refused.status_code == 422
    assert 'id="sensitive_consent-errors"' in refused.get_data(as_text=True)
    assert _written() == (0, 0, 0)
    accepted = client.post(
        f"/events/{workshop['event']}/register",
        data={**base, workshop["gender"]: workshop["gender_value"], "sensitive_consent": "yes"},
    )
    assert accepted.status_code == 302
    assert workshop["ids"]["gender"] in _answers("ana@example.org")
    registration = db.session.scalars(select(Registration)).one()
    assert registration.sensitive_consent_at is not None


def test_a_full_choice_is_refused_and_nothing_is_written(client, workshop):
    first = client.post(
        f"/events/{workshop['event']}/register",
        data=_post(workshop, interpretation="no", session="manana"),
    )
    assert first.status_code == 302
    before = _written()
    page = client.get(f"/events/{workshop['event']}").get_data(as_text=True)
    assert re.search(r'value="manana"[^>]* disabled', page)
    refused = client.post(
        f"/events/{workshop['event']}/register",
        data=_post(workshop, email="beto@example.org", interpretation="no", session="manana"),
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert f'id="{workshop["session"]}-errors"' in text
    assert "Mañana" in text
    assert _written() == before
    assert not db.session.scalar(
        select(Registration).where(Registration.email == "beto@example.org")
    )


def _registered(workshop, email="ana@example.org", **answers) -> str:
    """Registers through the service; the personal page's path."""
    event = db.session.get(Event, workshop["event"])
    qs = questions.event_questions(event.id)
    body = _post(workshop, email=email, **answers)
    sheet = questions.read_answers(qs, body)
    registration = registrations.register(
        event,
        registrations.RegistrantData(name="Ana", email=email, questions=qs, answers=sheet),
    )
    token = registrations.registration_token(registration)
    db.session.commit()
    return f"/r/{token}"


def test_the_registrant_edits_answers_on_their_page(client, workshop):
    path = _registered(workshop, interpretation="no", session="manana")
    page = client.get(path).get_data(as_text=True)
    # Prefilled; their own place in the full session stays theirs to keep.
    assert re.search(rf'name="{workshop["session"]}" value="manana" checked', page)
    assert not re.search(r'value="manana"[^>]* disabled', page)
    response = client.post(
        path,
        data=_post(workshop, interpretation="yes", language="senas", session="tarde"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = _answers("ana@example.org")
    assert stored[workshop["ids"]["interpretation"]][0] == "yes"
    assert workshop["ids"]["language"] in stored
    # The morning place is free again.
    assert "1 " in client.get(f"/events/{workshop['event']}").get_data(as_text=True)


def test_an_invalid_edit_is_shown_again_and_changes_nothing(client, workshop):
    path = _registered(workshop, interpretation="no", session="tarde")
    response = client.post(path, data=_post(workshop, interpretation="yes", session="tarde"))
    assert response.status_code == 422
    assert f'id="{workshop["language"]}-errors"' in response.get_data(as_text=True)
    assert _answers("ana@example.org")[workshop["ids"]["interpretation"]][0] == "no"


def test_after_the_deadline_the_answers_are_read_only(client, workshop):
    path = _registered(workshop, interpretation="no", session="tarde")
    event = db.session.get(Event, workshop["event"])
    event.registration_deadline = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    page = client.get(path).get_data(as_text=True)
    assert f'name="{workshop["session"]}"' not in page
    assert 'id="answers-closed"' in page
    assert "Tarde" in page
    # The details still change; answers sent anyway are ignored.
    body = {**_post(workshop, interpretation="yes", session="manana"), "name": "Ana María"}
    assert client.post(path, data=body).status_code == 302
    assert db.session.scalars(select(Registration.name)).one() == "Ana María"
    assert _answers("ana@example.org")[workshop["ids"]["interpretation"]][0] == "no"


def test_invitees_answer_the_same_form(client, workshop):
    event = db.session.get(Event, workshop["event"])
    admin = UserFactory(is_admin=True)
    plan = invitations.plan_invitations(event, [], False, [], "invitada@example.org", "es")
    invitations.send_invitations(event, plan, admin)
    invitation = db.session.scalars(select(Invitation)).one()
    token = invitations.invitation_token(invitation)
    db.session.commit()
    page = client.get(f"/i/{token}").get_data(as_text=True)
    assert f'name="{workshop["session"]}"' in page
    before = _written()
    refused = client.post(f"/i/{token}/accept", data={"name": "Invitada"})
    assert refused.status_code == 422
    assert f'id="{workshop["session"]}-errors"' in refused.get_data(as_text=True)
    assert _written() == before
    accepted = client.post(
        f"/i/{token}/accept",
        data={"name": "Invitada", workshop["interpretation"]: "no", workshop["session"]: "tarde"},
    )
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    assert workshop["ids"]["session"] in _answers("invitada@example.org")


def test_an_invitee_refused_a_full_choice_sees_it_beside_the_question(client, workshop):
    _registered(workshop, interpretation="no", session="manana")
    event = db.session.get(Event, workshop["event"])
    plan = invitations.plan_invitations(event, [], False, [], "invitada@example.org", "es")
    invitations.send_invitations(event, plan, UserFactory(is_admin=True))
    invitation = db.session.scalars(select(Invitation)).one()
    token = invitations.invitation_token(invitation)
    db.session.commit()
    before = _written()
    refused = client.post(
        f"/i/{token}/accept",
        data={"name": "Invitada", workshop["interpretation"]: "no", workshop["session"]: "manana"},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f'id="{workshop["session"]}-errors"' in page
    assert 'id="name-errors"' not in page
    assert _written() == before
    assert db.session.scalar(select(func.count(AnswerChoice.answer_id))) == 1


# --- what it costs -------------------------------------------------------------------------

KINDS_AND_ANSWERS = [
    (QuestionKind.SHORT_TEXT, "Algo"),
    (QuestionKind.LONG_TEXT, "Más\ntexto"),
    (QuestionKind.NUMBER, "3,5"),
    (QuestionKind.DATE, "1990-05-01"),
    (QuestionKind.YES_NO, "yes"),
    (QuestionKind.MULTIPLE_CHOICE, ["uno", "dos"]),
    (QuestionKind.PHONE, "+56 9 1234 5678"),
    (QuestionKind.COUNTRY, "HT"),
    (QuestionKind.COMUNA, "13101"),
]


def _event_asking(count: int) -> tuple[int, dict]:
    """An event with a limited session and ``count - 1`` more questions; a full answer."""
    event = EventFactory(published=True, registration_mode="open")
    db.session.flush()
    form = questions.ensure_event_form(event)
    session = questions.add_question(
        form,
        _spec(QuestionKind.SINGLE_CHOICE, "Taller", choices=[ChoiceSpec("Mañana", places=50)]),
    )
    answers: dict = {session.field_name: "manana"}
    for kind, answer in KINDS_AND_ANSWERS[: count - 1]:
        choices = [ChoiceSpec("Uno"), ChoiceSpec("Dos")] if kind.value.endswith("choice") else []
        question = questions.add_question(form, _spec(kind, kind.value, choices=choices))
        answers[question.field_name] = answer
    db.session.commit()
    return event.id, answers


@pytest.fixture
def uncached(make_app):
    return make_app(CACHE_TTL=0, FEED_CACHE_BYTES=0)


def test_the_event_page_and_the_registration_cost_the_same_whatever_the_questions(
    uncached, count_queries
):
    app = uncached
    client = app.test_client()
    with app.app_context():
        events = {size: _event_asking(size) for size in (1, 10)}

    def costs(size: int) -> tuple[int, int]:
        event_id, answers = events[size]
        client.get(f"/events/{event_id}")  # warm
        with count_queries(app) as page:
            assert client.get(f"/events/{event_id}").status_code == 200
        client.post(  # warm
            f"/events/{event_id}/register",
            data={"name": "Warm", "email": f"warm{size}@example.org", **answers},
        )
        with count_queries(app) as post:
            response = client.post(
                f"/events/{event_id}/register",
                data={"name": "Ana", "email": f"ana{size}@example.org", **answers},
            )
            assert response.status_code == 302, response.get_data(as_text=True)
        return len(page), len(post)

    small, large = costs(1), costs(10)
    assert large == small
    with app.app_context():
        assert db.session.scalar(select(func.count(Answer.id))) == 2 * 1 + 2 * 10
