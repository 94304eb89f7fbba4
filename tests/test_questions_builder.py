"""The organisers' form builder: an event's questions, a programme's template, the library,
copying, reordering, and what the audit log keeps of it."""

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from eventhub.audit.display import describe
from eventhub.audit.models import AuditEntry
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.questions import services
from eventhub.questions.forms import keep_values, parse_choice_lines
from eventhub.questions.models import Answer, Question, QuestionKind
from eventhub.questions.services import ChoiceSpec, QuestionSpec
from eventhub.registrations import services as registrations
from tests.conftest import login
from tests.factories import EventFactory, ProgrammeFactory, UserFactory


@pytest.fixture(autouse=True)
def english(client):
    """The pages in English, where these tests read them (Spanish is the default)."""
    client.post("/language", data={"lang": "en"})


@pytest.fixture
def event_id(app, organiser):
    with app.app_context():
        event = EventFactory(published=True, registration_mode="open", created_by_id=organiser)
        db.session.commit()
        return event.id


def _questions(app, event_id=None, programme_id=None) -> list[Question]:
    with app.app_context():
        form = (
            services.event_form(event_id)
            if event_id is not None
            else services.programme_form(programme_id)
        )
        if form is None:
            return []
        questions = services.form_questions(form)
        for question in questions:
            _ = question.choices  # loaded before the context ends
        db.session.expunge_all()
        return questions


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _add(client, base: str, **fields):
    data = {"kind": "short_text", "label_es": "Cargo", "condition": ""}
    data.update(fields)
    return client.post(f"{base}/questions/new", data=data)


def _interpretation_form(app, event_id) -> tuple[int, int]:
    with app.app_context():
        event = db.session.get(Event, event_id)
        form = services.ensure_event_form(event)
        needs = services.add_question(
            form, QuestionSpec(kind=QuestionKind.YES_NO.value, label_es="¿Necesita interpretación?")
        )
        which = services.add_question(
            form,
            QuestionSpec(
                kind=QuestionKind.SINGLE_CHOICE.value,
                label_es="¿Qué lengua?",
                choices=[ChoiceSpec("Creole haitiano", "Haitian Creole"), ChoiceSpec("Señas")],
                condition_question_id=needs.id,
                condition_value="yes",
            ),
        )
        db.session.commit()
        return needs.id, which.id


# --- the list page ------------------------------------------------------------------------


def test_the_list_shows_kinds_marks_conditions_and_places(app, organiser_client, event_id):
    needs, which = _interpretation_form(app, event_id)
    with app.app_context():
        question = db.session.get(Question, which)
        services.update_question(
            question,
            QuestionSpec(
                kind=QuestionKind.SINGLE_CHOICE.value,
                label_es="¿Qué lengua?",
                required=True,
                sensitive=True,
                show_at_checkin=True,
                choices=[
                    ChoiceSpec("Creole haitiano", places=20, value="creole_haitiano"),
                    ChoiceSpec("Señas", value="senas"),
                ],
                condition_question_id=needs,
                condition_value="yes",
            ),
        )
        db.session.commit()
    page = organiser_client.get(f"/events/{event_id}/questions").get_data(as_text=True)
    assert "Shown if «¿Necesita interpretación?» is Yes" in page
    assert "Yes or no" in page and "Single choice" in page
    assert "required" in page and "sensitive" in page and "shown at check-in" in page
    assert "20 places" in page
    assert 'src="/static/js/questions-order.js" defer' in page
    assert f'id="question-{which}"' in page


def test_the_event_and_programme_pages_link_to_the_builder_with_the_count(
    app, organiser_client, event_id
):
    _interpretation_form(app, event_id)
    page = organiser_client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f'href="/events/{event_id}/questions"' in page
    assert "Registration questions (2)" in page
    with app.app_context():
        programme_id = ProgrammeFactory().id
        db.session.commit()
    page = organiser_client.get(f"/programmes/{programme_id}").get_data(as_text=True)
    assert f'href="/programmes/{programme_id}/questions"' in page
    assert "Registration questions (0)" in page


def test_only_managers_reach_the_builder(app, client, event_id):
    assert client.get(f"/events/{event_id}/questions").status_code == 302  # sign in
    with app.app_context():
        UserFactory(email="other@example.org")
        db.session.commit()
    login(client, "other@example.org")
    for path in ("/questions", "/questions/new", "/questions/copy"):
        assert client.get(f"/events/{event_id}{path}").status_code == 403
    assert _add(client, f"/events/{event_id}").status_code == 403
    assert (
        client.post(f"/events/{event_id}/questions/library", data={"key": "gender"}).status_code
        == 403
    )
    assert client.get("/events/999999/questions").status_code == 404
    assert _questions(app, event_id) == []


