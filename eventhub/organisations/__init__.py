from flask import Blueprint

bp = Blueprint("organisations", __name__)

from eventhub.organisations import routes  # noqa: E402, F401
