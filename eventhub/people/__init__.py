from flask import Blueprint

bp = Blueprint("people", __name__)

from eventhub.people import routes  # noqa: E402, F401
