from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from eventhub import activity
from eventhub.activity import Done
from eventhub.agenda import bp, exports, services
from eventhub.agenda.forms import MAX_SPEAKER_ROWS, AgendaItemForm, ShiftForm
from eventhub.agenda.models import AgendaItem
from eventhub.agenda.services import AgendaConflictError
from eventhub.events.permissions import managed_event
from eventhub.events.timezones import utc_to_local
from eventhub.extensions import db
from eventhub.formatting import minutes_text
from eventhub.forms import confirm_page
from eventhub.people import services as people_services
from eventhub.people.services import speaker_choices
from eventhub.routing import commit_change

ITEM_FIELDS = ("title", "kind", "starts_at", "ends_at", "location", "description")


def _item_data(form: AgendaItemForm) -> services.AgendaItemData:
    return services.AgendaItemData(
        title=form.title.data,
        kind=form.kind.data,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        location=form.location.data,
        description=form.description.data,
        speakers=[
            services.SpeakerSlot(entry.speaker_id.data, entry.role.data)
            for entry in form.speakers
            if entry.speaker_id.data is not None
        ],
    )


def _initial_data(event, item) -> dict:
    if item is None:
        last = event.agenda_items[-1] if event.agenda_items else None
        start = last.ends_at if last and last.ends_at < event.ends_at else event.starts_at
        end = min(start + timedelta(minutes=30), event.ends_at)
        return {
            "starts_at": utc_to_local(start, event.timezone),
            "ends_at": utc_to_local(end, event.timezone),
        }
    return {
        "title": item.title,
        "kind": item.kind,
        "location": item.location,
        "description": item.description,
        "starts_at": utc_to_local(item.starts_at, event.timezone),
        "ends_at": utc_to_local(item.ends_at, event.timezone),
        "speakers": [{"speaker_id": b.speaker_id, "role": b.role} for b in item.speakers],
    }


def _add_speaker_in_place(form: AgendaItemForm) -> None:
    """Add the typed speaker to the directory and to a free row; the item is not saved yet."""
    fields = (form.new_speaker_name, form.new_speaker_title, form.new_speaker_affiliation)
    if not all(f.validate(form) for f in fields):
        return
    name = (form.new_speaker_name.data or "").strip()
    if not name:
        form.new_speaker_name.errors = [_("Type the new speaker's name.")]
        return
    data = people_services.SpeakerData(
        name=name,
        title=form.new_speaker_title.data or None,
        affiliation=form.new_speaker_affiliation.data or None,
    )
    outcome = commit_change(
        lambda: people_services.create_speaker(data),
        audit=lambda speaker: Done("speaker.create", speaker.name),
        success=lambda speaker: _(
            "%(name)s is in the directory and in a speaker row: save the item to keep it.",
            name=speaker.name,
        ),
        field=form.new_speaker_name,
    )
    if outcome.done:
        assert outcome.result is not None
        form.put_in_free_row(outcome.result.id)
        for f in fields:
            f.data = ""


def _back_to_agenda(event_id: int):
    return redirect(url_for("events.manage_agenda", event_id=event_id, _anchor="agenda"))


