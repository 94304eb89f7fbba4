"""The organisers' pages that build a registration form (see services.py for the rules).

A form belongs to an event (its managers build it) or to a programme, as the template its
events copy (programme pages are for every signed-in organiser). Each view answers under both
``/events/<id>/questions…`` and ``/programmes/<id>/questions…``: ``url_for`` picks the address
from the owner's argument (``Owner.args``).
"""

from dataclasses import dataclass
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from eventhub.activity import Done, encode
from eventhub.audit import display as audit_display
from eventhub.events import services as event_services
from eventhub.events.models import Event, Programme
from eventhub.events.permissions import managed_by, managed_event
from eventhub.forms import confirm_page
from eventhub.questions import bp, services
from eventhub.questions.forms import CopyForm, PurposeForm, QuestionEditForm, choice_lines
from eventhub.questions.library import STANDARD_QUESTIONS
from eventhub.questions.models import (
    CHOICE_KINDS,
    CONDITION_KINDS,
    NO,
    YES,
    Question,
    QuestionForm,
    QuestionKind,
)
from eventhub.routing import commit_change

audit_display.register_form("question", QuestionEditForm)
audit_display.register_values("direction", {"up": _l("up"), "down": _l("down")})
audit_display.register_values(
    "question_form", {"purpose": _l("the purpose of the sensitive questions")}
)

COPY_SOURCES_MAX = 200  # events offered to copy from, newest first


def _language() -> str:
    return str(get_locale())


@bp.app_template_global()
def question_count(event_id: int | None = None, programme_id: int | None = None) -> int:
    """For the event and programme pages' link to the form builder."""
    return services.question_count(event_id=event_id, programme_id=programme_id)


@dataclass
class Owner:
    """Whose form this is: an event's, or a programme's template."""

    event: Event | None = None
    programme: Programme | None = None

    @property
    def args(self) -> dict[str, Any]:  # url_for's keywords
        if self.event is not None:
            return {"event_id": self.event.id}
        assert self.programme is not None
        return {"programme_id": self.programme.id}

    @property
    def name(self) -> str:
        return self.event.title if self.event is not None else self.programme.name  # type: ignore[union-attr]

    @property
    def page(self) -> str:
        if self.event is not None:
            return url_for("events.show_event", event_id=self.event.id)
        return url_for("events.show_programme", **self.args)

    def form(self) -> QuestionForm | None:
        if self.event is not None:
            return services.event_form(self.event.id)
        assert self.programme is not None
        return services.programme_form(self.programme.id)

    def ensure_form(self) -> QuestionForm:
        if self.event is not None:
            return services.ensure_event_form(self.event)
        assert self.programme is not None
        return services.ensure_programme_form(self.programme)

    def done(self, action: str, summary: str, details: dict) -> Done:
        """The audit entry: on the event, or (a programme's template) naming the programme."""
        if self.event is None:
            summary = f"{self.name}: {summary}"
            subject = details.get("subject")
            details = {**details, "subject": f"{self.name} · {subject}" if subject else self.name}
        return Done(action, summary, self.event, details)


def _owner(event_id: int | None, programme_id: int | None) -> Owner:
    if event_id is not None:
        return Owner(event=managed_event(event_id))
    assert programme_id is not None
    return Owner(programme=event_services.get_programme(programme_id))


def _question(owner: Owner, question_id: int) -> tuple[QuestionForm, Question]:
    form = owner.form()
    if form is None:
        abort(404, description=_("That question is not in this form."))
    return form, services.get_question(form, question_id)


def _to_list(owner: Owner, question_id: int | None = None):
    anchor = f"question-{question_id}" if question_id else None
    return redirect(url_for("questions.list_questions", _anchor=anchor, **owner.args))


def _both(rule: str, **options):
    """Route a view under the event's and under the programme's address."""

    def register(view):
        view = bp.route(f"/programmes/<int:programme_id>/questions{rule}", **options)(view)
        return bp.route(f"/events/<int:event_id>/questions{rule}", **options)(view)

    return register


# --- reading the form -----------------------------------------------------------------------


def answer_label(parent: Question, value: str | None, language: str) -> str | None:
    """The answer a condition names, as the organiser reads it; None when it is gone."""
    if parent.kind == QuestionKind.YES_NO:
        return {YES: _("Yes"), NO: _("No")}.get(value or "")
    choice = parent.choice_by_value(value or "")
    return choice.label(language) if choice is not None else None


@dataclass
class Condition:
    text: str
    broken: bool = False


