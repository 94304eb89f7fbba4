from flask import Blueprint

# Routes are imported by create_app, not here (see eventhub/registrations/__init__.py).
bp = Blueprint("followup", __name__)
