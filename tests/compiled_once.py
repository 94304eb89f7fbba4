"""Werkzeug's URL builders, compiled once per process instead of once per app.

Each ``create_app`` binds every route to a new ``Map``, and werkzeug generates and compiles
two Python functions per route to build its URLs: about nine tenths of making an app, which
nearly every test does. The function depends only on the route's pattern, its defaults and
whether unknown arguments go in the query string, so one made for the same route in an
earlier app is the same function; it reaches the converters through the rule it is bound
to. tests/test_suite_speed.py checks every route of the app gets what werkzeug would compile.
"""

from collections.abc import Callable, Hashable

from werkzeug.routing.rules import Rule

_compile = Rule._compile_builder
_compiled: dict[Hashable, Callable] = {}


def builder_key(rule: Rule, append_unknown: bool) -> Hashable:
    """All that goes into the compiled function: the static parts and variables in order
    (``_trace``), the defaults' names and the URL text of those that fill a variable."""
    defaults = rule.defaults or {}
    filled = tuple(
        (name, rule._converters[name].to_url(defaults[name]))
        for dynamic, name in rule._trace
        if dynamic and name in defaults
    )
    return (append_unknown, rule.rule, tuple(rule._trace), tuple(defaults), filled)


def _compile_once(self: Rule, append_unknown: bool = True) -> Callable:
    key = builder_key(self, append_unknown)
    built = _compiled.get(key)
    if built is None:
        built = _compiled[key] = _compile(self, append_unknown)
    return built


def install() -> None:
    Rule._compile_builder = _compile_once  # type: ignore[method-assign]


def original_builder(rule: Rule, append_unknown: bool) -> Callable:
    """What werkzeug itself compiles for the rule."""
    return _compile(rule, append_unknown)
