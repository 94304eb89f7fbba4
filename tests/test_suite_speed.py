"""The test suite's shortcuts (tests/conftest.py, tests/fast_routing.py) change how fast the
tests run, never what the app does."""

from flask import url_for
from werkzeug.routing.rules import Rule

from eventhub import create_app
from tests import fast_routing
from tests.conftest import base_config


def test_every_route_builds_with_the_function_werkzeug_compiles(tmp_path):
    assert Rule._compile_builder is fast_routing._compile_once  # installed by conftest
    app = create_app(base_config(f"sqlite:///{tmp_path / 'routes.sqlite'}", tmp_path))
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        for append_unknown in (False, True):
            reused = rule._compile_builder(append_unknown)
            compiled = fast_routing.original_builder(rule, append_unknown)
            assert reused.__code__ == compiled.__code__, rule.rule


def test_two_apps_build_the_same_urls_through_their_own_converters(tmp_path):
    first, second = (
        create_app(base_config(f"sqlite:///{tmp_path / f'{n}.sqlite'}", tmp_path)) for n in (1, 2)
    )
    built = []
    for app in (first, second):
        with app.test_request_context():
            built.append(
                [
                    url_for("static", filename="css/style.css"),
                    url_for("events.show_event", event_id=7),
                    url_for("events.show_event", event_id=7, tab="x y"),
                ]
            )
    assert built[0] == built[1]
    assert built[0][1:] == ["/events/7", "/events/7?tab=x+y"]