def _condition(question: Question, by_id: dict[int, Question], language: str) -> Condition | None:
    if question.condition_question_id is None:
        return None
    parent = by_id.get(question.condition_question_id)
    if parent is None:
        return None
    answer = answer_label(parent, question.condition_value, language)
    if answer is None:
        return Condition(
            _(
                "Shown if «%(question)s» is “%(answer)s”, an answer it no longer offers: "
                "nobody is asked this question.",
                question=parent.label(language),
                answer=question.condition_value,
            ),
            broken=True,
        )
    return Condition(
        _("Shown if «%(question)s» is %(answer)s", question=parent.label(language), answer=answer)
    )


def _list_page(owner: Owner, purpose_form: PurposeForm | None = None, status: int = 200):
    form = owner.form()
    questions = services.form_questions(form) if form is not None else []
    language = _language()
    by_id = {question.id: question for question in questions}
    asked = {question.key for question in questions if question.key}
    if purpose_form is None:
        purpose_form = PurposeForm(obj=form)
    return render_template(
        "questions/list.html",
        owner=owner,
        questions=questions,
        conditions={q.id: _condition(q, by_id, language) for q in questions},
        library=[(standard, standard.key in asked) for standard in STANDARD_QUESTIONS],
        purpose_form=purpose_form,
        asks_sensitive=any(question.sensitive for question in questions),
        language=language,
    ), status


@_both("")
@login_required
def list_questions(event_id: int | None = None, programme_id: int | None = None):
    return _list_page(_owner(event_id, programme_id))


# --- adding and editing a question ------------------------------------------------------------

FIELDS = (
    "kind",
    "label_es",
    "label_en",
    "help_es",
    "help_en",
    "required",
    "sensitive",
    "show_at_checkin",
    "display",
)


def _initial_data(question: Question | None) -> dict:
    if question is None:
        return {}
    data = {name: getattr(question, name) for name in FIELDS}
    data["choices"] = choice_lines(question.choices)
    data["condition"] = (
        f"{question.condition_question_id}:{question.condition_value}"
        if question.condition_question_id is not None
        else ""
    )
    return data


def _condition_options(
    question: Question | None, questions: list[Question], language: str
) -> list[tuple[str, str]]:
    """The answers of the earlier choice and yes/no questions this one may depend on."""
    earlier = questions if question is None else questions[: questions.index(question)]
    options = [("", _("Always"))]
    for parent in earlier:
        if parent.kind not in CONDITION_KINDS:
            continue
        if parent.kind == QuestionKind.YES_NO:
            answers = [(YES, _("Yes")), (NO, _("No"))]
        else:
            answers = [(choice.value, choice.label(language)) for choice in parent.choices]
        for value, answer in answers:
            options.append(
                (
                    f"{parent.id}:{value}",
                    _(
                        "Only if «%(question)s» is %(answer)s",
                        question=parent.label(language),
                        answer=answer,
                    ),
                )
            )
    if question is not None and question.condition_question_id is not None:
        current = f"{question.condition_question_id}:{question.condition_value}"
        if current not in {value for value, _label in options}:
            # A condition on an answer that is gone stays visible, so saving changes nothing.
            options.append((current, _("As now (an answer no longer offered)")))
    return options


def _spec(form: QuestionEditForm, question: Question | None) -> services.QuestionSpec:
    condition_id, condition_value = form.condition_parts()
    kind = form.kind.data or ""
    return services.QuestionSpec(
        kind=kind,
        label_es=form.label_es.data or "",
        label_en=form.label_en.data,
        help_es=form.help_es.data,
        help_en=form.help_en.data,
        required=form.required.data,
        sensitive=form.sensitive.data,
        show_at_checkin=form.show_at_checkin.data,
        display=form.display.data or "",
        choices=form.choice_specs(question.choices if question else [])
        if kind in CHOICE_KINDS
        else [],
        condition_question_id=condition_id,
        condition_value=condition_value,
    )


def _described(question: Question, by_id: dict[int, Question]) -> dict:
    """What the audit log compares before and after an edit."""
    described = {name: encode(getattr(question, name)) for name in FIELDS}
    described["choices"] = choice_lines(question.choices) if question.has_choices else ""
    # In no one's language: the entry is read later by others. "«¿Necesita …?» = yes".
    parent = by_id.get(question.condition_question_id or 0)
    described["condition"] = (
        f"«{parent.label_es}» = {question.condition_value}" if parent is not None else ""
    )
    return described


