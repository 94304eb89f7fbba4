"""The invitations table as a CSV or XLSX download."""

from flask_babel import gettext as _

from eventhub.csv_export import csv_response
from eventhub.events.models import Event
from eventhub.invitations import services
from eventhub.xlsx_export import xlsx_response


def invitations_header() -> list[str]:
    return [
        _("Invitee"),
        _("Email"),
        _("Organisation"),
        _("Language"),
        _("Status"),
        _("Invited"),
        _("Sent"),
        _("Answered"),
        _("Reason for declining"),
        _("Reminders"),
    ]


def invitations_rows(event: Event):
    for i in services.invitation_table(event, None, "date"):
        message = i.outbox_message
        yield [
            i.name or "",
            i.email,
            i.organisation.name if i.organisation else "",
            i.language,
            str(i.state_label),
            i.created_at,
            message.sent_at if message else None,
            i.responded_at,
            i.decline_reason or "",
            i.reminders_sent,
        ]


def invitations_csv_response(event: Event):
    return csv_response(
        f"invitations-event-{event.id}.csv",
        invitations_header(),
        invitations_rows(event),
        event.timezone,
    )


def invitations_xlsx_response(event: Event):
    return xlsx_response(
        f"invitations-event-{event.id}.xlsx",
        _("Invitations"),
        invitations_header(),
        invitations_rows(event),
        event.timezone,
        widths=(28, 30, 30, 8, 16, 17, 17, 17, 30, 10),
    )
