from flask import Blueprint

bp = Blueprint("events", __name__)

from eventhub.events import routes  # noqa: E402, F401
