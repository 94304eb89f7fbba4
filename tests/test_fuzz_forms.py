"""Every form and query string, fuzzed: never a 500, never a half-written record.

The forms are found by walking the app as an anonymous visitor and as an admin (tests/crawl.py):
a route or a field added later is fuzzed without touching this file. Each example fills the
form with good values (its own, or plausible ones), then spoils none, one or several fields
with garbage (control characters, unicode, huge strings, malformed dates and numbers) or
leaves them out.

- A refused request (4xx, a form shown again with errors, an error message) writes nothing:
  every row of every table it wrote to (and of the tables that reference those) is compared
  before and after (tests/world.py's RowWatch: as strict as comparing the whole database).
- An accepted one stores text that fits its column (SQLite would keep a string PostgreSQL
  refuses), with no NUL, and the page it redirects to renders.

Examples per form: FUZZ_EXAMPLES (20 by default); FUZZ_DERANDOMIZE=1 (.ci/run) draws the same
cases on every run.
"""

import inspect
import io
import os
import pathlib
import re
import shutil
import tempfile
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from eventhub import create_app
from eventhub.auth.models import UserSession
from eventhub.extensions import db
from eventhub.organisations import csv_import
from eventhub.orm import utcnow
from tests.conftest import DATABASES, base_config, login
from tests.crawl import Field, Form, crawl, endpoint_of, form_key, local_path, parse_page
from tests.db_copies import built, copies_for, fresh_copy
from tests.world import (
    ADMIN_EMAIL,
    RowWatch,
    build_world,
    clients,
    clients_with,
    session_cookies,
)

# The huge strings are the point; hypothesis would warn about printing them.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
settings.register_profile(
    "fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("FUZZ_DERANDOMIZE") == "1",
    suppress_health_check=list(HealthCheck),
    print_blob=True,
    # Shrinking re-runs whole requests for minutes; the failing example is reported as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

# --- discovery (once per session, on a throwaway SQLite database) -------------------------

QUERY_KEYS = re.compile(r"request\.args\.get\(\s*[\"'](\w+)[\"']")


def _discover():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="eventhub-fuzz-"))
    app = create_app(base_config(f"sqlite:///{tmp / 'discover.sqlite'}", tmp))
    with app.app_context():
        db.create_all()
    world = build_world(app)
    site = crawl(app, clients(app), world.seeds, limit_per_endpoint=10)
    cases = {}
    for key, (role, form, page) in site.forms.items():
        if form.method == "POST":
            cases[key] = (role, page, "POST")
    # One query-string case per page that reads its query: keys from links, GET forms and
    # the view's own request.args lookups, plus the shared ?page= of every listing.
    for (endpoint, role), page in sorted(site.pages.items(), key=lambda kv: kv[1].role):
        if page.status != 200 or f"GET {endpoint}" in {k.rsplit(" [", 1)[0] for k in cases}:
            continue
        keys = set(site.query_keys.get(endpoint, {}))
        keys |= set(QUERY_KEYS.findall(inspect.getsource(app.view_functions[endpoint])))
        if keys or "listing" in inspect.getsource(app.view_functions[endpoint]):
            cases[f"GET {endpoint} [query]"] = (role, page.url, "GET")
    query_values = {
        endpoint: {k: sorted(v) for k, v in keys.items()}
        for endpoint, keys in site.query_keys.items()
    }
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    return cases, query_values, [p.url for p in site.pages.values() if p.status == 200]


_DISCOVERED = None


def discovered(config=None):
    """The forms to fuzz, found once per process; under pytest-xdist the controller's
    (tests/conftest.py): two crawls can meet different variants of a form, and every worker
    must collect the same tests."""
    global _DISCOVERED
    if _DISCOVERED is None:
        handed_over = getattr(config, "workerinput", {}).get("fuzz_discovery")
        _DISCOVERED = handed_over or _discover()
    return _DISCOVERED


def pytest_generate_tests(metafunc):
    if "fuzz_case" in metafunc.fixturenames:
        cases = discovered(metafunc.config)[0]
        metafunc.parametrize("fuzz_case", sorted(cases), ids=lambda key: key.split(" [")[0])


# --- values ---------------------------------------------------------------------------------

