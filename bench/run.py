# ruff: noqa: S603, S607, S310 (runs our own tools on 127.0.0.1 URLs it builds itself)
"""EventHub against its own ceiling: one command, results in bench/RESULTS.md and results.json.

    .venv/bin/python bench/run.py [--quick] [--database sqlite|postgresql|both] [--scale 10]
                                  [--only questions|organiser [--size full|small|both]]

For each database and each data size (full, and ten times smaller) it builds a fresh database
(``flask db upgrade`` and bulk inserts, see bench/seed.py), counts SQL queries per page
in-process, starts gunicorn (2 workers, production settings) on a free port of 127.0.0.1,
drives it with wrk, times the calendar feeds cold, races 200 registrations for 50 places and
(first database, full size) watches worker memory. The outbox rate comes from
bench/outbox_rate.py; the invitations POST is timed with the Flask test client. Twin round
tables, one asking 10 registration questions and one asking none (bench/seed_questions.py),
compare the participants page, the programme's figures and registering in the same run;
``--only questions [--size small]`` runs that comparison alone (bench/out/questions.json).
The organiser's pages (the busiest event's page, participants, invitation form, door, exports,
follow-up; the events list and the month view) are loaded signed in, each checked first;
``--only organiser`` runs them alone (bench/out/organiser.json, and its runs replaced in
results.json and RESULTS.md), ``--scale 10`` adds them on ten times the full size.
Every process started here is stopped by its PID, also on Ctrl+C.
"""

import argparse
import contextlib
import http.cookiejar
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jinja2  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from bench import seed as seeding  # noqa: E402
from eventhub import create_app  # noqa: E402
from eventhub.extensions import db  # noqa: E402

OUT = ROOT / "bench" / "out"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
RESULTS_JSON = ROOT / "bench" / "results.json"
REPORT_TEMPLATE = ROOT / "bench" / "report.md.j2"
VENV_BIN = ROOT / ".venv" / "bin"
SECRET_KEY = "bench-secret-key-0f3c9a7e5d1b2c4a6e8f0a1b3c5d7e9f"  # noqa: S105
BASE_URL = "https://eventhub.bench.example"
WORKERS = 2

TARGETS = {
    "event_page": 0.30,
    "events_list": 0.30,
    "calendar_304": 0.80,
    "org_feed_304": 0.80,
    "registrant_feed_304": 0.80,
    "full_ics_ratio": 1.5,
    "cold_calendar_s": 0.2,
    "outbox_rate": 200,
    "outbox_connections": 10,
    "invitations_s": 0.5,
    "memory_growth_pct": 10.0,
    # Time per request on the 10-question event over the same page of the event without.
    "questions_ratio": 1.5,
    # Signed in as the busiest event's organiser, full size, against /healthz of the same run.
    "organiser_page": 0.15,
    "organiser_events_list": 0.30,
    "organiser_p99_ms": 100.0,
    # The pages that list every registrant, at the 10× size's 3,000.
    "large_event_kb": 300,
}


# --- helpers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app(url: str):
    """In-process app on the benchmark database (query counts, seeding, test-client POSTs)."""
    return create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": url,
            "EVENTHUB_BASE_URL": BASE_URL,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_BACKEND": "sink",
            # Query counts are of the work a page does, not of its remembered copy.
            "CACHE_TTL": 0,
            "FEED_CACHE_BYTES": 0,
        }
    )


def page_paths(ds: seeding.Dataset) -> dict[str, str]:
    org = f"/feeds/{ds.organisation_token}.ics"
    reg = f"/feeds/{ds.registrant_token}.ics"
    return {
        "event_page": f"/events/{ds.busiest_id}",
        "events_list": "/events/",
        "calendar_full": "/calendar.ics",
        "org_feed_full": org,
        "registrant_feed_full": reg,
        "event_ics": f"/events/{ds.busiest_id}.ics",
        "event_ics_detailed": f"/events/{ds.busiest_id}.ics?detailed=1",
    }


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: install it with `apt-get install -y wrk` (needs root)")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def median(values) -> float:
    return statistics.median(values)


def percentile(values, pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


# --- in-process measurements ----------------------------------------------------------------


@contextlib.contextmanager
def statements_counted(app):
    """``seen[0]``: the SQL statements the app's engine runs while inside (reset it at will)."""
    with app.app_context():
        engine = db.engine
    seen = [0]

    def count(*_args, **_kwargs):
        seen[0] += 1

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)


def signed_in_client(app):
    """A test client signed in as the bench organiser."""
    client = app.test_client()
    login = client.post(
        "/login",
        data={"email": seeding.ORGANISER_EMAIL, "password": seeding.ORGANISER_PASSWORD},
    )
    assert login.status_code == 302, login.status_code
    return client


def query_counts(app, ds: seeding.Dataset) -> dict[str, int]:
    """SQL statements per request, counted on the engine; the second request of each page."""
    client = app.test_client()
    counts = {}
    with statements_counted(app) as seen:
        for name, path in page_paths(ds).items():
            client.get(path)
            seen[0] = 0
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            counts[name] = seen[0]
    return counts


def serialise_times(app, ds: seeding.Dataset) -> dict:
    """icalendar alone: ``to_ical()`` of each feed's calendar, built beforehand (median of 3)."""
    from icalendar import Calendar

    from eventhub.calendar import ics
    from eventhub.calendar import services as feeds

    out = {}
    with app.test_request_context():
        queries = {"calendar_full": (feeds.public_feed_query(feeds.FeedFilters()), "public")}
        for name, token in (
            ("org_feed_full", ds.organisation_token),
            ("registrant_feed_full", ds.registrant_token),
        ):
            feed = feeds.resolve_feed(token)
            queries[name] = (feeds.feed_query_for(feed)[0], f"feed/{feed.id}")
        for name, (stmt, identity) in queries.items():
            events = feeds.calendar_events(stmt)
            # icalendar's own objects for the same events, parsed from what EventHub writes
            # (tests/test_ics_writer.py shows icalendar writes them back byte for byte).
            calendar = Calendar.from_ical(ics.calendar_bytes(events, "EventHub", identity))
            times = []
            for _ in range(3):
                started = time.perf_counter()
                calendar.to_ical()
                times.append(time.perf_counter() - started)
            out[name] = {"events": len(events), "to_ical_s": median(times)}
        db.session.remove()
    return out


def invitations_post(app, ds: seeding.Dataset) -> dict:
    """One POST inviting every organisation (primary contacts), with the test client."""
    from eventhub.invitations.models import Invitation

    client = signed_in_client(app)
    data = {
        "organisation_ids": [str(i) for i in ds.organisation_ids],
        "whom": "primary",
        "extra": "",
        "extra_language": "es",
        "send": "Send invitations",
    }
    started = time.perf_counter()
    response = client.post(f"/events/{ds.busiest_id}/invitations/new", data=data)
    elapsed = time.perf_counter() - started
    with app.app_context():
        queued = db.session.scalar(
            select(func.count(Invitation.id)).where(Invitation.event_id == ds.busiest_id)
        )
        db.session.remove()
    return {
        "organisations": len(ds.organisation_ids),
        "status": response.status_code,
        "invitations_created": queued,
        "seconds": elapsed,
    }


