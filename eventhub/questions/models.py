"""An event's own registration questions, their choices, and the registrants' answers.

A form belongs to an event, or to a programme as the template its events copy. Answers hang
off the registration (the row a person has per event), so deleting a registration, a question
or a choice deletes its answers with it.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.enums import LabelledEnum
from eventhub.orm import Base, TimestampMixin


class QuestionKind(LabelledEnum):
    SHORT_TEXT = "short_text", _l("Short text")
    LONG_TEXT = "long_text", _l("Long text")
    NUMBER = "number", _l("Number")
    DATE = "date", _l("Date")
    SINGLE_CHOICE = "single_choice", _l("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _l("Multiple choice")
    YES_NO = "yes_no", _l("Yes or no")
    PHONE = "phone", _l("Phone")
    COUNTRY = "country", _l("Country")
    COMUNA = "comuna", _l("Chilean region and comuna")
    RUT = "rut", _l("RUT (Chilean tax number)")


CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE.value, QuestionKind.MULTIPLE_CHOICE.value})
# What another question's condition can look at: a value from a fixed list.
CONDITION_KINDS = CHOICE_KINDS | {QuestionKind.YES_NO.value}


class ChoiceDisplay(LabelledEnum):
    RADIO = "radio", _l("Buttons, one per choice")
    SELECT = "select", _l("A drop-down list")


YES = "yes"
NO = "no"

LABEL_MAX = 300
HELP_MAX = 1000
CHOICE_LABEL_MAX = 200
TEXT_ANSWER_MAX = {QuestionKind.SHORT_TEXT.value: 300, QuestionKind.LONG_TEXT.value: 4000}
QUESTIONS_MAX = 60  # per form: a registration, not a census
CHOICES_MAX = 100


def localised(spanish: str | None, english: str | None, language: str) -> str:
    """The text in the reader's language, or the other one when that is all there is."""
    first, second = (english, spanish) if language == "en" else (spanish, english)
    return first or second or ""


class QuestionForm(TimestampMixin, Base):
    """The questions of one event, or a programme's template for its events."""

    __tablename__ = "question_form"
    __table_args__ = (
        CheckConstraint("(event_id IS NULL) <> (programme_id IS NULL)", name="event_or_programme"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), unique=True
    )
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), unique=True
    )
    # Why the sensitive questions are asked, shown above them with the consent box.
    purpose_es: Mapped[str | None] = mapped_column(Text)
    purpose_en: Mapped[str | None] = mapped_column(Text)
    # When the retention command last deleted this form's sensitive answers.
    sensitive_deleted_at: Mapped[datetime | None]

    questions: Mapped[list["Question"]] = relationship(
        back_populates="form",
        cascade="all, delete-orphan",
        order_by="(Question.position, Question.id)",
    )

    def purpose(self, language: str) -> str:
        return localised(self.purpose_es, self.purpose_en, language)


class Question(TimestampMixin, Base):
    __tablename__ = "question"
    __table_args__ = (
        # A library question's key is what the figures group by: once per form.
        UniqueConstraint("form_id", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(
        ForeignKey("question_form.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    # The standard question this came from (library.py), None for the organiser's own.
    key: Mapped[str | None] = mapped_column(String(40))
    label_es: Mapped[str] = mapped_column(String(LABEL_MAX))
    label_en: Mapped[str | None] = mapped_column(String(LABEL_MAX))
    help_es: Mapped[str | None] = mapped_column(Text)
    help_en: Mapped[str | None] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(default=False)
    # Visible to the event's managers only, asked after consent, deleted after retention.
    sensitive: Mapped[bool] = mapped_column(default=False)
    show_at_checkin: Mapped[bool] = mapped_column(default=False)
    display: Mapped[str] = mapped_column(String(10), default=ChoiceDisplay.RADIO.value)
    # Asked only when the earlier question ``condition_question`` was answered with
    # ``condition_value`` (a choice's value, or yes/no).
    condition_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", ondelete="SET NULL"), index=True
    )
    condition_value: Mapped[str | None] = mapped_column(String(60))

    form: Mapped[QuestionForm] = relationship(back_populates="questions")
    choices: Mapped[list["QuestionChoice"]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        order_by="(QuestionChoice.position, QuestionChoice.id)",
    )
    condition_question: Mapped["Question | None"] = relationship(remote_side=[id])

    @property
    def kind_label(self):
        return QuestionKind(self.kind).label

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def field_name(self) -> str:
        """The name of its input in the registration form."""
        return f"q-{self.id}"

    def label(self, language: str) -> str:
        return localised(self.label_es, self.label_en, language)

    def help(self, language: str) -> str:
        return localised(self.help_es, self.help_en, language)

    def choice_by_value(self, value: str) -> "QuestionChoice | None":
        return next((choice for choice in self.choices if choice.value == value), None)


class QuestionChoice(Base):
    __tablename__ = "question_choice"
    __table_args__ = (
        UniqueConstraint("question_id", "value"),
        CheckConstraint("places IS NULL OR places > 0", name="places_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    # Stable across edits of the label: what answers, conditions and figures refer to.
    value: Mapped[str] = mapped_column(String(60))
    label_es: Mapped[str] = mapped_column(String(CHOICE_LABEL_MAX))
    label_en: Mapped[str | None] = mapped_column(String(CHOICE_LABEL_MAX))
    # A workshop session of 20: at most this many active registrations choose it.
    places: Mapped[int | None]

    question: Mapped[Question] = relationship(back_populates="choices")

    def label(self, language: str) -> str:
        return localised(self.label_es, self.label_en, language)


class Answer(TimestampMixin, Base):
    """One registrant's answer to one question: ``value`` for the kinds typed or picked from
    a reference list (country code, comuna code, canonical RUT, ISO date, yes/no), and
    ``choices`` for single and multiple choice."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str | None] = mapped_column(Text)

    question: Mapped[Question] = relationship()
    choices: Mapped[list["AnswerChoice"]] = relationship(
        back_populates="answer", cascade="all, delete-orphan"
    )


class AnswerChoice(Base):
    __tablename__ = "answer_choice"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True
    )
    choice_id: Mapped[int] = mapped_column(
        ForeignKey("question_choice.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    answer: Mapped[Answer] = relationship(back_populates="choices")
    choice: Mapped[QuestionChoice] = relationship()
