"""The test suite's shortcuts (tests/conftest.py, tests/compiled_once.py) change how fast the
tests run, never what the app does."""

from flask import Flask, render_template_string, url_for
from werkzeug.routing.rules import Rule

from eventhub import create_app
from tests import compiled_once
from tests.conftest import base_config


def _app(tmp_path, name: str = "app") -> Flask:
    return create_app(base_config(f"sqlite:///{tmp_path / f'{name}.sqlite'}", tmp_path))


def test_every_route_builds_with_the_function_werkzeug_compiles(tmp_path):
    assert Rule._compile_builder is compiled_once._builder_once  # installed by conftest
    rules = list(_app(tmp_path).url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        for append_unknown in (False, True):
            reused = rule._compile_builder(append_unknown)
            compiled = compiled_once.original_builder(rule, append_unknown)
            assert reused.__code__ == compiled.__code__, rule.rule


def test_two_apps_build_the_same_urls_through_their_own_converters(tmp_path):
    built = []
    for app in (_app(tmp_path, "first"), _app(tmp_path, "second")):
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


def test_every_template_runs_the_code_jinja_compiles_for_it(tmp_path):
    app = _app(tmp_path)
    environment = app.jinja_env
    assert environment.bytecode_cache is compiled_once.TEMPLATES
    names = [name for name in environment.list_templates() if name.endswith((".html", ".txt"))]
    assert len(names) > 50
    for name in names:
        template = environment.get_template(name)
        source, filename, _ = environment.loader.get_source(environment, name)
        key = (name, filename, compiled_once.environment_settings(environment, name))
        kept = compiled_once.TEMPLATES.code[key][1]
        assert kept == environment.compile(source, name, filename), name
        assert template.filename == filename


def test_a_changed_template_is_compiled_again(tmp_path):
    """The code is kept per source: the same name with another source is not reused."""
    app = _app(tmp_path)
    cache = compiled_once.TEMPLATES
    bucket = cache.get_bucket(app.jinja_env, "probe.html", None, "one {{ 1 }}")
    bucket.code = app.jinja_env.compile("one {{ 1 }}", "probe.html")
    cache.set_bucket(bucket)
    assert cache.get_bucket(app.jinja_env, "probe.html", None, "one {{ 1 }}").code is not None
    assert cache.get_bucket(app.jinja_env, "probe.html", None, "two {{ 2 }}").code is None
    with app.test_request_context():
        assert render_template_string("{{ 'a' ~ 1 }}") == "a1"
