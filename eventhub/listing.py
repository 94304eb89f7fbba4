"""Paged lists: the page asked for in the query string, within bounds, and the filter args."""

from math import ceil
from typing import Any

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


class _RowsPagination(Pagination):
    """A page of plain rows (every column, not the first one's objects) whose total the
    caller already counted."""

    def _query_items(self) -> list[Any]:
        if not self._query_args["total"]:
            return []
        stmt = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(db.session.execute(stmt))

    def _query_count(self) -> int:
        return self._query_args["total"]


def paginate_rows(stmt: Select, per_page_setting: str, total: int) -> Pagination:
    """Page ``?page=`` of the rows of ``stmt``, ``total`` of them; junk asks for the first
    page, and a number past the end shows the last one."""
    per_page = int(current_app.config[per_page_setting])
    number = request.args.get("page", 1, type=int)
    last = max(1, ceil(total / per_page))
    return _RowsPagination(
        page=min(number, last) if 1 <= number <= MAX_PAGE else 1,
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        select=stmt,
        total=total,
    )


class _CountedPagination(Pagination):
    """A page of plain rows, and their total from a count statement of the caller's (which
    can leave out the joins and the order the page needs)."""

    def _query_items(self) -> list[Any]:
        stmt = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(db.session.execute(stmt))

    def _query_count(self) -> int:
        return int(db.session.execute(self._query_args["count_select"]).scalar_one())


def paginate_counted(stmt: Select, count: Select, per_page_setting: str) -> Pagination:
    """Page ``?page=`` of the plain rows of ``stmt``, ``count`` counting them all; junk,
    negative or absurd page numbers show the first page and a page past the end is empty,
    as ``paginate`` has them."""
    number = request.args.get("page", 1, type=int)
    return _CountedPagination(
        page=number if 1 <= number <= MAX_PAGE else 1,
        per_page=int(current_app.config[per_page_setting]),
        max_per_page=100,
        error_out=False,
        select=stmt,
        count_select=count,
    )


def filter_args() -> dict[str, str]:
    """The query string without the page, for the pagination links."""
    return {key: value for key, value in request.args.items() if key != "page" and value}
