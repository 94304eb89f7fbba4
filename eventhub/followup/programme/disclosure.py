"""Small counts of people, kept from identifying anyone in what organisers share.

The rule, for every shared view (the page by default, its tables, the SVG's labels and
tooltips) and every download (CSV, XLSX: these always apply it):

- A cell counting 1 to 4 people shows "<5". Zero shows as 0, five or more as they are.
- A total (an answer across organisation kinds, a kind across answers, the grand total) is
  shown exactly only when none of the cells it adds up is hidden. Otherwise it shows as a
  lower bound, "≥N", with N the sum of the shown cells plus 1 for each hidden one. So every
  exact number on a shared page is a sum of numbers that are themselves shown: no subtraction
  of one shown number from another gives back a hidden cell, and the bound says no more than
  the cells beside it ("<5" already means at least 1).
- A chart draws a hidden cell as no bar, labelled "<5", and a bounded total as its bound.

The exact view (managers, on screen only) shows every number as it is.

Known limit: the rule holds within one table. The same people counted in two views that
overlap (an event's page and its programme's page) can still be compared: an answer shown as
6 on the event and 7 on the programme says one person from the other events gave it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

THRESHOLD = 5
HIDDEN = "<5"


@dataclass(frozen=True)
class Shown:
    """A count as a reader gets it: ``text`` to print, ``bar`` for a chart's length, and
    ``value`` for a spreadsheet (a number when exact, else the text)."""

    text: str
    bar: int
    exact: bool

    @property
    def value(self) -> int | str:
        return self.bar if self.exact else self.text

    @property
    def hidden(self) -> bool:
        return self.text == HIDDEN


def is_hidden(count: int) -> bool:
    return 0 < count < THRESHOLD


def cell(count: int, exact: bool = False) -> Shown:
    if not exact and is_hidden(count):
        return Shown(HIDDEN, 0, False)
    return Shown(str(count), count, True)


def total(counts: Iterable[int], exact: bool = False) -> Shown:
    """The sum of ``counts`` (the cells as they are), shown under the rule above."""
    values = list(counts)
    if exact or not any(is_hidden(count) for count in values):
        return cell(sum(values), exact=True)
    shown = sum(count for count in values if not is_hidden(count))
    hidden = sum(1 for count in values if is_hidden(count))
    if shown == 0 and hidden == 1:
        return Shown(HIDDEN, 0, False)  # the total is that one cell
    bound = shown + hidden
    return Shown(f"≥{bound}", bound, False)