MALFORMED = [
    "",
    " ",
    "-1",
    "0",
    "2147483648",
    "99999999999999999999999999",
    "1e400",
    "NaN",
    "inf",
    "0x1F",
    "2026-02-30T10:00",
    "2026-13-01T00:00",
    "0000-00-00T00:00",
    "9999-12-31T23:59",
    "10000-01-01T00:00",
    "2026-09-06T00:30",  # skipped by the clocks in Santiago
    "2026-04-05T00:30",  # happens twice in Santiago
    "2026-11",
    "0001-01",
    "2026-1-1",
    "mañana",
    "\r\nBcc: victim@example.org",
    "Name\r\nX-Injected: 1",
    "<script>window.__xss=1</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    '=HYPERLINK("http://evil")',
    "'; DROP TABLE event; --",
    "\u202egnp.exe",
    "\ufeff",
    "a\tb\x0bc\x0c\x1b[31m\x7f",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉 Ñandú",
    "@@@",
    "a@b",
    "x" * 70_000,
    "ü" * 5_000,
]

garbage = st.one_of(
    st.sampled_from(MALFORMED),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
    st.text(st.characters(codec="ascii"), max_size=50),
    st.integers(1_000, 300_000).map(lambda n: "é" * n),
)

future = st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2029, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
words = st.text(st.sampled_from("abcdefghij klmnñopqrstuvwxyzÁÉ"), min_size=1, max_size=40)


def _moment(fld: Field, base: datetime) -> datetime:
    """Times that agree with each other: the end after the start, the deadline before."""
    if "end" in fld.name or fld.name.endswith("_to"):
        return base + timedelta(hours=2)
    if "deadline" in fld.name:
        return base - timedelta(days=1)
    return base


def plausible(fld: Field, base: datetime) -> st.SearchStrategy[str]:
    options = [o for o in fld.options if o is not None]
    if fld.kind in ("select", "radio", "submit") and options:
        return st.sampled_from(options)
    if fld.kind == "checkbox":
        return st.sampled_from([*options, None])
    if fld.kind == "datetime-local":
        return st.just(_moment(fld, base).strftime("%Y-%m-%dT%H:%M"))
    if fld.kind == "date" or fld.name.startswith("date_"):
        return st.just(_moment(fld, base).strftime("%Y-%m-%d"))
    if fld.kind == "month" or fld.name == "month":
        return st.just(base.strftime("%Y-%m"))
    if fld.kind == "number":
        return st.integers(0, 500).map(str)
    if fld.kind == "email" or "email" in fld.name:
        return st.from_regex(r"[a-z]{1,10}@example\.org", fullmatch=True)
    if fld.kind == "url" or fld.name == "website":
        return st.sampled_from(["https://example.org", "example.org/x", "http://a.b"])
    if fld.kind == "password" or "password" in fld.name or fld.name == "confirm":
        return st.just("correct horse battery")
    return words


def good(fld: Field, base: datetime) -> st.SearchStrategy:
    """A value the form should accept: its own value when it has one, else a plausible one."""
    if fld.value and fld.kind not in ("checkbox", "submit", "password"):
        return st.one_of(st.just(fld.value), plausible(fld, base))
    return plausible(fld, base)


@st.composite
def submission(draw, fields: dict[str, Field]) -> tuple[str, dict]:
    """A whole form: all good, one field bad, or any number bad (garbage or left out).

    Mostly-good submissions reach the services and the database; all-random ones rarely get
    past the first validator.
    """
    base = draw(future)
    names = sorted(fields)
    mode = draw(st.sampled_from(["valid", "one bad", "many bad"])) if names else "valid"
    if mode == "one bad":
        bad = {draw(st.sampled_from(names))}
    elif mode == "many bad":
        bad = draw(st.sets(st.sampled_from(names), min_size=1))
    else:
        bad = set()
    values = {}
    for name in names:
        if name in bad:
            values[name] = draw(st.one_of(garbage, st.none(), plausible(fields[name], base)))
        else:
            values[name] = draw(good(fields[name], base))
    return mode, values