def test_the_list_page_writes_nothing(app, organiser_client, event_id):
    organiser_client.get(f"/events/{event_id}/questions")
    with app.app_context():
        assert services.event_form(event_id) is None  # a GET makes no form row


# --- adding and editing -------------------------------------------------------------------------


def test_adding_a_choice_question_parses_the_lines(app, organiser_client, event_id):
    response = _add(
        organiser_client,
        f"/events/{event_id}",
        kind="single_choice",
        label_es="Taller",
        label_en="Workshop",
        help_es="Elija uno",
        required="y",
        display="select",
        choices="Mañana | Morning | 20\nTarde | Afternoon\n\nNoche | 5",
    )
    assert response.status_code == 302
    (question,) = _questions(app, event_id)
    assert (question.label_es, question.label_en, question.required, question.display) == (
        "Taller",
        "Workshop",
        True,
        "select",
    )
    assert [(c.label_es, c.label_en, c.places) for c in question.choices] == [
        ("Mañana", "Morning", 20),
        ("Tarde", "Afternoon", None),
        ("Noche", None, 5),
    ]
    assert _actions(app) == ["question.add"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"label_es": ""}, "This field is required."),
        ({"kind": "nonsense"}, "Not a valid choice."),
        ({"kind": "single_choice", "choices": ""}, "Give at least one choice, one a line."),
        ({"kind": "multiple_choice", "choices": "A | B | C | D"}, "more than three parts"),
        ({"kind": "single_choice", "choices": "A | B | cero"}, "whole number from 1"),
        ({"kind": "single_choice", "choices": " | English"}, "no label in Spanish"),
        ({"kind": "single_choice", "choices": "Uno\nuno"}, "Line 2 repeats the choice “uno”."),
        ({"condition": "12345:yes"}, "Not a valid choice."),
    ],
)
def test_bad_questions_are_refused_beside_their_field(
    app, organiser_client, event_id, fields, message
):
    response = _add(organiser_client, f"/events/{event_id}", **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _questions(app, event_id) == []
    assert _actions(app) == []


def test_editing_keeps_the_choices_values_so_answers_survive(app, organiser_client, event_id):
    needs, which = _interpretation_form(app, event_id)
    with app.app_context():
        event = db.session.get(Event, event_id)
        questions = services.event_questions(event_id)
        sheet = services.read_answers(
            questions, MultiDict({f"q-{needs}": "yes", f"q-{which}": "creole_haitiano"})
        )
        registrations.register(
            event,
            registrations.RegistrantData(
                name="Rosa", email="rosa@example.org", questions=questions, answers=sheet
            ),
        )
        db.session.commit()
    edit = organiser_client.get(f"/events/{event_id}/questions/{which}/edit")
    assert "Creole haitiano | Haitian Creole" in edit.get_data(as_text=True)
    response = organiser_client.post(
        f"/events/{event_id}/questions/{which}/edit",
        data={
            "kind": "single_choice",
            "label_es": "¿Qué lengua necesita?",
            "choices": "Creole de Haití | Haitian Creole | 10\nLengua de señas",
            "condition": f"{needs}:yes",
        },
    )
    assert response.status_code == 302
    question = next(q for q in _questions(app, event_id) if q.id == which)
    assert [(c.value, c.label_es, c.places) for c in question.choices] == [
        ("creole_haitiano", "Creole de Haití", 10),
        ("senas", "Lengua de señas", None),
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count(Answer.id))) == 2
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "question.edit")
        ).one()
        told = describe(entry)
    # Told in the reader's language (here the default, Spanish), whoever made the change.
    assert "Pregunta en español: “¿Qué lengua?” → “¿Qué lengua necesita?”" in told
    assert "Opciones:" in told


