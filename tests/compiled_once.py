"""What every app of the test run compiles alike, compiled once per process.

Nearly every test makes an app (``create_app``), and two things in it cost more than most
tests: werkzeug generates and compiles two Python functions per route to build its URLs, and
each app's new Jinja environment compiles every template it renders again. Both depend only
on things that are the same in every app of the run (the route, the template's source and
the environment's syntax settings), so the code compiled for the first app is the code the
next would compile: it is kept and reused. Production code is untouched; the shortcut is
installed by tests/conftest.py, and tests/test_suite_speed.py checks every route and every
template gets exactly the code a fresh compile gives.
"""

from collections.abc import Callable, Hashable
from types import CodeType

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from werkzeug.routing.rules import Rule

# --- URL builders ----------------------------------------------------------------------------

_compile_builder = Rule._compile_builder
_builders: dict[Hashable, Callable] = {}


def builder_key(rule: Rule, append_unknown: bool) -> Hashable:
    """All that goes into the compiled function: the static parts and variables in order
    (``_trace``), the defaults' names and the URL text of those that fill a variable. The
    converters are reached at run time through the rule the function is bound to."""
    defaults = rule.defaults or {}
    filled = tuple(
        (name, rule._converters[name].to_url(defaults[name]))
        for dynamic, name in rule._trace
        if dynamic and name in defaults
    )
    return (append_unknown, rule.rule, tuple(rule._trace), tuple(defaults), filled)


def _builder_once(self: Rule, append_unknown: bool = True) -> Callable:
    key = builder_key(self, append_unknown)
    built = _builders.get(key)
    if built is None:
        built = _builders[key] = _compile_builder(self, append_unknown)
    return built


def original_builder(rule: Rule, append_unknown: bool) -> Callable:
    """What werkzeug itself compiles for the rule."""
    return _compile_builder(rule, append_unknown)


# --- templates -------------------------------------------------------------------------------


def environment_settings(environment: Environment, name: str) -> Hashable:
    """What the compiled code of template ``name`` depends on besides its source: the syntax,
    whitespace and autoescape settings, the extensions and the code generator."""
    autoescape = environment.autoescape
    return (
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        tuple(sorted(environment.extensions)),
        environment.optimized,
        environment.finalize,
        environment.is_async,
        autoescape(name) if callable(autoescape) else autoescape,
        environment.code_generator_class,
    )


class CompiledTemplates(BytecodeCache):
    """Jinja's bytecode cache, in memory and keyed also on the environment's settings: a
    template loaded again (by another app's environment) skips parsing and compiling."""

    def __init__(self) -> None:
        self.code: dict[Hashable, tuple[str, CodeType]] = {}

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        key = (name, filename, environment_settings(environment, name))
        bucket = Bucket(environment, key, self.get_source_checksum(source))  # type: ignore[arg-type]
        kept = self.code.get(key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self.code[bucket.key] = (bucket.checksum, bucket.code)

    def load_bytecode(self, bucket: Bucket) -> None:  # get_bucket reads the dict itself
        pass

    def dump_bytecode(self, bucket: Bucket) -> None:  # set_bucket writes the dict itself
        pass


TEMPLATES = CompiledTemplates()
_create_jinja_environment = Flask.create_jinja_environment


def _environment_sharing_templates(self: Flask):
    environment = _create_jinja_environment(self)
    if environment.bytecode_cache is None:
        environment.bytecode_cache = TEMPLATES
    return environment


def install() -> None:
    Rule._compile_builder = _builder_once  # type: ignore[method-assign]
    Flask.create_jinja_environment = _environment_sharing_templates  # type: ignore[method-assign]
