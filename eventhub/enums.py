"""Enums that carry the words shown for their values.

A stored value, its label and its place in lists are declared together, so a new member cannot
be forgotten in a labels table elsewhere: ``ROUND_TABLE = "round_table", _l("Round table")``.
The declaration order is the order of every select and legend that lists the members.
"""

from enum import StrEnum
from typing import TYPE_CHECKING, Self

from flask_babel.speaklater import LazyString
from wtforms.fields.choices import SelectChoice


class LabelledEnum(StrEnum):
    """A ``StrEnum`` whose members also have a ``label``: a lazy string, translated when shown
    (so in the reader's language, not the language of whoever imported the module first)."""

    label: LazyString

    if TYPE_CHECKING:
        # Once the class is built, calling it looks a stored value up (``EventKind("visit")``);
        # the two-argument ``__new__`` below only builds the members. mypy takes that one for
        # the call's signature (python/mypy#10573), so it is shown the lookup's instead.
        def __new__(cls, value: str) -> Self: ...

    else:

        def __new__(cls, value: str, label: LazyString) -> Self:
            member = str.__new__(cls, value)
            member._value_ = value
            member.label = label
            return member

    @classmethod
    def get(cls, value: str | None) -> Self | None:
        """The member stored as ``value``, or None for anything else (such as a query string
        someone edited by hand)."""
        return cls._value2member_map_.get(value)  # type: ignore[return-value]

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """The members as select options, in declaration order."""
        return [SelectChoice(member.value, member.label) for member in cls]