def test_a_condition_is_set_and_cleared_from_the_list_of_answers(app, organiser_client, event_id):
    needs, which = _interpretation_form(app, event_id)
    page = organiser_client.get(f"/events/{event_id}/questions/new").get_data(as_text=True)
    assert f'value="{needs}:yes"' in page and f'value="{which}:senas"' in page
    assert "Only if «¿Qué lengua?» is Señas" in page
    response = _add(
        organiser_client, f"/events/{event_id}", label_es="¿Qué región?", condition=f"{which}:senas"
    )
    assert response.status_code == 302
    added = _questions(app, event_id)[-1]
    assert (added.condition_question_id, added.condition_value) == (which, "senas")
    # Its own edit page offers only the questions above it, never itself.
    page = organiser_client.get(f"/events/{event_id}/questions/{needs}/edit").get_data(as_text=True)
    assert f'value="{which}:senas"' not in page and f'value="{needs}:yes"' not in page
    response = organiser_client.post(
        f"/events/{event_id}/questions/{added.id}/edit",
        data={"kind": "short_text", "label_es": "¿Qué región?", "condition": ""},
    )
    assert response.status_code == 302
    assert _questions(app, event_id)[-1].condition_question_id is None


def test_a_condition_on_a_text_question_is_refused(app, organiser_client, event_id):
    _add(organiser_client, f"/events/{event_id}", label_es="Cargo")
    (text,) = _questions(app, event_id)
    response = _add(organiser_client, f"/events/{event_id}", condition=f"{text.id}:yes")
    assert response.status_code == 422  # not offered, so not a valid choice


def test_a_standard_question_keeps_its_kind(app, organiser_client, event_id):
    organiser_client.post(f"/events/{event_id}/questions/library", data={"key": "gender"})
    (gender,) = _questions(app, event_id)
    response = organiser_client.post(
        f"/events/{event_id}/questions/{gender.id}/edit",
        data={"kind": "short_text", "label_es": "Género", "condition": ""},
    )
    assert response.status_code == 422
    assert "A standard question keeps its kind" in response.get_data(as_text=True)


def test_an_empty_post_to_edit_keeps_the_question(app, organiser_client, event_id):
    needs, which = _interpretation_form(app, event_id)
    response = organiser_client.post(f"/events/{event_id}/questions/{which}/edit")
    assert response.status_code == 302
    question = next(q for q in _questions(app, event_id) if q.id == which)
    assert [c.value for c in question.choices] == ["creole_haitiano", "senas"]
    assert question.condition_question_id == needs
    # An unconditional one too (its list of conditions says "Always").
    assert organiser_client.post(f"/events/{event_id}/questions/{needs}/edit").status_code == 302


def test_another_events_question_is_not_found(app, organiser_client, event_id):
    _needs, which = _interpretation_form(app, event_id)
    with app.app_context():
        other = EventFactory(created_by_id=db.session.scalar(select(Event.created_by_id)))
        db.session.commit()
        other_id = other.id
    assert organiser_client.get(f"/events/{other_id}/questions/{which}/edit").status_code == 404
    assert organiser_client.post(f"/events/{other_id}/questions/{which}/delete").status_code == 404


# --- deleting -------------------------------------------------------------------------------


def test_deleting_says_how_many_answers_go_and_frees_its_dependents(
    app, organiser_client, event_id
):
    needs, which = _interpretation_form(app, event_id)
    page = organiser_client.get(f"/events/{event_id}/questions/{needs}/delete")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nobody has answered it yet." in text
    assert "1 question was shown only on its answer" in text
    assert organiser_client.post(f"/events/{event_id}/questions/{needs}/delete").status_code == 302
    (left,) = _questions(app, event_id)
    assert (left.id, left.condition_question_id, left.condition_value) == (which, None, None)
    assert "question.delete" in _actions(app)


# --- moving ---------------------------------------------------------------------------------


def test_up_and_down_buttons_move_a_question(app, organiser_client, event_id):
    _add(organiser_client, f"/events/{event_id}", label_es="Uno")
    _add(organiser_client, f"/events/{event_id}", label_es="Dos")
    one, two = (q.id for q in _questions(app, event_id))
    response = organiser_client.post(f"/events/{event_id}/questions/{two}/up")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{event_id}/questions#question-{two}")
    assert [q.id for q in _questions(app, event_id)] == [two, one]
    organiser_client.post(f"/events/{event_id}/questions/{two}/down")
    assert [q.id for q in _questions(app, event_id)] == [one, two]
    assert _actions(app).count("question.move") == 2


def test_a_conditional_question_stays_below_its_condition(app, organiser_client, event_id):
    needs, which = _interpretation_form(app, event_id)
    response = organiser_client.post(f"/events/{event_id}/questions/{which}/up")
    assert response.status_code == 302
    assert [q.id for q in _questions(app, event_id)] == [needs, which]
    page = organiser_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "stays below that question" in page
    assert "question.move" not in _actions(app)


