from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from eventhub.audit import bp, display, services
from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.events.permissions import require_manager
from eventhub.extensions import db
from eventhub.listing import filter_args, paginate


def _id_arg(name: str) -> int | None:
    """An id from the query string; junk or out-of-range ids match nothing (0)."""
    value = request.args.get(name)
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else 0


@bp.get("/admin/audit")
@login_required
def audit_log():
    """Admins read the whole log; an event's managers read that event's part of it."""
    event_id = _id_arg("event")
    user_id = _id_arg("user") if current_user.is_admin else None
    event = db.session.get(Event, event_id) if event_id else None
    if not current_user.is_admin:
        if event is None:
            abort(403)
        require_manager(event)
    page = paginate(services.entries_query(event_id, user_id), "AUDIT_PER_PAGE")
    users = (
        db.session.scalars(select(User).order_by(User.name)).all() if current_user.is_admin else []
    )
    return render_template(
        "audit/list.html",
        page=page,
        event=event,
        user_id=user_id,
        users=users,
        describe=display.describe,
        when=lambda entry: display.when(entry.created_at, display.zone_of(entry)),
        args=filter_args(),
    )
