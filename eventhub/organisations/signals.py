"""What organisations ask the domains above them, which this one must not import.

Events, speakers and follow-up commitments point at organisations, and the delete page says
how many of each a deletion touches. Each of those domains connects a receiver to
``deletion_impact`` in its package's ``__init__.py`` and counts its own rows.
"""

from blinker import Namespace

_signals = Namespace()

deletion_impact = _signals.signal(
    "organisation-deletion-impact",
    doc="Sent with the organisation about to be deleted (the delete page asks before). Each "
    'receiver returns ``(what, count)``, e.g. ``("events", 3)``: the rows of its domain that '
    "lose the link or go with the organisation.",
)
