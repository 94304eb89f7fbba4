from flask import render_template
from flask_login import login_required
from sqlalchemy import select

from eventhub.extensions import db
from eventhub.organisations import bp
from eventhub.organisations.models import Organisation


@bp.get("/organisations/")
@login_required
def list_organisations():
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("organisations/list.html", organisations=organisations)


@bp.get("/organisations/<int:organisation_id>")
@login_required
def show_organisation(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    return render_template("organisations/show.html", organisation=organisation)
