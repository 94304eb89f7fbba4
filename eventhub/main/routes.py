from flask import current_app, redirect, request, session, url_for
from flask_login import current_user

from eventhub.main import bp
from eventhub.pages import home
from eventhub.urls import safe_next


@bp.get("/")
def index():
    """Signed in: the organiser's home (what needs them today). Anyone else: the events,
    the public list (remembered for visitors, eventhub/cache.py)."""
    if current_user.is_authenticated:
        return home.home_page()
    return redirect(url_for("events.list_events"))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