CSV_BYTES = st.one_of(
    st.builds(
        lambda rows: (",".join(csv_import.COLUMNS) + "\n" + "\n".join(rows)).encode(),
        st.lists(
            st.builds(
                "{},ngo,Maule,Talca,,{},Jefa,{}@example.org,es".format,
                words.map(lambda w: w.replace(",", " ")),
                words.map(lambda w: w.replace(",", " ")),
                st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            ),
            max_size=5,
        ),
    ),
    st.binary(max_size=2_000),
    st.sampled_from(
        [
            b"name,kind\n=cmd|' /C calc'!A0,municipality\n",
            "name,kind\nMunicipalidad de Ñuñoa,municipality\n".encode("latin-1"),
            "name,kind\nÑuñoa,municipality\n".encode("utf-16"),
            b"\xff\xfe\x00\x00garbage",
            b"",
        ]
    ),
)

# --- checks ---------------------------------------------------------------------------------

REFUSAL_MARKERS = ('class="errors"', 'class="form-errors"', "flash-error")


def refused(client, response) -> bool:
    if response.status_code >= 400:
        return True
    if response.status_code == 200:
        if not response.mimetype.startswith("text/"):
            return False  # a download (the posted exports): nothing to refuse with
        return any(marker in response.get_data(as_text=True) for marker in REFUSAL_MARKERS)
    with client.session_transaction() as session:
        return any(category == "error" for category, _ in session.get("_flashes", []))


def check_stored_values(app, rows: dict[str, set]) -> None:
    with app.app_context():
        tables = {t.name: t for t in db.metadata.sorted_tables}
        for table_name, new_rows in rows.items():
            columns = list(tables[table_name].columns)
            for row in new_rows:
                for column, value in zip(columns, row, strict=True):
                    if not isinstance(value, str):
                        continue
                    where = f"{table_name}.{column.name}"
                    assert "\x00" not in value, f"NUL stored in {where}"
                    length = getattr(column.type, "length", None)
                    if isinstance(column.type, String) and length:
                        assert len(value) <= length, f"{len(value)} characters in {where}({length})"


def no_server_error(client, method: str, path: str, **kwargs):
    try:
        response = client.open(path, method=method, **kwargs)
    except Exception as error:  # TESTING propagates the exception a user would see as a 500
        raise AssertionError(f"{method} {path} raised {error!r}") from error
    assert response.status_code < 500, f"{method} {path} answered {response.status_code}"
    response.get_data()  # read (and keep) the body, then let go of any streamed file
    response.close()
    return response


def find_form(app, client, page_urls: list[str], key: str) -> tuple[Form, str] | None:
    for url in page_urls:
        path = local_path(url)
        response = client.get(path)
        if response.status_code != 200:
            continue
        for form in parse_page(response.get_data(as_text=True), f"http://localhost{path}").forms:
            if form_key(app, form) == key:
                return form, path
    return None


# --- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_worlds(tmp_path_factory):
    """The world, built once per database and worker: building it costs more than most fuzz
    runs, and a copy of the database is as pristine."""
    worlds: dict[str, tuple] = {}

    def world_on(kind: str) -> tuple:
        if kind not in worlds:
            folder = tmp_path_factory.mktemp(f"fuzz-{kind}")
            copies = copies_for(kind, folder)
            builder = create_app(base_config(copies.template_url, folder))
            with builder.app_context():
                db.create_all()
            world = build_world(builder)
            cookies = session_cookies(clients(builder))
            built(builder, copies, folder)
            worlds[kind] = (copies, world, cookies)
        return worlds[kind]

    yield world_on
    for copies, *_ in worlds.values():
        copies.close()


