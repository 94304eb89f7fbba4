"""Small helpers shared by every blueprint's forms."""

from flask import render_template, request
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs; ``None`` stands for the empty choice."""
    return [SelectChoice("" if value is None else value, label) for value, label in pairs]


MAX_ID = 2**31 - 1  # the largest key a 32-bit integer column holds (as in the URL converter)


class DirectorySelect(Select):
    """WTForms' select, for the hundreds of options of the directory: the same HTML, written
    without building an attribute dictionary per option (a third of the event page's time),
    nor WTForms' two copies of every choice on the way."""

    def __call__(self, field, **kwargs):
        choices = field.choices
        plain = isinstance(choices, list) and all(
            isinstance(choice, SelectChoice)
            and not choice.render_kw
            and choice.optgroup is None
            and not isinstance(choice.value, bool)
            for choice in choices
        )
        if self.multiple or not plain:
            return super().__call__(field, **kwargs)
        field.choices = []
        try:
            opening = str(super().__call__(field, **kwargs)).removesuffix("</select>")
        finally:
            field.choices = choices
        chosen, coerce = field.data, field.coerce
        rendered = [
            f"<option{' selected' if coerce(choice.value) == chosen else ''}"
            f' value="{escape(choice.value)}">{escape(choice.label or choice.value)}</option>'
            for choice in choices
        ]
        return Markup(opening + "".join(rendered) + "</select>")  # noqa: S704 (escaped)

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        value, label = escape(choice.value), escape(choice.label or choice.value)
        return Markup(f'<option{selected} value="{value}">{label}</option>')  # noqa: S704 (escaped)


def optional_int(value) -> int | None:
    """Coerce a select's value to an id; empty means none, junk means none (then refused).

    Numbers no id column can hold are junk too: the database would overflow, not answer.
    """
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if -MAX_ID <= number <= MAX_ID else -1


def confirm_page(question: str, confirm_label: str, back: str, details=()):
    """The "are you sure?" page an irreversible button leads to: a GET that shows the question
    and a POST form to the same address. It needs no script, so the CSP and a browser without
    JavaScript get the same safe path."""
    return render_template(
        "confirm.html",
        question=question,
        confirm_label=confirm_label,
        back=back,
        details=details,
        action=request.path,
    )
