from flask import Blueprint

# Routes are imported by create_app, not here: importing a package's models must not
# pull in its routes (and, through them, every other package).
bp = Blueprint("messages", __name__)
