"""Paged lists: the page asked for in the query string, within bounds, and the filter args."""

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from eventhub.extensions import db

MAX_PAGE = 100_000


def paginate(stmt: Select, per_page_setting: str) -> Pagination:
    """Page ``?page=`` of ``stmt``; junk, negative or absurd page numbers show the first page."""
    number = request.args.get("page", 1, type=int)
    return db.paginate(
        stmt,
        page=number if 1 <= number <= MAX_PAGE else 1,
        per_page=int(current_app.config[per_page_setting]),
        max_per_page=100,
        error_out=False,
        count=True,
    )


def filter_args() -> dict[str, str]:
    """The query string without the page, for the pagination links."""
    return {key: value for key, value in request.args.items() if key != "page" and value}
