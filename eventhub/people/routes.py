from flask import render_template
from flask_login import login_required
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.people import bp
from eventhub.people.models import Speaker


@bp.get("/speakers/")
@login_required
def list_speakers():
    speakers = db.session.scalars(select(Speaker).order_by(Speaker.name)).all()
    return render_template("people/list.html", speakers=speakers)