def message_post(app, ds: seeding.Dataset) -> dict:
    """One POST queuing an organiser's message on the busiest event, with the test client.

    Run after ``invitations_post``: its registrants, the organisations it invited (their
    invitees, who have not answered) and those organisations' contacts, deduplicated, make
    1,000 recipients at full size (300 + 350 + 350)."""
    from eventhub.messages.models import OrganiserMessage

    client = app.test_client()
    login = client.post(
        "/login",
        data={"email": seeding.ORGANISER_EMAIL, "password": seeding.ORGANISER_PASSWORD},
    )
    assert login.status_code == 302, login.status_code
    data = MultiDict(
        [
            *(("audiences", a) for a in ("confirmed", "not_answered", "contacts")),
            ("subject", "{event_title}: recordatorio"),
            (
                "body",
                "Estimada {name}:\n\nLe esperamos el {event_date} en {event_place}.\n\n"
                "[Su página]({link})",
            ),
            ("send", "Send"),
        ]
    )
    started = time.perf_counter()
    response = client.post(f"/events/{ds.busiest_id}/messages", data=data)
    elapsed = time.perf_counter() - started
    with app.app_context():
        recipients = db.session.scalar(
            select(OrganiserMessage.recipient_count)
            .where(OrganiserMessage.event_id == ds.busiest_id)
            .order_by(OrganiserMessage.id.desc())
        )
        db.session.remove()
    return {
        "status": response.status_code,
        "recipients": recipients,
        "seconds": elapsed,
        "target_s": 1.0,
    }


def registration_outcome(app, event_id: int) -> dict[str, int]:
    from eventhub.registrations.models import Registration

    with app.app_context():
        rows = db.session.execute(
            select(Registration.status, func.count(Registration.id))
            .where(Registration.event_id == event_id)
            .group_by(Registration.status)
        ).all()
        db.session.remove()
    return dict(rows)


# --- the server -----------------------------------------------------------------------------