@bp.route("/events/<int:event_id>/agenda/new", methods=["GET", "POST"])
@bp.route("/events/<int:event_id>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(event_id: int, item_id: int | None = None):
    event = managed_event(event_id)
    item = services.get_item(event, item_id) if item_id else None
    form = (
        AgendaItemForm()
        if request.method == "POST"
        else AgendaItemForm(data=_initial_data(event, item))
    )
    form.add_spare_rows()
    form.fill_speaker_choices(speaker_choices())
    conflicts: list[AgendaItem] = []
    before = activity.snapshot(item, ITEM_FIELDS) if item else None
    typed_speaker = form.submit.data and (form.new_speaker_name.data or "").strip()
    if request.method == "POST" and (form.add_row.data or form.add_speaker.data or typed_speaker):
        # These change the form, not the item: everything typed comes back as it was.
        if form.add_row.data and not form.add_row_if_room():
            flash(_("At most %(num)d speakers per item.", num=MAX_SPEAKER_ROWS), "error")
        elif not form.add_row.data:
            _add_speaker_in_place(form)
        form.fill_speaker_choices(speaker_choices())
        return render_template(
            "agenda/item_form.html", form=form, event=event, item=item, conflicts=conflicts
        )
    if form.validate_on_submit():
        if item is None:
            outcome = commit_change(
                lambda: services.add_item(event, _item_data(form)),
                audit=lambda added: Done("agenda.add", added.title, event),
                success=_("Agenda item saved."),
                form=form,
            )
        else:
            assert before is not None  # taken for the item being edited
            outcome = commit_change(
                lambda: services.update_item(event, item, _item_data(form)),
                audit=lambda _result: Done(
                    "agenda.edit",
                    f"{item.title}: {activity.changes(before, item)}",
                    event,
                    activity.change_details(before, item, "agenda_item", item.title),
                ),
                success=_("Agenda item saved."),
                form=form,
            )
        if outcome.done:
            return _back_to_agenda(event.id)
        if isinstance(outcome.refusal, AgendaConflictError):
            conflicts = outcome.refusal.items
    return render_template(
        "agenda/item_form.html", form=form, event=event, item=item, conflicts=conflicts
    )


@bp.route("/events/<int:event_id>/agenda/<int:item_id>/delete", methods=["GET", "POST"])
@login_required
def delete_item(event_id: int, item_id: int):
    event = managed_event(event_id)
    item = services.get_item(event, item_id)
    title = item.title
    if request.method == "GET":
        return confirm_page(
            _("Delete the agenda item “%(title)s”?", title=title),
            _("Yes, delete it"),
            url_for("events.manage_agenda", event_id=event.id, _anchor="agenda"),
            [_("Its speakers stay in the directory. This cannot be undone.")],
        )
    commit_change(
        lambda: services.delete_item(item),
        audit=Done("agenda.delete", title, event),
        success=_("Agenda item deleted."),
    )
    return _back_to_agenda(event.id)


@bp.post("/events/<int:event_id>/agenda/<int:item_id>/shift")
@login_required
def shift_items(event_id: int, item_id: int):
    event = managed_event(event_id)
    item = services.get_item(event, item_id)
    form = ShiftForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return _back_to_agenda(event.id)
    commit_change(
        lambda: services.shift_following(event, item, form.minutes.data),
        audit=lambda moved: Done(
            "agenda.shift",
            f"{activity.counted(len(moved), 'item', 'items')} from “{item.title}” "
            f"by {form.minutes.data} min",
            event,
        ),
        # Two counts, two plural choices: the items, then the minutes.
        success=lambda moved: ngettext(
            "%(num)d item moved by %(minutes)s.",
            "%(num)d items moved by %(minutes)s.",
            len(moved),
            minutes=minutes_text(form.minutes.data),
        ),
    )
    return _back_to_agenda(event.id)


def _readable_event(event_id: int):
    event = db.session.scalar(services.event_page_query(event_id))
    if event is None or not (current_user.is_authenticated or event.is_visible_to_public):
        abort(404)
    return event


@bp.get("/events/<int:event_id>/agenda")
def printable_agenda(event_id: int):
    event = _readable_event(event_id)
    return render_template(
        "agenda/print.html",
        event=event,
        days=services.items_by_day(event),
        speakers=services.event_speakers(event),
    )


@bp.get("/events/<int:event_id>/agenda.csv")
def agenda_csv(event_id: int):
    event = _readable_event(event_id)
    return exports.agenda_csv_response(event)


@bp.get("/events/<int:event_id>/agenda.xlsx")
def agenda_xlsx(event_id: int):
    event = _readable_event(event_id)
    return exports.agenda_xlsx_response(event)
