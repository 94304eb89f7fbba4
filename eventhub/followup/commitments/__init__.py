"""Commitments: who agreed to do what by when, the owners' personal links to report on them,
and the reminders sent before and after the due date."""
