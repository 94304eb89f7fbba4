"""The organisers' pages that build an event's form (see services.py for the rules)."""

from eventhub.questions import bp

__all__ = ["bp"]