def _edit_details(before: dict, after: dict, subject: str) -> tuple[str, dict]:
    changed = [[name, old, after[name]] for name, old in before.items() if after[name] != old]
    summary = "; ".join(f"{name}: {old!r} → {new!r}" for name, old, new in changed)
    return f"{subject}: {summary or 'no change'}", {
        "kind": "question",
        "subject": subject,
        "changes": changed,
    }


@_both("/new", methods=["GET", "POST"])
@_both("/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(
    event_id: int | None = None, programme_id: int | None = None, question_id: int | None = None
):
    owner = _owner(event_id, programme_id)
    question = _question(owner, question_id)[1] if question_id is not None else None
    existing = owner.form()
    questions = services.form_questions(existing) if existing is not None else []
    language = _language()
    # As the other edit forms' obj=: a POST that leaves the form out keeps what is stored.
    form = QuestionEditForm(data=_initial_data(question))
    form.condition.choices = _condition_options(question, questions, language)
    if form.validate_on_submit():
        spec = _spec(form, question)
        if question is None:
            outcome = commit_change(
                lambda: services.add_question(owner.ensure_form(), spec),
                audit=lambda added: owner.done(
                    "question.add", added.label_es, {"subject": added.label_es}
                ),
                success=_("Question added."),
                form=form,
            )
        else:
            edited = question
            by_id = {q.id: q for q in questions}
            before = _described(edited, by_id)

            def recorded(_result) -> Done:
                summary, details = _edit_details(before, _described(edited, by_id), edited.label_es)
                return owner.done("question.edit", summary, details)

            outcome = commit_change(
                lambda: services.update_question(edited, spec),
                audit=recorded,
                success=_("Question saved."),
                form=form,
            )
        if outcome.done:
            saved = outcome.result if question is None else question
            return _to_list(owner, saved.id if isinstance(saved, Question) else None)
    return render_template(
        "questions/edit.html",
        owner=owner,
        form=form,
        question=question,
    ), 422 if form.is_submitted() else 200


# --- deleting, moving ---------------------------------------------------------------------------


@_both("/<int:question_id>/delete", methods=["GET", "POST"])
@login_required
def delete_question(question_id: int, event_id: int | None = None, programme_id: int | None = None):
    owner = _owner(event_id, programme_id)
    _form, question = _question(owner, question_id)
    label = question.label_es
    answers = services.answer_count(question)
    if request.method == "GET":
        details = [
            ngettext(
                "Its %(num)d answer is deleted with it.",
                "Its %(num)d answers are deleted with it.",
                answers,
            )
            if answers
            else _("Nobody has answered it yet."),
        ]
        dependents = services.dependents(question)
        if dependents:
            details.append(
                ngettext(
                    "%(num)d question was shown only on its answer; it will be asked of everyone.",
                    "%(num)d questions were shown only on its answer; they will be asked of "
                    "everyone.",
                    len(dependents),
                )
            )
        details.append(_("This cannot be undone."))
        return confirm_page(
            _("Delete the question “%(label)s”?", label=question.label(_language())),
            _("Yes, delete it"),
            url_for("questions.list_questions", **owner.args),
            details,
        )
    commit_change(
        lambda: services.delete_question(question),
        audit=owner.done(
            "question.delete",
            f"{label} ({answers} answers)",
            {"subject": label, "count": ["answers", answers]},
        ),
        success=_("Question deleted."),
    )
    return _to_list(owner)


@_both("/<int:question_id>/<any(up, down):direction>", methods=["POST"])
@login_required
def move_question(
    question_id: int,
    direction: str,
    event_id: int | None = None,
    programme_id: int | None = None,
):
    owner = _owner(event_id, programme_id)
    _form, question = _question(owner, question_id)
    commit_change(
        lambda: services.move_question(question, -1 if direction == "up" else 1),
        audit=owner.done(
            "question.move",
            f"{question.label_es} {direction}",
            {"subject": question.label_es, "value": ["direction", direction]},
        ),
        success=None,
    )
    return _to_list(owner, question.id)


@_both("/order", methods=["POST"])
@login_required
def order_questions(event_id: int | None = None, programme_id: int | None = None):
    """The order a script sends after a drag or a key press: 204, or the refusal's words
    (also flashed, for the page the script reloads)."""
    owner = _owner(event_id, programme_id)
    sent = request.form.getlist("question")
    if not all(value.isdigit() and len(value) < 12 for value in sent):
        abort(400, description=_("The order names questions by their number."))
    ids = [int(value) for value in sent]
    form = owner.form()
    if form is None:
        abort(404, description=_("This form has no questions yet."))
    outcome = commit_change(
        lambda: services.reorder(form, ids),
        audit=owner.done("question.move", "new order", {"count": ["questions", len(ids)]}),
        success=None,
    )
    if not outcome.done:
        assert outcome.refusal is not None
        return outcome.refusal.message, 409, {"Content-Type": "text/plain; charset=utf-8"}
    return "", 204