def test_the_script_posts_the_whole_order(app, organiser_client, event_id):
    needs, which = _interpretation_form(app, event_id)
    _add(organiser_client, f"/events/{event_id}", label_es="Cargo")
    cargo = _questions(app, event_id)[-1].id
    url = f"/events/{event_id}/questions/order"
    response = organiser_client.post(url, data={"question": [cargo, needs, which]})
    assert response.status_code == 204
    assert [q.id for q in _questions(app, event_id)] == [cargo, needs, which]
    refused = organiser_client.post(url, data={"question": [which, needs, cargo]})
    assert refused.status_code == 409
    assert "stays below that question" in refused.get_data(as_text=True)
    assert organiser_client.post(url, data={"question": [cargo, needs]}).status_code == 409
    assert organiser_client.post(url, data={"question": ["x"]}).status_code == 400
    assert [q.id for q in _questions(app, event_id)] == [cargo, needs, which]
    assert _actions(app).count("question.move") == 1


# --- the library and the purpose ------------------------------------------------------------


def test_a_standard_question_is_added_once(app, organiser_client, event_id):
    url = f"/events/{event_id}/questions/library"
    assert organiser_client.post(url, data={"key": "interpretation"}).status_code == 302
    again = organiser_client.post(url, data={"key": "interpretation"}, follow_redirects=True)
    assert "This form already asks that question." in again.get_data(as_text=True)
    unknown = organiser_client.post(url, data={"key": "shoe_size"}, follow_redirects=True)
    assert "There is no such standard question." in unknown.get_data(as_text=True)
    (question,) = _questions(app, event_id)
    assert question.key == "interpretation" and question.show_at_checkin
    page = organiser_client.get(f"/events/{event_id}/questions").get_data(as_text=True)
    assert "in this form" in page
    assert _actions(app) == ["question.add"]


def test_the_purpose_is_saved_and_refused_when_too_long(app, organiser_client, event_id):
    url = f"/events/{event_id}/questions/purpose"
    response = organiser_client.post(
        url, data={"purpose_es": "Para informar al programa.", "purpose_en": "To report."}
    )
    assert response.status_code == 302
    with app.app_context():
        form = services.event_form(event_id)
        assert form is not None and form.purpose_es == "Para informar al programa."
    assert organiser_client.post(url, data={"purpose_es": "x" * 5000}).status_code == 422
    assert _actions(app) == ["question_form.purpose"]


# --- copying --------------------------------------------------------------------------------


def test_copying_from_another_managed_event(app, organiser_client, event_id, organiser):
    _interpretation_form(app, event_id)
    with app.app_context():
        target = EventFactory(created_by_id=organiser).id
        hidden = EventFactory(created_by_id=None)  # managed by admins only: not offered
        services.add_question(
            services.ensure_event_form(hidden), QuestionSpec(kind="short_text", label_es="X")
        )
        db.session.commit()
        hidden_id = hidden.id
    page = organiser_client.get(f"/events/{target}/questions/copy").get_data(as_text=True)
    assert f'value="event:{event_id}"' in page and "(2 questions)" in page
    assert f'value="event:{hidden_id}"' not in page
    refused = organiser_client.post(
        f"/events/{target}/questions/copy", data={"source": f"event:{hidden_id}"}
    )
    assert refused.status_code == 422
    response = organiser_client.post(
        f"/events/{target}/questions/copy", data={"source": f"event:{event_id}"}
    )
    assert response.status_code == 302
    copied = _questions(app, target)
    assert [q.label_es for q in copied] == ["¿Necesita interpretación?", "¿Qué lengua?"]
    assert copied[1].condition_question_id == copied[0].id
    assert copied[1].condition_value == "yes"
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "question_form.copy")
        ).one()
        assert entry.event_id == target
        assert describe(entry).endswith(": 2 preguntas")


