from flask import Blueprint

# Routes are imported by create_app, not here: importing the models must stay light.
bp = Blueprint("questions", __name__)