# --- the library, the purpose, copying ----------------------------------------------------------


@_both("/library", methods=["POST"])
@login_required
def add_standard_question(event_id: int | None = None, programme_id: int | None = None):
    owner = _owner(event_id, programme_id)
    key = request.form.get("key", "")
    outcome = commit_change(
        lambda: services.add_standard_question(owner.ensure_form(), key),
        audit=lambda added: owner.done(
            "question.add", f"{added.label_es} ({key})", {"subject": added.label_es}
        ),
        success=lambda added: _("“%(label)s” added.", label=added.label(_language())),
    )
    return _to_list(owner, outcome.result.id if outcome.result else None)


@_both("/purpose", methods=["POST"])
@login_required
def save_purpose(event_id: int | None = None, programme_id: int | None = None):
    owner = _owner(event_id, programme_id)
    form = PurposeForm(obj=owner.form())
    if form.validate_on_submit():
        outcome = commit_change(
            lambda: services.set_purpose(
                owner.ensure_form(), form.purpose_es.data, form.purpose_en.data
            ),
            audit=owner.done(
                "question_form.purpose",
                "purpose of the sensitive questions",
                {"value": ["question_form", "purpose"]},
            ),
            success=_("Purpose saved."),
            form=form,
        )
        if outcome.done:
            return _to_list(owner)
    return _list_page(owner, purpose_form=form, status=422)


def _copy_sources(owner: Owner) -> list[tuple[str, str]]:
    """The forms this one may copy: the event's programme template, the programmes' templates
    (for a programme), and the events the organiser manages, each with questions."""
    options: list[tuple[str, str]] = []
    for _form, programme, count in services.programme_forms_with_questions():
        if owner.programme is not None and programme.id == owner.programme.id:
            continue
        if owner.event is not None and programme.id != owner.event.programme_id:
            continue
        options.append(
            (
                f"programme:{programme.id}",
                ngettext(
                    "Template of the programme “%(name)s” (%(num)d question)",
                    "Template of the programme “%(name)s” (%(num)d questions)",
                    count,
                    name=programme.name,
                ),
            )
        )
    events = select(Event.id)
    if not current_user.is_admin:
        events = events.where(managed_by(current_user.id))
    if owner.event is not None:
        events = events.where(Event.id != owner.event.id)
    for _form, event, count in services.event_forms_with_questions(events)[:COPY_SOURCES_MAX]:
        options.append(
            (
                f"event:{event.id}",
                ngettext(
                    "%(title)s, %(date)s (%(num)d question)",
                    "%(title)s, %(date)s (%(num)d questions)",
                    count,
                    title=event.title,
                    date=event.starts_at.date().isoformat(),
                ),
            )
        )
    return options


@_both("/copy", methods=["GET", "POST"])
@login_required
def copy_questions(event_id: int | None = None, programme_id: int | None = None):
    owner = _owner(event_id, programme_id)
    form = CopyForm()
    form.source.choices = [("", _("Choose a form…")), *_copy_sources(owner)]
    if form.validate_on_submit():
        names = dict(form.source.choices)
        parts = form.source_parts()
        assert parts is not None  # one of the choices
        kind, number = parts
        source = services.event_form(number) if kind == "event" else services.programme_form(number)
        if source is None:  # gone since the page was drawn
            form.source.errors = [_("Choose a form to copy.")]
        else:
            name = str(names[form.source.data])
            outcome = commit_change(
                lambda: services.copy_form(source, owner.ensure_form()),
                audit=lambda copied: owner.done(
                    "question_form.copy",
                    f"{copied} questions from {name}",
                    {"subject": name, "count": ["questions", copied]},
                ),
                success=lambda copied: (
                    ngettext("%(num)d question copied.", "%(num)d questions copied.", copied)
                    if copied
                    else _("Nothing to copy: this form already asks those questions.")
                ),
                form=form,
            )
            if outcome.done:
                return _to_list(owner)
    return render_template(
        "questions/copy.html", owner=owner, form=form
    ), 422 if form.is_submitted() else 200