class Server:
    """gunicorn with production settings; stopped by PID (master, then any worker left)."""

    def __init__(self, database_url: str, log_path: Path, workers: int = WORKERS, **settings: str):
        self.port = free_port()
        self.worker_count = workers
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTHUB_")}
        env.update(
            DATABASE_URL=database_url,
            SECRET_KEY=SECRET_KEY,
            EVENTHUB_BASE_URL=BASE_URL,
            # Served over plain http on 127.0.0.1 while the public address is https: secure
            # cookies would never come back, and every form post would fail its CSRF check.
            EVENTHUB_SESSION_COOKIE_SECURE="false",
            MAIL_DEFAULT_SENDER="EventHub <eventhub@example.org>",
            # The race for places sends 200 registrations from one address, which the
            # production throttle refuses by design (10 per hour); here it must not decide.
            EVENTHUB_REGISTRATION_RATE_LIMIT="100000 per hour",
            EVENTHUB_REGISTRATION_EVENT_RATE_LIMIT="100000 per hour",
        )
        env.update(settings)
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--no-control-socket",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C reaches us; we stop it ourselves
        )
        self.pid = self.process.pid
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early, see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):
                    pass
                if len(self.workers()) >= self.worker_count:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def drain(self, patience: float = 60) -> None:
        """Wait until requests wrk left queued are answered: two quick /healthz in a row.
        Slow pages leave a long queue (16 connections of multi-second requests at the 10×
        size), hence ``patience``."""
        quick, deadline = 0, time.monotonic() + patience
        while quick < 2 and time.monotonic() < deadline:
            started = time.perf_counter()
            with urllib.request.urlopen(
                f"{self.base}/healthz", timeout=max(1, deadline - time.monotonic())
            ):
                pass
            quick = quick + 1 if time.perf_counter() - started < 0.05 else 0

    def workers(self) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                found.append(int(stat.parent.name))
        return sorted(found)

    def stop(self) -> None:
        workers = self.workers()
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.log.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes, float]:
    request = urllib.request.Request(url, headers=headers or {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            status, response_headers = response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        body = error.read()
        status, response_headers = error.code, dict(error.headers)
    return status, response_headers, body, time.perf_counter() - started


# --- wrk ------------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * UNITS[unit]


def run_wrk(
    wrk: str, url: str, seconds: float, headers: dict | None = None, script: Path | None = None
) -> dict:
    command = [wrk, "-t2", "-c16", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)$", output, re.M)
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "non_2xx_3xx": int(non_ok.group(1)) if non_ok else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


# --- the race for places --------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def registration_race(base: str, event_id: int, people: int = 200) -> dict:
    """``people`` browsers (own cookie jar and CSRF token each) POST at the same moment."""
    page = f"{base}/events/{event_id}"

    def prepare(n):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
        html = opener.open(page, timeout=60).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        return opener, token

    with ThreadPoolExecutor(16) as pool:
        browsers = list(pool.map(prepare, range(people)))
    start_line = threading.Barrier(people)

    def post(n):
        opener, token = browsers[n]
        data = urlencode(
            {"csrf_token": token, "name": f"Corredora {n}", "email": f"race{n}@example.org"}
        ).encode()
        start_line.wait()
        started = time.perf_counter()
        try:
            with opener.open(f"{base}/events/{event_id}/register", data=data, timeout=120) as r:
                status = r.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            status = type(error).__name__
        return status, time.perf_counter() - started

    with ThreadPoolExecutor(people) as pool:
        results = list(pool.map(post, range(people)))
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    times = [t for _, t in results]
    return {
        "people": people,
        "http_statuses": statuses,
        "errors": sum(n for s, n in statuses.items() if s != "302"),
        "p50_ms": percentile(times, 50) * 1000,
        "p99_ms": percentile(times, 99) * 1000,
    }


# --- registration questions: twin events, with 10 questions and without ---------------------

# Signed-in sessions are bound to the User-Agent that signed in: wrk sends this one too.
BENCH_USER_AGENT = "EventHub-bench/1 (wrk)"
QUESTION_PAGES = ("participants", "figures")
VARIANTS = ("with", "without")

# A new registrant each request: wrk's threads each number their own, so no address repeats.
REGISTER_LUA = """\
-- written by bench/run.py: a registration POST with a new address each request
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local body = [==[%(body)s]==]
local threads, sent = 0, 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil,
    body .. "wrk-%(prefix)s-" .. tostring(tid) .. "-" .. sent .. "%%40example.org")
end
"""


def twin_paths(ds: seeding.Dataset) -> dict[str, dict[str, str]]:
    """The pages the issue's target names, for the event with questions and its twin. The
    programme's figures are on its page (``/programmes/<id>``)."""
    q = ds.questions
    return {
        variant: {
            "participants": f"/events/{q[f'{variant}_questions_id']}/participants",
            "figures": f"/programmes/{q[f'programme_{variant}_id']}",
            "register": f"/events/{q[f'{variant}_questions_id']}/register",
            "event": f"/events/{q[f'{variant}_questions_id']}",
        }
        for variant in VARIANTS
    }


def twin_markers(variant: str) -> dict[str, str]:
    """Text each page must hold: a sign-in page or an error page would be fast, and wrong."""
    return {
        "participants": f"Participante {variant} 0",
        "figures": f"Programa bench {variant} preguntas",
    }


def registration_fields(ds: seeding.Dataset, variant: str, token: str | None) -> list:
    """Everything a registration posts but the address (which goes last)."""
    fields = [("csrf_token", token)] if token else []
    fields += [("name", "Persona Bench"), ("language", "es")]
    if variant == "with":
        fields += [tuple(pair) for pair in ds.questions["form_fields"]]
    return fields


def questions_query_counts(app, ds: seeding.Dataset) -> dict[str, dict[str, int]]:
    """SQL statements of each twin page (signed in, second request) and of one registration
    POST (a visitor's second), per variant."""
    organiser = signed_in_client(app)
    counts: dict[str, dict[str, int]] = {}
    with statements_counted(app) as seen:
        for variant, paths in twin_paths(ds).items():
            counts[variant] = {}
            for name in QUESTION_PAGES:
                organiser.get(paths[name])
                seen[0] = 0
                response = organiser.get(paths[name])
                assert response.status_code == 200, (paths[name], response.status_code)
                counts[variant][name] = seen[0]
            visitor = app.test_client()
            for n in range(2):
                data = registration_fields(ds, variant, None)
                data.append(("email", f"counted-{variant}-{n}@example.org"))
                seen[0] = 0
                response = visitor.post(paths["register"], data=MultiDict(data))
                assert response.status_code == 302, (paths["register"], response.status_code)
            counts[variant]["register"] = seen[0]
    return counts


def _browser(user_agent: str = BENCH_USER_AGENT):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    opener.addheaders = [("User-Agent", user_agent)]
    return jar, opener


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _open(opener, url: str, data: bytes | None = None) -> tuple[int, dict, str]:
    try:
        with opener.open(url, data=data, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def _cookie_header(jar) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def signed_in_headers(base: str) -> dict[str, str]:
    """Sign the bench organiser in as a browser would; the headers wrk sends to be it."""
    jar, opener = _browser()
    _status, _headers, html = _open(opener, f"{base}/login")
    data = urlencode(
        {
            "csrf_token": _csrf(html),
            "email": seeding.ORGANISER_EMAIL,
            "password": seeding.ORGANISER_PASSWORD,
        }
    ).encode()
    status, headers, _body = _open(opener, f"{base}/login", data)
    if status != 302 or "/login" in headers.get("Location", "/login"):
        raise RuntimeError(f"the bench organiser could not sign in ({status})")
    # The page signing in lands on shows "signed in" once, as a browser would read it; wrk
    # sends one cookie over and over, and a cookie still holding that message would make
    # every page a page with a message to show (never kept, cache.py).
    _open(opener, urljoin(f"{base}/login", headers["Location"]))
    return {"Cookie": _cookie_header(jar), "User-Agent": BENCH_USER_AGENT}


def registration_count(app, event_id: int) -> int:
    from eventhub.registrations.models import Registration

    with app.app_context():
        found = db.session.scalar(
            select(func.count(Registration.id)).where(Registration.event_id == event_id)
        )
        db.session.remove()
    return int(found or 0)


def questions_load(server: Server, wrk: str, app, ds: seeding.Dataset, seconds: int) -> dict:
    """The participants page, the programme's figures and registering, on the event with 10
    questions and on its twin without, in the same run; then each with-questions figure over
    its twin's as time per request (``ratio``; the target is ≤ 1.5)."""
    paths = twin_paths(ds)
    signed_in = signed_in_headers(server.base)
    load: dict[str, dict] = {variant: {} for variant in VARIANTS}
    for variant in VARIANTS:
        for name in QUESTION_PAGES:
            url = server.base + paths[variant][name]
            _jar, opener = _browser()
            opener.addheaders.append(("Cookie", signed_in["Cookie"]))
            status, _headers, html = _open(opener, url)
            marker = twin_markers(variant)[name]
            if status != 200 or marker not in html:
                raise RuntimeError(f"{url} answered {status} without {marker!r}: not measured")
            print(f"[questions] wrk {variant} {name} ({seconds} s)", flush=True)
            load[variant][name] = run_wrk(wrk, url, seconds, signed_in)
            server.drain()
    for variant in VARIANTS:
        # A visitor's session: the CSRF token of the event page, one POST to check it works.
        jar, opener = _browser()
        _status, _headers, html = _open(opener, server.base + paths[variant]["event"])
        fields = registration_fields(ds, variant, _csrf(html))
        url = server.base + paths[variant]["register"]
        first = urlencode([*fields, ("email", f"check-{variant}@example.org")]).encode()
        status, headers, _body = _open(opener, url, first)
        if status != 302 or "/r/" not in headers.get("Location", ""):
            raise RuntimeError(f"registering on {url} answered {status}: not measured")
        script = OUT / f"register-{variant}.lua"
        body = urlencode(fields) + "&email="
        script.write_text(REGISTER_LUA % {"body": body, "prefix": variant})
        event_id = ds.questions[f"{variant}_questions_id"]
        before = registration_count(app, event_id)
        print(f"[questions] wrk {variant} register ({seconds} s)", flush=True)
        figures = run_wrk(
            wrk, url, seconds, {"Cookie": _cookie_header(jar), "User-Agent": BENCH_USER_AGENT},
            script,
        )  # fmt: skip
        server.drain()
        figures["registrations_created"] = registration_count(app, event_id) - before
        load[variant]["register"] = figures
    ratios = {
        name: load["without"][name]["rps"] / load["with"][name]["rps"]
        if load["with"][name]["rps"]
        else None
        for name in (*QUESTION_PAGES, "register")
    }
    return {"load": load, "ratio": ratios, "answers": answer_count(app, ds)}


def answer_count(app, ds: seeding.Dataset) -> dict[str, int]:
    """Answers stored for the event with questions: seeded, and saved by the POSTs (none
    while the public form does not ask the questions yet)."""
    from eventhub.questions.models import Answer
    from eventhub.registrations.models import Registration

    with app.app_context():
        found = db.session.scalar(
            select(func.count(Answer.id))
            .join(Registration, Registration.id == Answer.registration_id)
            .where(Registration.event_id == ds.questions["with_questions_id"])
        )
        db.session.remove()
    return {"seeded": ds.questions["answers_upcoming"], "now": int(found or 0)}


# --- organiser pages: signed in as the organiser who manages the busiest event ---------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def organiser_paths(ds: seeding.Dataset) -> dict[str, str]:
    event = f"/events/{ds.busiest_id}"
    return {
        "event_page": event,
        "event_agenda": f"{event}/agenda/manage",
        "participants": f"{event}/participants",
        "invitation_form": f"{event}/invitations/new",
        "door": f"{event}/checkin",
        "participants_csv": f"{event}/participants.csv",
        "participants_xlsx": f"{event}/participants.xlsx",
        "followup": f"{event}/followup",
        "events_list": "/events/",
        "month": "/calendar",
    }


def organiser_markers(ds: seeding.Dataset) -> dict[str, list[bytes]]:
    """What each page must hold to count as measured: the manager's view of the busiest event
    with its rows, not a sign-in page, a 403 or the visitor's view, which are all faster. Any
    row will do (a registrant's name, an organisation's), so pages that show their rows a page
    at a time still pass."""
    event = f"/events/{ds.busiest_id}"
    registrant = b"Participante "
    signed_in = b'action="/logout"'
    return {
        # The manager's summary: its tabs and their counts (the agenda has its own tab).
        "event_page": [signed_in, f'href="{event}/participants"'.encode(), b'id="tab-agenda"'],
        "event_agenda": [signed_in, b"Ponencia 1:", f'action="{event}/agenda/'.encode()],
        "participants": [signed_in, registrant, f'action="{event}/participants/'.encode()],
        "invitation_form": [signed_in, b"Municipalidad Bench ", b'name="organisation_ids"'],
        "door": [signed_in, registrant, f'action="{event}/checkin/'.encode()],
        "participants_csv": [registrant],
        # A zip: compressed, so only its shape is checked (and its type, below).
        "participants_xlsx": [b"PK\x03\x04", b"xl/worksheets/"],
        "followup": [signed_in, f'href="{event}/followup/mail"'.encode()],
        "events_list": [signed_in, b'href="/events/new"', b"Mesa intermunicipal"],
        "month": [signed_in, b"Mesa intermunicipal"],
    }


def check_organiser_page(name: str, status: int, headers, body: bytes, markers) -> None:
    """Fail loudly: a redirect to /login, a 403 or another view is fast and wrk counts it."""
    missing = [m for m in markers if m not in body]
    kind = headers.get("Content-Type", "")
    if name == "participants_xlsx" and not kind.startswith(XLSX_TYPE):
        missing.append(f"Content-Type {XLSX_TYPE}".encode())
    if status != 200 or missing:
        raise RuntimeError(
            f"organiser page {name} answered {status} ({len(body)} bytes) without "
            f"{[m.decode(errors='replace') for m in missing]}: not measured"
        )


def organiser_in_process(app, ds: seeding.Dataset) -> dict[str, dict]:
    """SQL statements (the second request of each page, signed in) and the bytes sent."""
    client = signed_in_client(app)
    markers = organiser_markers(ds)
    figures = {}
    with statements_counted(app) as seen:
        for name, path in organiser_paths(ds).items():
            client.get(path)
            seen[0] = 0
            response = client.get(path)
            body = response.get_data()
            check_organiser_page(name, response.status_code, response.headers, body, markers[name])
            figures[name] = {"queries": seen[0], "bytes": len(body)}
    return figures


def organiser_load(server: Server, wrk: str, ds: seeding.Dataset, seconds: float) -> dict:
    """``/healthz``, then each organiser page with the organiser's session and User-Agent,
    each checked once (status 200 and its markers) before its load; ratios to that
    ``/healthz``."""
    signed_in = signed_in_headers(server.base)
    markers = organiser_markers(ds)
    print(f"[organiser] wrk healthz ({seconds} s)", flush=True)
    healthz = run_wrk(wrk, server.base + "/healthz", seconds)
    server.drain()
    pages: dict[str, dict] = {}
    for name, path in organiser_paths(ds).items():
        status, headers, body, elapsed = get(server.base + path, signed_in)
        check_organiser_page(name, status, headers, body, markers[name])
        print(f"[organiser] wrk {name} ({seconds} s)", flush=True)
        figures = run_wrk(wrk, server.base + path, seconds, signed_in)
        server.drain(patience=600)
        figures["ratio"] = figures["rps"] / healthz["rps"] if healthz["rps"] else None
        figures.update(bytes=len(body), check_s=elapsed)
        pages[name] = figures
    return {"healthz": healthz, "pages": pages, "seconds": seconds}


def organiser_uncached_load(
    database_url: str, label: str, wrk: str, ds: seeding.Dataset, seconds: float
) -> dict:
    """The same pages with nothing kept (``EVENTHUB_CACHE_TTL=0``): what each read costs
    right after a change, when every copy kept for an organiser has been dropped."""
    server = Server(database_url, OUT / f"gunicorn-{label}-uncached.log", EVENTHUB_CACHE_TTL="0")
    try:
        print(f"[{label}] the same pages, nothing kept", flush=True)
        return organiser_load(server, wrk, ds, seconds)
    finally:
        server.stop()


def bench_organiser(kind: str, size: seeding.Size, args, wrk: str) -> dict:
    """The organiser pages alone, on a fresh database of the size (``--only organiser`` and
    the 10× size)."""
    label = f"{kind}-{size.name}-organiser"
    print(f"[{label}] building the database", flush=True)
    database = seeding.Database(kind, OUT, f"{size.name}-organiser")
    server = None
    try:
        started = time.perf_counter()
        app = make_app(database.url)
        ds = seeding.seed(app, size, database.url)
        seed_s = time.perf_counter() - started
        print(f"[{label}] seeded in {seed_s:.1f} s", flush=True)
        in_process = organiser_in_process(app, ds)
        with app.app_context():
            db.engine.dispose()
        seconds = organiser_seconds(size, args)
        server = Server(database.url, OUT / f"gunicorn-{label}.log")
        load = organiser_load(server, wrk, ds, seconds)
        server.stop()
        server = None
        load["uncached"] = organiser_uncached_load(database.url, label, wrk, ds, seconds)
        return organiser_result(kind, size, ds, seed_s, in_process, load)
    finally:
        if server is not None:
            server.stop()
        database.drop()


def organiser_seconds(size: seeding.Size, args) -> float:
    if size is seeding.FULL:
        return args.seconds
    # The small size as the other sections; the 10× size's pages take long per request, so
    # fewer seconds still give hundreds of them.
    return max(2, args.seconds // 2)


def organiser_result(kind, size, ds, seed_s, in_process, load) -> dict:
    pages = load["pages"]
    for name, figures in in_process.items():
        pages[name].update(queries=figures["queries"], in_process_bytes=figures["bytes"])
    return {
        "database": kind,
        "size": size.name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run.py " + " ".join(sys.argv[1:]),
        "seed_s": seed_s,
        "seconds": load["seconds"],
        "data": ds.public(),
        "healthz": load["healthz"],
        "pages": pages,
        "uncached": load.get("uncached"),
    }


# --- one database at one size ---------------------------------------------------------------


COLD_PATHS = ("calendar_full", "org_feed_full", "registrant_feed_full", "event_ics_detailed")


def cold_times(database_url: str, label: str, paths: dict) -> dict:
    """Each calendar built from the database: one worker with every cache off, median of 3.

    Two unmeasured requests to the same feed warm the worker first (its database connection,
    translations, compiled statements and VTIMEZONEs), as any worker in service is; the
    production server's *first* request, measured separately, shows the fresh worker.
    """
    server = Server(
        database_url,
        OUT / f"gunicorn-{label}-uncached.log",
        workers=1,
        EVENTHUB_CACHE_TTL="0",
        EVENTHUB_FEED_CACHE_BYTES="0",
    )
    try:
        cold = {}
        for name in COLD_PATHS:
            for _ in range(2):
                get(server.base + paths[name])
            times, status, length = [], None, 0
            for _ in range(3):
                status, _headers, body, elapsed = get(server.base + paths[name])
                times.append(elapsed)
                length = len(body)
            cold[name] = {
                "status": status,
                "bytes": length,
                "median_s": median(times),
                "times_s": times,
            }
        return cold
    finally:
        server.stop()


def bench_one(kind: str, size: seeding.Size, args, wrk: str, watch_memory: bool) -> dict:
    label = f"{kind}-{size.name}"
    print(f"[{label}] building the database", flush=True)
    database = seeding.Database(kind, OUT, size.name)
    result: dict = {"database": kind, "size": size.name}
    server = None
    try:
        started = time.perf_counter()
        app = make_app(database.url)
        ds = seeding.seed(app, size, database.url)
        result["seed_s"] = time.perf_counter() - started
        result["data"] = ds.public()
        result["query_counts"] = query_counts(app, ds)
        result["questions_query_counts"] = questions_query_counts(app, ds)
        organiser_figures = organiser_in_process(app, ds)
        result["to_ical"] = serialise_times(app, ds)
        with app.app_context():
            db.engine.dispose()

        paths = page_paths(ds)
        result["cold"] = cold_times(database.url, label, paths)

        print(f"[{label}] starting gunicorn", flush=True)
        server = Server(database.url, OUT / f"gunicorn-{label}.log")
        for name in COLD_PATHS:
            # The first request builds the calendar; later ones are answered from the
            # worker's memory of its ETag (eventhub/cache.py).
            times = [get(server.base + paths[name])[3] for _ in range(5)]
            result["cold"][name].update(first_s=times[0], repeat_s=min(times[1:]))

        etags = {}
        for name in ("calendar", "org_feed", "registrant_feed"):
            path = paths[f"{name}_full"]
            _status, headers, _body, _t = get(server.base + path)
            etags[name] = headers.get("ETag")
            status, *_ = get(server.base + path, {"If-None-Match": etags[name]})
            result.setdefault("conditional_status", {})[name] = status

        plan = [
            ("healthz", "/healthz", None),
            ("event_page", paths["event_page"], None),
            ("events_list", paths["events_list"], None),
            ("calendar_304", "/calendar.ics", {"If-None-Match": etags["calendar"]}),
            ("calendar_full", paths["calendar_full"], None),
            ("org_feed_304", paths["org_feed_full"], {"If-None-Match": etags["org_feed"]}),
            ("org_feed_full", paths["org_feed_full"], None),
            (
                "registrant_feed_304",
                paths["registrant_feed_full"],
                {"If-None-Match": etags["registrant_feed"]},
            ),
            ("registrant_feed_full", paths["registrant_feed_full"], None),
            ("event_ics", paths["event_ics"], None),
        ]
        seconds = args.seconds if size is seeding.FULL else max(2, args.seconds // 2)
        load = {}
        for name, path, headers in plan:
            print(f"[{label}] wrk {name} ({seconds} s)", flush=True)
            load[name] = run_wrk(wrk, server.base + path, seconds, headers)
            server.drain()
        ceiling = load["healthz"]["rps"]
        for figures in load.values():
            figures["ratio"] = figures["rps"] / ceiling if ceiling else None
        result["load"] = load
        result["questions"] = questions_load(server, wrk, app, ds, seconds)
        result["organiser"] = organiser_result(
            kind,
            size,
            ds,
            result["seed_s"],
            organiser_figures,
            organiser_load(server, wrk, ds, organiser_seconds(size, args)),
        )

        if size is seeding.FULL:
            print(f"[{label}] 200 registrations for 50 places", flush=True)
            race = registration_race(server.base, ds.race_event_id)
            race["outcome"] = registration_outcome(app, ds.race_event_id)
            result["race"] = race

        if watch_memory:
            result["memory"] = watch_worker_memory(server, wrk, paths["event_page"], load, args)

        server.stop()
        server = None
        result["invitations"] = invitations_post(app, ds)
        result["message"] = message_post(app, ds)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        if server is not None:
            server.stop()
        database.drop()
    return result


def bench_questions(kind: str, size: seeding.Size, args, wrk: str) -> dict:
    """``--only questions``: the twin events' measurements alone, on a fresh database."""
    label = f"{kind}-{size.name}-questions"
    print(f"[{label}] building the database", flush=True)
    database = seeding.Database(kind, OUT, f"{size.name}-questions")
    server = None
    try:
        app = make_app(database.url)
        ds = seeding.seed(app, size, database.url)
        result: dict = {"database": kind, "size": size.name, "data": ds.public()}
        result["questions_query_counts"] = questions_query_counts(app, ds)
        with app.app_context():
            db.engine.dispose()
        server = Server(database.url, OUT / f"gunicorn-{label}.log")
        seconds = args.seconds if size is seeding.FULL else max(2, args.seconds // 2)
        result["questions"] = questions_load(server, wrk, app, ds, seconds)
        return result
    finally:
        if server is not None:
            server.stop()
        database.drop()


def watch_worker_memory(server: Server, wrk: str, path: str, load: dict, args) -> dict:
    """Worker RSS before, after ~10k and after ~20k more requests to the event page."""
    step = 2000 if args.quick else 10000
    rate = max(load["event_page"]["rps"], 1.0)
    seconds = max(2, round(step / rate * 1.02))
    snapshots = [{"requests": 0, "rss_kib": {pid: rss_kib(pid) for pid in server.workers()}}]
    total = 0
    for _ in range(2):
        print(f"[memory] wrk event page for {seconds} s (~{step} requests)", flush=True)
        total += run_wrk(wrk, server.base + path, seconds)["requests"]
        snapshots.append(
            {"requests": total, "rss_kib": {pid: rss_kib(pid) for pid in server.workers()}}
        )
    middle, last = snapshots[1]["rss_kib"], snapshots[2]["rss_kib"]
    growth = {pid: 100 * (last[pid] - middle[pid]) / middle[pid] for pid in last if middle.get(pid)}
    return {
        "path": path,
        "snapshots": snapshots,
        "growth_pct": growth,
        "max_growth_pct": max(growth.values()) if growth else None,
    }


def outbox(kind: str) -> dict:
    """bench/outbox_rate.py, run as it is, on a fresh database of the kind."""
    database = seeding.Database(kind, OUT, "outbox")
    try:
        command = [sys.executable, str(ROOT / "bench" / "outbox_rate.py"), "--count", "1000"]
        if kind == "postgresql":
            command += ["--database-url", database.url]
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=300, cwd=ROOT
        ).stdout
    finally:
        database.drop()
    received = re.search(r"received by the SMTP server: (\d+) in (\d+) connection", output)
    return {
        "messages": 1000,
        "received": int(received.group(1)),
        "connections": int(received.group(2)),
        "elapsed_s": float(re.search(r"elapsed: ([\d.]+) s", output).group(1)),
        "rate": float(re.search(r"rate: ([\d.]+) messages/s", output).group(1)),
    }


# --- the report -----------------------------------------------------------------------------

ORGANISER_ROWS = [
    ("event_page", "event page (manager's view)", "organiser_page"),
    ("event_agenda", "agenda tab (`/agenda/manage`)", "organiser_page"),
    ("participants", "participants", "organiser_page"),
    ("invitation_form", "invitation form", "organiser_page"),
    ("door", "door page (`/checkin`)", "organiser_page"),
    ("participants_csv", "participants.csv", "organiser_page"),
    ("participants_xlsx", "participants.xlsx", "organiser_page"),
    ("followup", "follow-up page", "organiser_page"),
    ("events_list", "`/events/` list (signed in)", "organiser_events_list"),
    ("month", "month view (`/calendar`)", "organiser_page"),
]
# Listing every registrant: these must stay under ``large_event_kb`` at the 10× size.
LARGE_EVENT_PAGES = ("participants", "door")

LOAD_ROWS = [
    ("healthz", "`/healthz` (ceiling)", None),
    ("event_page", "public event page (busiest event)", "event_page"),
    ("events_list", "`/events/` list", "events_list"),
    ("calendar_304", "`/calendar.ics` 304 (If-None-Match)", "calendar_304"),
    ("calendar_full", "`/calendar.ics` full", None),
    ("org_feed_304", "organisation feed 304", "org_feed_304"),
    ("org_feed_full", "organisation feed full", None),
    ("registrant_feed_304", "registrant feed 304", "registrant_feed_304"),
    ("registrant_feed_full", "registrant feed full", None),
    ("event_ics", "`/events/<busiest>.ics`", None),
]


FEEDS = (
    ("calendar_full", "`/calendar.ics`"),
    ("org_feed_full", "organisation feed"),
    ("registrant_feed_full", "registrant feed"),
)


def _ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def _runs(results: dict, kind: str) -> dict:
    return {r["size"]: r for r in results["runs"] if r["database"] == kind}


# Two established open-source peers, measured by the authors on the same kind of machine
# (2 cores, gunicorn with 2 workers, wrk on the same cores), full size.
PEERS = {
    "cold_calendar_s": (0.33, 1.0),
    "calendar_rps": (3.4, 1.6),
    "event_page_ratio": 0.010,
    "event_ics_ratio": 0.008,
}


def add_ics_ratios(results: dict) -> None:
    """Each feed's built time over icalendar's alone, kept in results.json beside the figures."""
    for kind in results["meta"]["databases"]:
        runs = _runs(results, kind)
        for run in (runs["full"], runs["small"]):
            for key, _label in FEEDS:
                ratio = run["cold"][key]["median_s"] / run["to_ical"][key]["to_ical_s"]
                run.setdefault("ics_ratio", {})[key] = ratio


def render(results: dict) -> str:
    """RESULTS.md from the results: the figures, the targets they meet or miss, and why."""
    add_ics_ratios(results)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPORT_TEMPLATE.parent),
        extensions=["jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 (Markdown for the repository, not HTML)
    )
    environment.filters["ok"] = _ok
    environment.filters["runs"] = lambda kind: _runs(results, kind)  # a database's, by size
    template = environment.get_template(REPORT_TEMPLATE.name)
    return template.render(
        results=results,
        workers=WORKERS,
        targets=TARGETS,
        peers=PEERS,
        load_rows=LOAD_ROWS,
        organiser_rows=ORGANISER_ROWS,
        large_event_pages=LARGE_EVENT_PAGES,
        feeds=FEEDS,
        nan=math.nan,
    )


# Written after reading a run's figures: what moved each number, and the causes of what is
# still missed, in plain words. Profiled with cProfile in-process on the full data.
EXPLANATIONS: list[str] = [
    "Calendar polls (the three 304 rows) are answered from memory: each worker keeps the "
    "feed's version (one aggregate query: count, ids, SEQUENCE, and the latest change to "
    "events, speakers and organisations) and the resolved feed token until it commits "
    "anything, and for at most `CACHE_TTL` seconds (default 5) for changes made by other "
    "workers (eventhub/cache.py). A poll then runs no SQL; it also skips Babel (the "
    "language's code is enough to tell versions apart), compares the If-None-Match header "
    "as sent before parsing it, and sends headers formatted once per version. That cut "
    "the route's own cost by half in-process (0.14 → 0.07 ms over `/healthz`) and moved "
    "the SQLite 304 rows from 0.69–0.74 to about 0.9 of `/healthz`.",
    "A calendar is written straight to bytes (eventhub/calendar/ics.py): the VEVENTs are "
    "formatted, escaped and folded by plain functions, byte for byte what icalendar writes "
    "for the same properties (tests/test_ics_writer.py compares the two on Hypothesis-made "
    "events), and only the calendar's header and VTIMEZONEs come from icalendar, once per "
    "name and zone. Building icalendar objects and serialising them was about 0.4 s of the "
    "0.52 s a 1,000-event feed took; writing the bytes takes 0.035 s. The agenda items "
    "and their speakers come in one joined query for all the feed's events (two queries "
    "however many events, half the time of the ORM's subquery loads for a small feed), "
    "and registrations are indexed by email for the personal feeds. The built calendar's "
    "bytes are kept per ETag (bounded LRU, `FEED_CACHE_BYTES`): see *repeat*.",
    "Why the smallest feeds stay above 1.5× `to_ical`: the ratio's denominator shrinks with "
    "the events (1 ms for 2 events, 3 ms for 12, 5 ms for 20) while a request that builds a "
    "feed has a fixed cost that does not: the HTTP request itself (about 0.9 ms for "
    "`/healthz`, idle) and four statements (the feed token, the version, the events, their "
    "agendas), which on PostgreSQL are also seven round trips with the pool's pre-ping, "
    "BEGIN and ROLLBACK, about 0.35 ms each here. So a feed of a few events is answered in "
    "5–10 ms whatever its size; from about 20 events on SQLite and 100 on PostgreSQL the "
    "ratio is under 1.5, and the 1,000-event feed is built in about a third of the time "
    "icalendar alone needs to serialise it.",
    "The public event page and the events list are remembered for visitors who are not "
    "signed in (same invalidation as the feeds), rendered once with a slot for the CSRF "
    "token and each visitor's own token put in; signed-in organisers and pages with a "
    "flashed message are rendered every time. Rendering them (about 25 ms and 15 ms "
    "in-process) is therefore paid once per change, not per visit. The directory's "
    "350-option select box also renders without WTForms' per-option attribute machinery "
    "(same HTML). The query counts below are of the rendering itself, and of a calendar "
    "built from the database (every cache off).",
    "Sending invitations renders each language's email once per batch and fills in the "
    "personal parts (name, links; escaped as the template would), reads the "
    "organisations' feed addresses and the event's agenda with its speakers once, and "
    "writes the emails, invitations and participations with one multi-row INSERT each "
    "(not 1,050 objects through the ORM's unit of work): 0.615 → about 0.4 s on "
    "PostgreSQL. What remains is mostly the emails' INSERT: about 8 MB of text and "
    "calendars, which PostgreSQL compresses with lz4 where it has it (migration "
    "b7d41c2e9a10).",
    "The outbox worker makes one commit per message: the commit that marks a message "
    "SENDING also marks the one the server just accepted SENT, so a killed sender leaves at "
    "most one message in doubt; SQLite runs WAL with synchronous=NORMAL (no fsync per "
    "commit; safe against any process crash). Each message is written without the SMTP "
    "policy parsing its headers back (same bytes, 2.1 → 1.2 ms) and its UPDATEs are Core "
    "statements. bench/outbox_rate.py runs four senders (`--concurrency 4`), each with its "
    "own SMTP connection and database session, so a killed worker leaves at most four in "
    "doubt; they overlap the waiting on the server and the database. The bench's SMTP "
    "server runs in the same process, so here the rate is bound by one CPU core; against "
    "a server that takes 5 ms per message, one sender gives 112 messages/s and four 237.",
    "Memory was watched on the small size's event page because 20,000 requests to the "
    "40-item page take several minutes; RSS was flat.",
    "Where the organiser pages' time goes (bench/profile_pages.py, full size, cProfile, "
    "shares of each page's profiled time; they overlap): the **event page** (manager's "
    "view) spends 63 % rendering, half of it in the agenda macro "
    "(templates/agenda/_agenda.html, 40 items) and a fifth in the registration form "
    "rendered for the manager (the field macro of templates/_forms.html, 701 `<option>`s "
    "per request); its 18 statements are 6 %. **Participants**: 90 % rendering, and 47 % "
    "in 2,130 template `gettext` calls per request, seven per registrant row, each going "
    "through Flask-Babel's get_translations and Werkzeug's context-local proxies (their "
    "self time alone is a quarter); SQL 8 %. **Invitation form**: 69 % rendering; one lazy "
    "kind label per organisation made text and escaped (about 370 of each per request, "
    "17 %), 372 template `gettext` calls (15 %), 5,500 escapes; building the directory "
    "(ORM objects for 350 organisations and 700 contacts, every column) 24 %. **Door "
    "page**: 76 % rendering, a template `gettext` per row (316 calls, 22 %); the 300 "
    "Registration objects with every column 13 %. **participants.csv**: two gettext per "
    "row (the status's lazy label and another, 609 calls, 22 %), the ORM objects 23 %, the "
    "csv writer with its formula neutralising 16 %. **participants.xlsx**: openpyxl's "
    "write-only rows 52 % (a WriteOnlyCell per value, 2,700 per request, and its XML "
    "writer), the rows shared with the CSV 21 %. **Follow-up page**: the commitment form's "
    "organisation and contact selects render 401 options through WTForms' per-option "
    "machinery (47 %; `Markup.format` and MarkupSafe are a third of the self time), not "
    "the directory's fast path. **Events list** (signed in, so never from the page "
    "cache): rendering 58 %, the filter form's fields 15 %, lazy kind labels per row "
    "(12 %), the pager (a count over the listed events, then the page; 21 %). **Month view**: "
    "rendering 55 %, 30 gettext calls 9 %. Across pages: no statement count grows with "
    "the data; the time is per row, in templates, translations and ORM objects.",
    "What moved the organiser pages at full size (quiet machine, 23:37 UTC run against the "
    "20:31 one): the **event page** 54 → 118 req/s (0.025 → 0.056×), 18 → 12 statements, "
    "116 → 26.5 KB: a manager now gets a summary with the event's section tabs instead of "
    "the public agenda and the registration form (those are in the visitor's view); what "
    "is left (cProfile, in-process) is the participating-organisation form's "
    "350-organisation select and the co-organiser select (about 29 %), the session and user "
    "(8 %), the figures by answer (8 %). The agenda's controls are on the **agenda tab** "
    "(163 req/s, 5 statements, plain rows). **participants.xlsx** 20 → 110 req/s: the "
    "workbook's XML is written straight into a streamed ZIP (no openpyxl cell per value). "
    "**Events list** signed in 155 → 514 req/s (0.071 → 0.245×, p99 38 ms): plain rows, "
    "and the list under the heading, the same for every organiser, kept per worker like "
    "the anonymous page (dropped on any commit and after `CACHE_TTL`); the organiser's name, "
    "CSRF token and messages are rendered per request, so no one sees another's view. What "
    "a served list still costs is the session lookup (about 40 %) and base.html for a "
    "signed-in reader (about 30 %). **Participants** 153 → 117, **door** 179 → 147 and "
    "**follow-up** 108 → 83 req/s went the other way: they now carry the event's section "
    "tabs with their counts (one aggregate statement) and the participants page the "
    "reminders panel; profiled (20 requests, in-process), participants spends 58 % "
    "rendering, 13 % in SQL, 9 % in template gettext, about 6 % each in the tabs and the "
    "reminders panel, 7 % in the counts by organisation. The **invitation form** (95 req/s) "
    "is still the 350-organisation directory's rendering (see above).",
    "The organiser pages measured twice (02:36 UTC SQLite, 02:40 UTC PostgreSQL, quiet "
    "machine, full size): as served, an organiser's page is kept for that organiser "
    "(`cache.for_each_reader`: keyed by the account, the address and the language; the "
    "reader's CSRF token put in on each use; never a page with a message to show) until "
    "anything is committed by anyone or `CACHE_TTL` passes. A commit by another worker or "
    "machine is seen through one statement per use (SQLite's `PRAGMA data_version`, "
    "PostgreSQL's current snapshot, which every writing transaction moves), so the copy "
    "is never older than the database; downloads are kept once sent whole (up to 2 MB). "
    "A kept copy costs the session's row, that statement, and the token: SQLite "
    "0.24–0.50× of `/healthz` (every target met, p99 25–49 ms), PostgreSQL 0.14–0.24× "
    "(the invitation form 0.137×, the month 0.148× and the list 0.192× miss; each "
    "statement is a round trip to a server sharing the two cores). With nothing kept "
    "(every read after a change, and all day on the day registration opens) the pages "
    "are where they were: SQLite 0.037–0.086×, PostgreSQL 0.028–0.072×, p99 120–460 ms. "
    "Those misses are the rendering measured above: templates per row, the "
    "350-organisation selects, the session and user as ORM objects (about 5 % of a "
    "kept copy's time, in-process).",
    "The small and 10× organiser tables were taken on a machine shared with other "
    "engineers' test runs (load average 10–14 on 2 cores; `/healthz` at a tenth of its "
    "quiet rate); the full-size one on a quiet machine: the ratios to `/healthz` of the "
    "same run are the comparable figure, the "
    "absolute req/s and p99 are not. The signed-in events list runs one statement more at "
    "the small size than at the full one: on the small size the first page reaches the "
    "question twins' round tables, which belong to programmes, and the programmes of the "
    "listed events are loaded in one more query (bounded, not growing with the data).",
    "The 10× run (18:52 UTC) predates the paged participants and door pages (50 rows a "
    "page, searched; tests/test_participants_list.py measures 113 KiB and 51 KB at 3,000 "
    "registrants) and the statement counts of its small and 10× columns predate the "
    "section tabs. "
    "At the 10× size (3,000 registrants on the busiest event) the statement counts stay "
    "those of the full size, but the pages that list every registrant grow with them: "
    "participants 2.5 MB (in-process 3.9 s on the loaded machine, 94 % rendering, 48 % in "
    "21,030 template `gettext` calls), the door page 1.4 MB (80 % rendering), the CSV 259 KB "
    "(a lazy status label made text per row, 19 %), the workbook 6.2 s (openpyxl's rows 55 %). "
    "So paging or searching those two "
    "pages (the issue's 300 KB) is what bounds them; the month view grows to 44 KB because "
    "a month then holds ten times the events. wrk's 16 connections got no participants "
    "page or workbook answered within the 5 s per path there: shown as such, not as zero "
    "latency.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per wrk path, 2k-request memory")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite RESULTS.md from results.json"
    )
    parser.add_argument(
        "--only",
        choices=("questions", "organiser"),
        help="only these scenarios, written to bench/out/<name>.json; questions leaves "
        "RESULTS.md untouched, organiser replaces its own runs in results.json and RESULTS.md",
    )
    parser.add_argument("--size", choices=("full", "small", "both"), default="both")
    parser.add_argument(
        "--scale",
        type=int,
        choices=(10,),
        help="also measure the organiser pages on ten times the full size (seed.SCALE10)",
    )
    args = parser.parse_args()
    if args.render_only:
        results = json.loads(RESULTS_JSON.read_text())
        results["explanations"] = EXPLANATIONS
        RESULTS_MD.write_text(render(results))
        RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
        return
    args.seconds = 2 if args.quick else 10
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    wrk = ensure_wrk()
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = [s for s in (seeding.FULL, seeding.SMALL) if args.size in (s.name, "both")]
    if args.only == "questions":
        runs = [bench_questions(kind, size, args, wrk) for kind in kinds for size in sizes]
        out = OUT / "questions.json"
        out.write_text(json.dumps(runs, indent=2, default=str) + "\n")
        for run in runs:
            ratios = ", ".join(
                f"{name} {ratio:.2f}×" for name, ratio in run["questions"]["ratio"].items()
            )
            print(f"[{run['database']} {run['size']}] with ÷ without questions: {ratios}")
        print(f"wrote {out.relative_to(ROOT)}")
        return
    if args.only == "organiser":
        if args.scale:
            sizes.append(seeding.SCALE10)
        runs = [bench_organiser(kind, size, args, wrk) for kind in kinds for size in sizes]
        out = OUT / "organiser.json"
        out.write_text(json.dumps(runs, indent=2, default=str) + "\n")
        for run in runs:
            print_organiser(run)
        results = json.loads(RESULTS_JSON.read_text())
        measured = {(run["database"], run["size"]) for run in runs}
        kept = [
            r for r in results.get("organiser", []) if (r["database"], r["size"]) not in measured
        ]
        results["organiser"] = kept + runs
        results["explanations"] = EXPLANATIONS
        RESULTS_MD.write_text(render(results))
        RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
        print(f"wrote {out.relative_to(ROOT)}, and these runs into {RESULTS_MD.relative_to(ROOT)}")
        return
    if args.size != "both":
        parser.error("--size applies to --only: the report compares both sizes")
    started = time.perf_counter()
    results = {
        "meta": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "bench/run.py " + " ".join(sys.argv[1:]),
            "nproc": os.cpu_count(),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
            "databases": kinds,
            "seconds": args.seconds,
            "quick": args.quick,
        },
        "runs": [],
        "organiser": [],
        "outbox": {},
        "explanations": EXPLANATIONS,
    }
    for n, kind in enumerate(kinds):
        for size in (seeding.FULL, seeding.SMALL):
            # The small size's event page: 20,000 requests to the 40-item page would take
            # about five minutes here, beyond the run's ten-minute budget.
            watch = n == 0 and size is seeding.SMALL
            results["runs"].append(bench_one(kind, size, args, wrk, watch))
        if args.scale:
            results["organiser"].append(bench_organiser(kind, seeding.SCALE10, args, wrk))
        print(f"[{kind}] outbox", flush=True)
        results["outbox"][kind] = outbox(kind)
    # Kept apart from the runs: ``--only organiser`` replaces them without a full run.
    full_runs = [run.pop("organiser") for run in results["runs"]]
    results["organiser"] = full_runs + results["organiser"]
    results["meta"]["elapsed_s"] = time.perf_counter() - started
    RESULTS_MD.write_text(render(results))
    RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(
        f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_JSON.relative_to(ROOT)} "
        f"in {results['meta']['elapsed_s']:.0f} s"
    )


def print_organiser(run: dict) -> None:
    print(
        f"[{run['database']} {run['size']}] organiser pages, healthz {run['healthz']['rps']:.0f}/s"
    )
    for name, page in run["pages"].items():
        print(
            f"  {name:18} {page['rps']:7.1f}/s  p50 {page['p50_ms']:7.1f} ms  "
            f"p99 {page['p99_ms']:7.1f} ms  {page['ratio']:.3f}×  {page['bytes'] / 1024:7.1f} KB  "
            f"{page['queries']} SQL"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


if __name__ == "__main__":
    main()