def test_a_programme_template_is_built_and_copied_into_its_event(app, organiser_client, organiser):
    with app.app_context():
        programme = ProgrammeFactory(name="Migrantes y Ciudades")
        db.session.flush()
        event = EventFactory(created_by_id=organiser, programme_id=programme.id)
        db.session.commit()
        programme_id, target = programme.id, event.id
    base = f"/programmes/{programme_id}"
    assert organiser_client.get(f"{base}/questions").status_code == 200
    assert (
        organiser_client.post(f"{base}/questions/library", data={"key": "gender"}).status_code
        == 302
    )
    assert _add(organiser_client, base, label_es="Cargo").status_code == 302
    assert _add(organiser_client, base, label_es="").status_code == 422
    template = _questions(app, programme_id=programme_id)
    assert [q.label_es for q in template] == ["Género", "Cargo"]
    edit = organiser_client.post(
        f"{base}/questions/{template[1].id}/edit",
        data={"kind": "long_text", "label_es": "Cargo y funciones", "condition": ""},
    )
    assert edit.status_code == 302
    assert organiser_client.post(f"{base}/questions/{template[1].id}/up").status_code == 302
    page = organiser_client.get(f"/events/{target}/questions/copy").get_data(as_text=True)
    assert f'value="programme:{programme_id}"' in page
    assert "Template of the programme “Migrantes y Ciudades” (2 questions)" in page
    response = organiser_client.post(
        f"/events/{target}/questions/copy", data={"source": f"programme:{programme_id}"}
    )
    assert response.status_code == 302
    assert [q.label_es for q in _questions(app, target)] == ["Cargo y funciones", "Género"]
    # The same standard question is not copied twice.
    again = organiser_client.post(
        f"/events/{target}/questions/copy",
        data={"source": f"programme:{programme_id}"},
        follow_redirects=True,
    )
    assert "1 question copied." in again.get_data(as_text=True)
    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    programme_entries = [e for e in entries if e.event_id is None]
    assert [e.action for e in programme_entries] == [
        "question.add",
        "question.add",
        "question.edit",
        "question.move",
    ]
    assert all(e.summary.startswith("Migrantes y Ciudades: ") for e in programme_entries)
    assert [e.action for e in entries if e.event_id == target] == ["question_form.copy"] * 2


def test_programme_questions_of_another_programme_are_not_found(app, organiser_client):
    with app.app_context():
        first, second = ProgrammeFactory(), ProgrammeFactory()
        db.session.flush()
        question = services.add_question(
            services.ensure_programme_form(first), QuestionSpec(kind="date", label_es="Fecha")
        )
        db.session.commit()
        second_id, question_id = second.id, question.id
    url = f"/programmes/{second_id}/questions/{question_id}/edit"
    assert organiser_client.get(url).status_code == 404
    assert organiser_client.get("/programmes/999999/questions").status_code == 404


# --- the pieces -----------------------------------------------------------------------------


def test_choice_lines_parse_and_keep_their_values(app_ctx):
    specs = parse_choice_lines("Mañana | Morning | 20\n\n  Tarde  \nNoche | 3")
    assert [(s.label_es, s.label_en, s.places) for s in specs] == [
        ("Mañana", "Morning", 20),
        ("Tarde", None, None),
        ("Noche", None, 3),
    ]
    with pytest.raises(ValueError, match="cupos"):
        parse_choice_lines("A | B | 0")

    class Choice:
        def __init__(self, value, es, en=None):
            self.value, self.label_es, self.label_en = value, es, en

    existing = [Choice("a", "Uno"), Choice("b", "Dos", "Two")]
    # Same labels (either language) keep their values, whatever the order.
    kept = keep_values(parse_choice_lines("two\nUNO\nTres"), existing)  # type: ignore[arg-type]
    assert [s.value for s in kept] == ["b", "a", None]
    # The same number of lines: an edited label keeps the value of its line.
    kept = keep_values(parse_choice_lines("Uno\nDos y medio"), existing)  # type: ignore[arg-type]
    assert [s.value for s in kept] == ["a", "b"]


def test_the_builder_pages_query_the_same_however_many_questions(
    app, organiser_client, event_id, count_queries
):
    _needs, which = _interpretation_form(app, event_id)
    pages = (f"/events/{event_id}/questions", f"/events/{event_id}/questions/new")

    def counts() -> list[int]:
        found = []
        for page in pages:
            with count_queries(app) as statements:
                assert organiser_client.get(page).status_code == 200
            found.append(len(statements))
        return found

    before = counts()
    with app.app_context():
        form = services.event_form(event_id)
        assert form is not None
        for number in range(6):
            services.add_question(
                form,
                QuestionSpec(
                    kind=QuestionKind.MULTIPLE_CHOICE.value,
                    label_es=f"Pregunta {number}",
                    choices=[ChoiceSpec(f"Opción {n}", places=n + 1) for n in range(4)],
                    condition_question_id=which,
                    condition_value="senas",
                ),
            )
        db.session.commit()
    assert counts() == before
