"""'Add to calendar' links for Google Calendar and Outlook, and webcal:// subscriptions."""

from urllib.parse import urlencode, urlsplit, urlunsplit

from eventhub.calendar.ics import event_location
from eventhub.events.models import Event
from eventhub.urls import external_url

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"


def _details(event: Event) -> str:
    page = external_url("events.show_event", event_id=event.id)
    return f"{event.summary}\n\n{page}" if event.summary else page


def google_calendar_url(event: Event) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{event.starts_at.strftime(fmt)}/{event.ends_at.strftime(fmt)}",
        "ctz": event.timezone,
        "details": _details(event),
        "location": event_location(event) or "",
    }
    return f"{GOOGLE}?{urlencode(params)}"


def outlook_url(event: Event) -> str:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": event.starts_at.strftime(fmt),
        "enddt": event.ends_at.strftime(fmt),
        "body": _details(event),
        "location": event_location(event) or "",
    }
    return f"{OUTLOOK}?{urlencode(params)}"


def webcal(url: str) -> str:
    """The same feed for calendar apps that subscribe on a webcal:// click."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))


def feed_urls(token: str | None) -> dict | None:
    """The https and webcal addresses of a private feed, or None when there is none."""
    if token is None:
        return None
    https = external_url("calendar.private_feed", token=token)
    return {"https": https, "webcal": webcal(https)}
