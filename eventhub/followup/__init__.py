from flask import Blueprint

from eventhub.organisations import signals as organisation_signals

# Routes are imported by create_app, not here (see eventhub/registrations/__init__.py).
bp = Blueprint("followup", __name__)


@organisation_signals.deletion_impact.connect
def _commitments_going_with_the_organisation(organisation, **kwargs) -> tuple[str, int]:
    # Imported here: importing the package (for its models) must stay light.
    from sqlalchemy import func, select

    from eventhub.extensions import db
    from eventhub.followup.models import Commitment

    commitments = db.session.scalar(
        select(func.count(Commitment.id)).where(Commitment.organisation_id == organisation.id)
    )
    return "commitments", commitments or 0
