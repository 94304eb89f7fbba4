"""The organisers' forms for building a registration form (the answers' form is built from the
questions themselves, in services.read_answers)."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventhub.questions.models import (
    CHOICE_LABEL_MAX,
    CHOICES_MAX,
    HELP_MAX,
    LABEL_MAX,
    ChoiceDisplay,
    QuestionChoice,
    QuestionKind,
)
from eventhub.questions.services import ChoiceSpec

PLACES_MAX = 100_000
CHOICES_TEXT_MAX = CHOICES_MAX * (2 * CHOICE_LABEL_MAX + 12)
_NUMBER = re.compile(r"\d+")


def parse_choice_lines(text: str | None) -> list[ChoiceSpec]:
    """ "Español | English | places", one choice a line; blank lines are skipped.

    Two parts whose second is a number are a label and its places ("Taller A | 20").
    Raises ValueError with what to tell the organiser."""
    specs: list[ChoiceSpec] = []
    seen: set[str] = set()
    lines = [line.strip() for line in (text or "").splitlines()]
    for number, line in enumerate((line for line in lines if line), start=1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 3:
            raise ValueError(_l("Line %(num)d has more than three parts.", num=number))
        if len(parts) == 2 and _NUMBER.fullmatch(parts[1]):
            parts = [parts[0], "", parts[1]]
        label_es, label_en, places = [*parts, "", ""][:3]
        if not label_es:
            raise ValueError(_l("Line %(num)d has no label in Spanish.", num=number))
        if len(label_es) > CHOICE_LABEL_MAX or len(label_en) > CHOICE_LABEL_MAX:
            raise ValueError(
                _l(
                    "Line %(num)d: a choice's label takes at most %(max)d characters.",
                    num=number,
                    max=CHOICE_LABEL_MAX,
                )
            )
        if label_es.casefold() in seen:
            raise ValueError(
                _l("Line %(num)d repeats the choice “%(label)s”.", num=number, label=label_es)
            )
        seen.add(label_es.casefold())
        limit = None
        if places:
            if not _NUMBER.fullmatch(places) or not 1 <= int(places) <= PLACES_MAX:
                raise ValueError(
                    _l(
                        "Line %(num)d: the places must be a whole number from 1 to %(max)d.",
                        num=number,
                        max=PLACES_MAX,
                    )
                )
            limit = int(places)
        specs.append(ChoiceSpec(label_es, label_en or None, limit))
    if len(specs) > CHOICES_MAX:
        raise ValueError(_l("Give at most %(num)d choices.", num=CHOICES_MAX))
    return specs


def keep_values(specs: list[ChoiceSpec], existing: list[QuestionChoice]) -> list[ChoiceSpec]:
    """Give each line the value of the existing choice it stands for, so that answers and
    conditions stay with it: the choice with the same label (Spanish or English), else, when
    the list kept its length, the choice that was on that line (its label was edited)."""
    unmatched = list(existing)
    for spec in specs:
        names = {spec.label_es.casefold(), (spec.label_en or "").casefold()} - {""}
        match = next(
            (
                choice
                for choice in unmatched
                if {choice.label_es.casefold(), (choice.label_en or "").casefold()} & names
            ),
            None,
        )
        if match is not None:
            spec.value = match.value
            unmatched.remove(match)
    if len(specs) == len(existing):
        for spec, choice in zip(specs, existing, strict=True):
            if spec.value is None and choice in unmatched:
                spec.value = choice.value
                unmatched.remove(choice)
    return specs


def choice_lines(choices: list[QuestionChoice]) -> str:
    """The choices as the textarea shows them for editing."""
    lines = []
    for choice in choices:
        parts = [choice.label_es, choice.label_en or ""]
        if choice.places is not None:
            parts.append(str(choice.places))
        lines.append(" | ".join(parts).replace("|  |", "| |").rstrip(" |"))
    return "\n".join(lines)


class QuestionEditForm(FlaskForm):
    kind = SelectField(
        _l("Kind of answer"), choices=QuestionKind.choices(), validators=[DataRequired()]
    )
    label_es = StringField(
        _l("Question in Spanish"), validators=[DataRequired(), Length(max=LABEL_MAX)]
    )
    label_en = StringField(
        _l("Question in English"), validators=[Optional(), Length(max=LABEL_MAX)]
    )
    help_es = TextAreaField(
        _l("Help text in Spanish"),
        validators=[Optional(), Length(max=HELP_MAX)],
        render_kw={"rows": 2},
    )
    help_en = TextAreaField(
        _l("Help text in English"),
        validators=[Optional(), Length(max=HELP_MAX)],
        render_kw={"rows": 2},
    )
    required = BooleanField(_l("An answer is required"))
    sensitive = BooleanField(
        _l("Sensitive: only the event's managers see the answers, asked after consent")
    )
    show_at_checkin = BooleanField(_l("Show the answer at check-in"))
    display = SelectField(
        _l("Single choice shown as"),
        choices=ChoiceDisplay.choices(),
        default=ChoiceDisplay.RADIO.value,
    )
    choices = TextAreaField(
        _l("Choices"),
        # No Optional(): it would stop the check that choice questions have choices.
        validators=[Length(max=CHOICES_TEXT_MAX)],
        render_kw={"rows": 6},
        description=_l(
            "For single and multiple choice: one choice a line, as “Español | English | "
            "places”. The English label and the limit of places are optional "
            "(“Taller A | Workshop A | 20”). Editing a line's text keeps the answers already "
            "given to it."
        ),
    )
    # "" (always), or "<question id>:<value>": one list works without a script.
    condition = SelectField(_l("Show this question"), choices=[])
    submit = SubmitField(_l("Save question"))

    def validate_choices(self, field) -> None:
        if self.kind.data not in (
            QuestionKind.SINGLE_CHOICE.value,
            QuestionKind.MULTIPLE_CHOICE.value,
        ):
            return
        try:
            specs = parse_choice_lines(field.data)
        except ValueError as error:
            raise ValidationError(str(error.args[0])) from error
        if not specs:
            raise ValidationError(_l("Give at least one choice, one a line."))

    def choice_specs(self, existing: list[QuestionChoice]) -> list[ChoiceSpec]:
        return keep_values(parse_choice_lines(self.choices.data), existing)

    def condition_parts(self) -> tuple[int | None, str | None]:
        question_id, _sep, value = (self.condition.data or "").partition(":")
        if not question_id.isdigit():
            return None, None
        return int(question_id), value


class PurposeForm(FlaskForm):
    purpose_es = TextAreaField(
        _l("Purpose in Spanish"),
        validators=[Optional(), Length(max=HELP_MAX)],
        render_kw={"rows": 3},
    )
    purpose_en = TextAreaField(
        _l("Purpose in English"),
        validators=[Optional(), Length(max=HELP_MAX)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Save purpose"))


class CopyForm(FlaskForm):
    # "event:<id>" or "programme:<id>", filled by the route with the forms this one may copy.
    source = SelectField(_l("Copy the questions of"), choices=[], validators=[DataRequired()])
    submit = SubmitField(_l("Copy the questions"))

    def source_parts(self) -> tuple[str, int] | None:
        kind, _sep, number = (self.source.data or "").partition(":")
        if kind not in ("event", "programme") or not number.isdigit():
            return None
        return kind, int(number)
