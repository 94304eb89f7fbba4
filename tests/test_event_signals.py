"""The events domain's signals go out with the kwargs documented in ``events/signals.py``,
and the domains above it are connected to them once the app exists."""

from datetime import UTC, datetime, timedelta

import pytest

from eventhub.events import notifications, services, signals
from eventhub.events.timezones import utc_to_local
from eventhub.extensions import db
from tests.factories import EventFactory

START = datetime(2027, 7, 15, 14, 0, tzinfo=UTC)  # 10:00 in Santiago (winter, UTC-4)


@pytest.fixture
def event(app_ctx):
    event = EventFactory(starts_at=START, ends_at=START + timedelta(hours=3), capacity=10)
    db.session.commit()
    return event


def _data(event, **changes) -> services.EventData:
    values = {
        "title": event.title,
        "kind": event.kind,
        "timezone": event.timezone,
        "starts_at": utc_to_local(event.starts_at, event.timezone),
        "ends_at": utc_to_local(event.ends_at, event.timezone),
        "capacity": event.capacity,
    }
    values.update(changes)
    return services.EventData(**values)


class Recorder:
    def __init__(self, signal, returns: object = None):
        self.signal = signal
        self.returns = returns  # what a receiver of this signal answers (a count, for some)
        self.calls: list[tuple[object, dict]] = []

    def __call__(self, sender, **kwargs):
        self.calls.append((sender, kwargs))
        return self.returns

    def __enter__(self):
        self.signal.connect(self)
        return self

    def __exit__(self, *exc):
        self.signal.disconnect(self)


def test_moved_start_and_more_places_send_their_signals(event):
    old_end = event.ends_at
    with Recorder(signals.times_changed) as times, Recorder(signals.capacity_grew) as places:
        services.update_event(
            event,
            _data(
                event,
                starts_at=datetime(2027, 7, 15, 11, 0),
                ends_at=datetime(2027, 7, 15, 13, 0),
                capacity=20,
            ),
            agenda_policy="keep",
        )
    assert times.calls == [
        (
            event,
            {
                "old_starts_at": START,
                "old_ends_at": old_end,
                "old_timezone": "America/Santiago",
                "offset": timedelta(hours=1),
                "agenda_policy": "keep",
            },
        )
    ]
    assert places.calls == [(event, {"old_capacity": 10})]


def test_a_new_zone_alone_is_a_change_of_times(event):
    with Recorder(signals.times_changed) as times:
        services.update_event(event, _data(event, timezone="America/Bogota"))
    [(_sender, kwargs)] = times.calls
    assert kwargs["old_timezone"] == "America/Santiago"
    assert kwargs["offset"] == timedelta(hours=1)  # same wall clock, one hour later in UTC
    assert kwargs["agenda_policy"] is None


def test_same_times_and_fewer_places_send_nothing(event):
    with Recorder(signals.times_changed) as times, Recorder(signals.capacity_grew) as places:
        services.update_event(event, _data(event, title="Otra mesa", capacity=5))
    assert times.calls == []
    assert places.calls == []


def test_no_limit_counts_as_more_places(event):
    with Recorder(signals.capacity_grew) as places:
        services.update_event(event, _data(event, capacity=None))
    assert places.calls == [(event, {"old_capacity": 10})]


def test_life_cycle_signals(event):
    with Recorder(signals.published) as published, Recorder(signals.unpublished) as unpublished:
        services.publish_event(event)
        assert published.calls == [(event, {})]
        services.unpublish_event(event)
        assert unpublished.calls == [(event, {})]
    with Recorder(signals.cancelled) as cancelled:
        services.cancel_event(event, notify_registrants=False, reason="  Paro de transporte ")
    told = {"reason": "Paro de transporte", "notify_registrants": False}
    assert cancelled.calls == [(event, told)]


def test_change_notices_and_counts_go_through_the_signals(event):
    with (
        Recorder(signals.count_people_to_tell, returns=0) as counted,
        Recorder(signals.event_changed, returns=0) as changed,
    ):
        assert notifications.people_to_tell(event) == 0
        services.update_event(event, _data(event, venue_name="Municipalidad de Lo Prado"))
    assert counted.calls == [(event, {})]
    [(sender, kwargs)] = changed.calls
    assert sender is event
    assert kwargs["change"].venue_changed and not kwargs["change"].time_changed


def test_the_domains_above_listen_once_the_app_exists(app):
    def listeners(signal) -> set[str]:
        return {receiver.__module__ for receiver in signal.receivers_for(object())}

    assert "eventhub.agenda" in listeners(signals.times_changed)
    assert "eventhub.registrations" in listeners(signals.capacity_grew)
    both = {"eventhub.registrations", "eventhub.invitations"}
    assert both <= listeners(signals.event_changed)
    assert both <= listeners(signals.count_people_to_tell)
