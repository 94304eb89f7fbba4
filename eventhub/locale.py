"""Which language a request is answered in: the base, so any page or feed can ask."""

from flask import current_app, has_request_context, session

from eventhub import personal


def select_locale() -> str:
    """The language chosen with the switch, else the person's on a personal link's page,
    else Spanish; outside requests (CLI), Spanish."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context() and session.get("lang") in languages:
        return session["lang"]
    language = personal.page_language()
    if language is not None and language in languages:
        return language
    return current_app.config["BABEL_DEFAULT_LOCALE"]