@pytest.fixture(params=DATABASES)
def fuzz_world(request, built_worlds, tmp_path):
    """An app on a fresh copy of the built world, that world's pages and its signed-in
    clients."""
    copies, world, cookies = built_worlds(request.param)
    config = {**base_config(copies.live_url, tmp_path), "MAX_CONTENT_LENGTH": 1024 * 1024}
    app = create_app(config)
    fresh_copy(app, copies)
    with app.app_context():
        # Signed in just now, as on a world built for this test: a session last seen over a
        # minute ago would be written by the first request, refused or not.
        db.session.execute(update(UserSession).values(last_seen_at=utcnow()))
        db.session.commit()
    yield app, world, clients_with(app, cookies)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_fuzz(fuzz_case, fuzz_world, record_property):
    cases, query_values, display_pages = discovered()
    role, page_url, method = cases[fuzz_case]
    app, world, signed_in = fuzz_world
    client = signed_in[role]
    page_endpoint = endpoint_of(app, local_path(page_url))[0]
    # Personal links carry random salts: the same page in this world is found among its links.
    candidates = [
        u
        for u in [page_url, *world.seeds]
        if (endpoint_of(app, local_path(u) or "") or ("",))[0] == page_endpoint
    ]
    if method == "POST":
        found = find_form(app, client, candidates, fuzz_case)
        assert found, f"{fuzz_case} is no longer on {page_url}"
        form, _ = found
        action = local_path(form.action)
        fields = {n: f for n, f in form.fields.items() if n != "csrf_token"}
    else:
        action = next(
            local_path(u) for u in candidates if client.get(local_path(u)).status_code == 200
        )
        action = urlsplit(action).path
        view = inspect.getsource(app.view_functions[page_endpoint])
        names = set(query_values.get(page_endpoint, {})) | set(QUERY_KEYS.findall(view)) | {"page"}
        fields = {
            n: Field(n, "select", "", query_values.get(page_endpoint, {}).get(n, [""]))
            for n in sorted(names)
        }
    stats = {"examples": 0, "refused": 0, "accepted": 0, "too_large": 0}
    watch = RowWatch(app)
    stored = []

    @settings(settings.get_profile("fuzz"))
    @given(form=submission(fields), upload=CSV_BYTES)
    def run(form, upload):
        stats["examples"] += 1
        _mode, values = form
        data = {n: v for n, v in values.items() if v is not None}
        with client.session_transaction() as session:
            session.pop("_flashes", None)  # only this request's messages say refused or not
        watch.changes()  # whatever the last example's redirect wrote is the state to keep
        if method == "GET":
            response = no_server_error(client, "GET", action, query_string=data)
        else:
            files = {
                n: FileStorage(io.BytesIO(upload), "organisations.csv")
                for n, f in fields.items()
                if f.kind == "file"
            }
            if files:
                # Built in memory: the test client would spool a big body to a temporary file
                # it never closes (a ResourceWarning, failing some later test).
                boundary, body = encode_multipart({**data, **files})
                response = no_server_error(
                    client,
                    "POST",
                    action,
                    data=body,
                    content_type=f"multipart/form-data; boundary={boundary}",
                )
            else:
                response = no_server_error(client, "POST", action, data=data)
        changed = watch.changes()
        if response.status_code == 413:
            stats["too_large"] += 1
        if method == "GET" or refused(client, response):
            stats["refused"] += method == "POST"
            assert not changed, (
                f"{method} {action} answered {response.status_code} but wrote {sorted(changed)}"
            )
            return
        stats["accepted"] += 1
        stored.extend(changed)
        check_stored_values(app, changed)
        if response.status_code in (301, 302, 303) and response.location:
            target = local_path(response.location)
            if target and not target.startswith("/static/"):
                no_server_error(client, "GET", target)

    with watch.watching():
        run()
    # Whatever the fuzz stored must still render on every page that shows it. Nothing stored,
    # nothing new to render: the pages are the world's, which the crawl has rendered.
    if stored:
        # A fresh sign-in: the fuzzed form may have ended the admin's sessions.
        admin = app.test_client()
        assert login(admin, ADMIN_EMAIL).status_code == 302
        paths = {local_path(url) for url in display_pages + world.seeds}
        for path in sorted(p for p in paths if p and endpoint_of(app, p)):
            no_server_error(admin, "GET", path)
    # Reported per form at the end of the run (tests/conftest.py).
    record_property("fuzz_cases", stats)


def test_every_route_that_takes_input_is_fuzzed():
    """A new form or query parameter the crawler cannot reach fails here, not silently."""
    cases = discovered()[0]
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    fuzzed = {key.split(" ")[1] for key in cases}
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    readers = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static"
        and (QUERY_KEYS.search(src := inspect.getsource(view)) or "paginate(" in src)
    }
    assert posts - fuzzed == set()
    assert readers - fuzzed == set()
