"""Notices: the mail that tells people an event they expect changed or was cancelled.

A layer above calendar (a notice carries the updated .ics) and below the domains that hold
people for an event (registrations, invitations): each of those finds its own people and
hands them here, so every notice reads the same whoever holds the person.
"""
