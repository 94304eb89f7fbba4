"""Benchmark data for registration questions: twin events, one asking 10 questions.

Two programmes, each with an upcoming round table of ``busiest_registrations`` people (300
at full size) and an earlier one of a third as many, half of whom come again (returning
participants for the figures). One programme's events ask 10 questions of mixed kinds (a
limited workshop session, a question shown on a condition, two sensitive ones); the other's
ask none. Everything else is the same, so the pages of the two measure what the questions
cost. The events are published but not public: the existing paths (events list, feeds) see
exactly the data they saw before.

The answers are what the public form would post, read by questions.services.read_answers,
so only answers the form can produce are stored.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from eventhub import tokens
from eventhub.events.models import Event, EventStatus, Programme
from eventhub.extensions import db
from eventhub.organisations.models import Organisation
from eventhub.questions import services as questions
from eventhub.questions.models import Answer, AnswerChoice, Question, QuestionKind
from eventhub.registrations.models import Registration, RegistrationStatus

# The load registers far more people than 300; a session that filled up would answer 422
# and measure the refusal instead. Large limits keep the count-then-take path on every POST.
SESSION_PLACES = 100_000
COMUNAS = ["13125", "13117", "13127", "13106", "13101", "13108", "13119", "13122"]
COUNTRIES = ["CL", "HT", "VE", "PE", "CO", "BO"]
GENDERS = ["female", "male", "female", "male", "non_binary", "prefer_not_to_say"]
KINDS = ["municipality", "central_government", "civil_society", "migrant_organisation"]


@dataclass
class Twins:
    with_questions_id: int
    without_questions_id: int
    programme_with_id: int
    programme_without_id: int
    questions: int
    registrations_each: int
    answers: int  # both events'
    answers_upcoming: int  # the measured event's, before the load adds any
    # What a browser posts for the 10 questions (the registrant's own fields not included).
    form_fields: list[tuple[str, str]]


def _build_form(event: Event) -> list[Question]:
    form = questions.ensure_event_form(event)
    questions.set_purpose(form, "Cifras del programa.", "The programme's figures.")
    for key in ("comuna_of_residence", "gender", "nationality", "institution_kind"):
        questions.add_standard_question(form, key)
    interpretation = questions.add_standard_question(form, "interpretation")
    spec = questions.QuestionSpec
    questions.add_question(
        form,
        spec(
            kind=QuestionKind.SHORT_TEXT.value,
            label_es="¿Qué otra interpretación necesita?",
            required=True,
            condition_question_id=interpretation.id,
            condition_value="other",
        ),
    )
    questions.add_question(
        form,
        spec(
            kind=QuestionKind.SINGLE_CHOICE.value,
            label_es="¿A qué taller asistirá?",
            required=True,
            choices=[
                questions.ChoiceSpec("Taller de salud", places=SESSION_PLACES, value="salud"),
                questions.ChoiceSpec("Taller de educación", places=SESSION_PLACES, value="edu"),
            ],
        ),
    )
    questions.add_standard_question(form, "childcare")
    questions.add_question(form, spec(kind=QuestionKind.PHONE.value, label_es="Teléfono"))
    questions.add_question(form, spec(kind=QuestionKind.NUMBER.value, label_es="Años en el cargo"))
    return questions.event_questions(event.id)


def _formdata(asked: list[Question], n: int) -> MultiDict:
    """Person ``n``'s answers, varied deterministically (every 7th leaves the sensitive ones
    blank, without consent; every 5th needs interpretation, every 15th an "other" one)."""
    by = {q.key or q.label_es: q for q in asked}
    data = [
        (by["comuna_of_residence"].field_name, COMUNAS[n % len(COMUNAS)]),
        (by["institution_kind"].field_name, KINDS[n % len(KINDS)]),
        (by["¿A qué taller asistirá?"].field_name, "salud" if n % 2 else "edu"),
        (by["childcare"].field_name, "yes" if n % 9 == 0 else "no"),
        (by["Teléfono"].field_name, f"+56 9 {5000_0000 + n}"),
        (by["Años en el cargo"].field_name, str(n % 20)),
    ]
    if n % 7:
        data += [
            (questions.CONSENT_FIELD, "y"),
            (by["gender"].field_name, GENDERS[n % len(GENDERS)]),
            (by["nationality"].field_name, COUNTRIES[n % len(COUNTRIES)]),
        ]
    if n % 5 == 0:
        data.append((by["interpretation"].field_name, "haitian_creole"))
    if n % 15 == 0:
        data.append((by["interpretation"].field_name, "other"))
        data.append((by["¿Qué otra interpretación necesita?"].field_name, "Quechua"))
    return MultiDict(data)


def _event(title: str, starts: datetime, host: Organisation, programme: Programme, organiser):
    return Event(
        title=title,
        kind="round_table",
        summary="Mesa del programa.",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        timezone="America/Santiago",
        venue_name="Salón OIM",
        host_organisation=host,
        programme=programme,
        registration_mode="open",
        status=EventStatus.PUBLISHED.value,
        published_at=starts - timedelta(days=120),
        is_public=False,
        created_by=organiser,
    )


def fill(now: datetime, organiser, organisations: list[Organisation], people: int) -> Twins:
    earlier_people = max(people // 3, 2)
    events: dict[str, list[Event]] = {}
    programmes = {}
    for variant in ("with", "without"):
        programme = Programme(name=f"Programa bench {variant} preguntas")
        programmes[variant] = programme
        events[variant] = [
            _event(f"Mesa bench {variant} preguntas", now + timedelta(days=30), organisations[1],
                   programme, organiser),
            _event(f"Mesa bench {variant} preguntas (anterior)", now - timedelta(days=30),
                   organisations[1], programme, organiser),
        ]  # fmt: skip
    db.session.add_all([e for pair in events.values() for e in pair])
    db.session.flush()

    rows = []
    for variant, (upcoming, earlier) in events.items():
        for event, count in ((upcoming, people), (earlier, earlier_people)):
            for n in range(count):
                # Half of the earlier event's people register for the upcoming one too.
                person = n if event is upcoming or n % 2 == 0 else people + n
                rows.append(
                    {
                        "event_id": event.id,
                        "name": f"Participante {variant} {person}",
                        "email": f"q-{variant}-{person}@example.org",
                        "language": "es",
                        "organisation_id": organisations[person % len(organisations)].id,
                        "job_title": "Oficina de Migrantes",
                        "status": RegistrationStatus.CONFIRMED.value,
                        "confirmed_at": now,
                        "checked_in_at": now if event is earlier else None,
                        "sensitive_consent_at": now if variant == "with" and n % 7 else None,
                        "token_salt": tokens.new_salt(),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    db.session.execute(Registration.__table__.insert(), rows)

    answers = 0
    answers_upcoming = 0
    asked: list[Question] = []
    for event in events["with"]:
        asked = _build_form(event)
        ids = db.session.scalars(
            select(Registration.id).where(Registration.event_id == event.id)
        ).all()
        for n, registration_id in enumerate(sorted(ids)):
            sheet = questions.read_answers(asked, _formdata(asked, n))
            assert sheet.valid, sheet.errors
            for question in asked:
                value = sheet.values.get(question.id)
                choice_ids = sheet.choices.get(question.id, [])
                if question.id not in sheet.applicable or not (value or choice_ids):
                    continue
                db.session.add(
                    Answer(
                        registration_id=registration_id,
                        question_id=question.id,
                        value=value,
                        choices=[AnswerChoice(choice_id=c) for c in choice_ids],
                    )
                )
                answers += 1
                answers_upcoming += event is events["with"][0]
        db.session.flush()
    upcoming_asked = questions.event_questions(events["with"][0].id)
    return Twins(
        with_questions_id=events["with"][0].id,
        without_questions_id=events["without"][0].id,
        programme_with_id=programmes["with"].id,
        programme_without_id=programmes["without"].id,
        questions=len(asked),
        registrations_each=people,
        answers=answers,
        answers_upcoming=answers_upcoming,
        form_fields=list(_formdata(upcoming_asked, 1).items(multi=True)),
    )
