from flask import current_app, redirect, request, session, url_for

from eventhub.main import bp
from eventhub.urls import safe_next


@bp.get("/")
def index():
    return redirect(url_for("events.list_events"))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
