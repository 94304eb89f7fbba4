# ruff: noqa: S603, S607, S310 (runs our own tools on 127.0.0.1 URLs it builds itself)
"""EventHub against its own ceiling: one command, results in bench/RESULTS.md and results.json.

    .venv/bin/python bench/run.py [--quick] [--database sqlite|postgresql|both]

For each database and each data size (full, and ten times smaller) it builds a fresh database
(``flask db upgrade`` and bulk inserts, see bench/seed.py), counts SQL queries per page
in-process, starts gunicorn (2 workers, production settings) on a free port of 127.0.0.1,
drives it with wrk, times the calendar feeds cold, races 200 registrations for 50 places and
(first database, full size) watches worker memory. The outbox rate comes from
bench/outbox_rate.py; the invitations POST is timed with the Flask test client.
Every process started here is stopped by its PID, also on Ctrl+C.
"""

import argparse
import contextlib
import http.cookiejar
import json
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
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench import seed as seeding  # noqa: E402
from eventhub import create_app  # noqa: E402
from eventhub.extensions import db  # noqa: E402

OUT = ROOT / "bench" / "out"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
RESULTS_JSON = ROOT / "bench" / "results.json"
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


def query_counts(app, ds: seeding.Dataset) -> dict[str, int]:
    """SQL statements per request, counted on the engine; the second request of each page."""
    with app.app_context():
        engine = db.engine
    seen = [0]

    def count(*_args, **_kwargs):
        seen[0] += 1

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        client = app.test_client()
        counts = {}
        for name, path in page_paths(ds).items():
            client.get(path)
            seen[0] = 0
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            counts[name] = seen[0]
        return counts
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)


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

    client = app.test_client()
    login = client.post(
        "/login",
        data={"email": seeding.ORGANISER_EMAIL, "password": seeding.ORGANISER_PASSWORD},
    )
    assert login.status_code == 302, login.status_code
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

    def drain(self) -> None:
        """Wait until requests wrk left queued are answered: two quick /healthz in a row."""
        quick, deadline = 0, time.monotonic() + 60
        while quick < 2 and time.monotonic() < deadline:
            started = time.perf_counter()
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=60):
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


def run_wrk(wrk: str, url: str, seconds: float, headers: dict | None = None) -> dict:
    command = [wrk, "-t2", "-c16", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
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
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        if server is not None:
            server.stop()
        database.drop()
    return result


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


def peer_comparison(results: dict) -> list[str]:
    """The full-size figures beside the peers' (the issue's aim: an order of magnitude ahead)."""
    lines = [
        "## Against the two peers (full size)",
        "",
        "The peers' figures are from the issue, measured on the same kind of machine; the "
        "*× ahead* column is against the better of the two.",
        "",
        "| figure | peers | " + " | ".join(results["meta"]["databases"]) + " | × ahead |",
        "|---|---|" + "---:|" * len(results["meta"]["databases"]) + "---:|",
    ]
    fulls = [_runs(results, kind)["full"] for kind in results["meta"]["databases"]]
    rows = [
        (
            "one cold 1,000-event calendar, s (lower is better)",
            PEERS["cold_calendar_s"],
            [run["cold"]["calendar_full"]["median_s"] for run in fulls],
            False,
        ),
        (
            "1,000-event calendar, requests/s (ours: by ETag from memory)",
            PEERS["calendar_rps"],
            [run["load"]["calendar_full"]["rps"] for run in fulls],
            True,
        ),
        (
            "event page, 40 items, ÷ trivial endpoint",
            (PEERS["event_page_ratio"],),
            [run["load"]["event_page"]["ratio"] for run in fulls],
            True,
        ),
        (
            "one event's .ics with its 40 items, ÷ trivial endpoint",
            (PEERS["event_ics_ratio"],),
            [run["load"]["event_ics"]["ratio"] for run in fulls],
            True,
        ),
    ]
    for label, peers, ours, higher_is_better in rows:
        best_peer = max(peers) if higher_is_better else min(peers)
        worst_ours = min(ours) if higher_is_better else max(ours)
        ahead = worst_ours / best_peer if higher_is_better else best_peer / worst_ours
        lines.append(
            f"| {label} | {' and '.join(f'{p:g}' for p in peers)} | "
            + " | ".join(f"{value:,.0f}" if value >= 100 else f"{value:.3g}" for value in ours)
            + f" | {ahead:.0f}× |"
        )
    polls = all(status == 304 for run in fulls for status in run["conditional_status"].values())
    lines += [
        "| calendar polls answered with 304 | never | "
        + " | ".join("yes" if polls else "no" for _ in fulls)
        + " | |",
        "",
    ]
    return lines


def render(results: dict) -> str:
    meta = results["meta"]
    lines = [
        "# EventHub benchmark results",
        "",
        f"Run on {meta['date']} with `{meta['command']}`: {meta['nproc']} cores "
        f"({meta['cpu']}), Python {meta['python']}, gunicorn with {WORKERS} sync workers on "
        "127.0.0.1 (production settings), wrk 2 threads / 16 connections on the same cores, "
        f"{meta['seconds']} s per path at the full size and {max(2, meta['seconds'] // 2)} s "
        f"at the small one. Total run time {meta['elapsed_s']:.0f} s.",
        "",
        "Sizes: **full** = 1,000 events over three years (every 25th cancelled), busiest event "
        "with 40 agenda items and 300 registrations, 350 organisations × 2 contacts, 5,000 "
        "registrations; **small** = every count divided by ten (100 events, busiest event with "
        "4 agenda items and 30 registrations, 35 organisations, 500 registrations). "
        "Every event sits in the feeds' window, so `/calendar.ics` carries all of them. "
        "Regenerate with `.venv/bin/python bench/run.py --database both`; the machine-readable "
        "figures are in `bench/results.json`.",
        "",
    ]
    notes = []
    for kind in meta["databases"]:
        runs = _runs(results, kind)
        full, small = runs.get("full"), runs.get("small")
        lines += [f"## {kind}", "", "### Throughput (wrk) against `/healthz`", ""]
        lines += [
            "| path | full req/s | p50 ms | p99 ms | ÷ healthz | small req/s | p50 ms | p99 ms "
            "| ÷ healthz | target | |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for key, label, target_key in LOAD_ROWS:
            cells = [label]
            for run in (full, small):
                f = run["load"][key]
                cells += [
                    f"{f['rps']:.0f}",
                    f"{f['p50_ms']:.1f}",
                    f"{f['p99_ms']:.1f}",
                    f"{f['ratio']:.3f}",
                ]
            if target_key:
                target = TARGETS[target_key]
                met = all(r["load"][key]["ratio"] >= target for r in (full, small))
                cells += [f"≥ {target:.2f}", _ok(met)]
                if not met:
                    notes.append(
                        f"{kind}: {label} reaches {full['load'][key]['ratio']:.3f} (full) and "
                        f"{small['load'][key]['ratio']:.3f} (small) of `/healthz`, "
                        f"target {target:.2f}."
                    )
            else:
                cells += ["", ""]
            bad = [r["load"][key]["non_2xx_3xx"] for r in (full, small)]
            bad = [n for n in bad if n]
            if bad:
                notes.append(f"{kind}: {label} answered {bad} non-2xx/3xx responses.")
            lines.append("| " + " | ".join(cells) + " |")
        lines += [
            "",
            "### Calendar feeds: one request, server idle, vs `icalendar` alone",
            "",
            "*built s*: the request with every cache off, so the calendar is read from the "
            "database and written (one gunicorn worker, warmed by two unmeasured requests to "
            "the same feed; median of 3); the ratio uses it. *first s*: the first request for "
            "the feed to the production server (its workers just started), which builds the "
            "calendar and remembers it by ETag; *repeat s*: the fastest of four "
            "more, answered from that memory. `to_ical` is the time `icalendar` alone takes "
            "to serialise the same events, held beforehand as icalendar objects (median of 3).",
            "",
            "| feed | size | events | built s | first s | repeat s | `to_ical` s | ratio "
            "| target ≤ 1.5 |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for run in (full, small):
            for key, label in (
                ("calendar_full", "`/calendar.ics`"),
                ("org_feed_full", "organisation feed"),
                ("registrant_feed_full", "registrant feed"),
            ):
                http_s = run["cold"][key]["median_s"]
                alone = run["to_ical"][key]["to_ical_s"]
                ratio = http_s / alone
                run.setdefault("ics_ratio", {})[key] = ratio
                met = ratio <= TARGETS["full_ics_ratio"]
                lines.append(
                    f"| {label} | {run['size']} | {run['to_ical'][key]['events']} | "
                    f"{http_s:.3f} | {run['cold'][key]['first_s']:.3f} | "
                    f"{run['cold'][key]['repeat_s']:.3f} | "
                    f"{alone:.3f} | {ratio:.2f} | {_ok(met)} |"
                )
                if not met:
                    notes.append(
                        f"{kind} {run['size']}: {label} takes {ratio:.2f}× the time "
                        "`icalendar` alone needs (target ≤ 1.5): with "
                        f"{run['to_ical'][key]['events']} events that is "
                        f"{alone * 1000:.1f} ms, less than a request's fixed cost (the whole "
                        f"request took {http_s * 1000:.1f} ms; see *Why* below)."
                    )
        cold = full["cold"]["calendar_full"]["median_s"]
        met = cold < TARGETS["cold_calendar_s"]
        lines += [
            "",
            f"- Absolute cold time (built from the database, median of 3) of one full 1,000-event "
            f"`/calendar.ics`: **{cold:.3f} s** "
            f"(aim < 0.2 s: {_ok(met)}); small size "
            f"{small['cold']['calendar_full']['median_s']:.3f} s.",
            "- `/events/<busiest>.ics?detailed=1` (40 agenda items): "
            f"**{full['cold']['event_ics_detailed']['median_s']:.3f} s** "
            f"(small, 4 items: {small['cold']['event_ics_detailed']['median_s']:.3f} s).",
            "- Conditional requests with the current ETag answered: "
            + ", ".join(f"{k} {v}" for k, v in full["conditional_status"].items())
            + ".",
            "",
        ]
        if not met:
            notes.append(f"{kind}: the cold full `/calendar.ics` takes {cold:.3f} s (aim < 0.2 s).")

        lines += [
            "### SQL queries per request (in-process, Flask test client)",
            "",
            "| page | full | small | equal |",
            "|---|---:|---:|---|",
        ]
        for key, value in full["query_counts"].items():
            other = small["query_counts"][key]
            lines.append(f"| `{key}` | {value} | {other} | {_ok(value == other)} |")
            if value != other:
                notes.append(f"{kind}: `{key}` runs {value} queries at full size, {other} small.")
        lines.append("")

        race = full.get("race")
        if race:
            outcome = race["outcome"]
            confirmed = outcome.get("confirmed", 0)
            met = confirmed == 50 and race["errors"] == 0
            lines += [
                "### 200 concurrent registrations for 50 places (HTTP, own CSRF token each)",
                "",
                "| confirmed | waiting | other statuses | HTTP statuses | errors | p50 ms "
                "| p99 ms | target |",
                "|---:|---:|---|---|---:|---:|---:|---|",
                f"| {confirmed} | {outcome.get('waiting', 0)} | "
                + ", ".join(
                    f"{k}: {v}" for k, v in outcome.items() if k not in {"confirmed", "waiting"}
                )
                + f" | {race['http_statuses']} | {race['errors']} | {race['p50_ms']:.0f} | "
                f"{race['p99_ms']:.0f} | {_ok(met)} |",
                "",
            ]
            if not met:
                notes.append(
                    f"{kind}: the race ended with {confirmed} confirmed and {race['errors']} "
                    f"errors ({race['http_statuses']}); target exactly 50 and 0."
                )

        lines += ["### Invitations POST (test client, in-process)", ""]
        lines += ["| size | organisations | invitations queued | status | seconds | target |"]
        lines += ["|---|---:|---:|---:|---:|---|"]
        for run in (full, small):
            inv = run["invitations"]
            met = inv["seconds"] < TARGETS["invitations_s"] and inv["status"] == 302
            lines.append(
                f"| {run['size']} | {inv['organisations']} | {inv['invitations_created']} | "
                f"{inv['status']} | {inv['seconds']:.3f} | {_ok(met)} (< 0.5 s) |"
            )
            if not met:
                notes.append(
                    f"{kind} {run['size']}: inviting {inv['organisations']} organisations took "
                    f"{inv['seconds']:.3f} s (status {inv['status']}); target < 0.5 s."
                )
        lines.append("")

        memory = full.get("memory") or small.get("memory")
        if memory:
            lines += [
                "### gunicorn worker memory (VmRSS), event page",
                "",
                f"Measured on the {small['size'] if small.get('memory') else 'full'} size's "
                f"event page (`{memory['path']}`): at about "
                f"{full['load']['event_page']['rps']:.0f} requests/s the 40-item page would "
                "need about five minutes for 20,000 requests, beyond the run's 10-minute "
                "budget. Snapshots: after the throughput runs, then after each step.",
                "",
                "| worker | "
                + " | ".join(f"after {s['requests']:,} requests KiB" for s in memory["snapshots"])
                + " | growth 2nd→3rd % |",
                "|---|" + "---:|" * (len(memory["snapshots"]) + 1),
            ]
            for pid in memory["snapshots"][0]["rss_kib"]:
                row = [str(pid)] + [str(s["rss_kib"].get(pid, "")) for s in memory["snapshots"]]
                row.append(f"{memory['growth_pct'].get(pid, float('nan')):.1f}")
                lines.append("| " + " | ".join(row) + " |")
            met = (memory["max_growth_pct"] or 0) <= TARGETS["memory_growth_pct"]
            lines += ["", f"Growth target ≤ 10 %: {_ok(met)}.", ""]
            if not met:
                notes.append(f"{kind}: worker memory grew {memory['max_growth_pct']:.1f} %.")

    if results.get("outbox"):
        lines += [
            "## Outbox (bench/outbox_rate.py, 1,000 messages to aiosmtpd)",
            "",
            "| database | received | connections | seconds | messages/s | target |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for kind, o in results["outbox"].items():
            met = o["rate"] >= TARGETS["outbox_rate"] and o["connections"] <= 10
            lines.append(
                f"| {kind} | {o['received']} | {o['connections']} | {o['elapsed_s']:.2f} | "
                f"{o['rate']:.0f} | {_ok(met)} (≥ 200/s, ≤ 10 connections) |"
            )
            if not met:
                notes.append(f"{kind}: the outbox delivered {o['rate']:.0f} messages/s.")
        lines.append("")

    lines += peer_comparison(results)
    lines += ["## Missed targets", ""]
    lines += [f"- {note}" for note in notes] or ["- None."]
    explanations = results.get("explanations") or []
    if explanations:
        lines += ["", "### Why, and what would move the numbers", ""]
        lines += [f"- {text}" for text in explanations]
    lines.append("")
    return "\n".join(lines)


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
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per wrk path, 2k-request memory")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite RESULTS.md from results.json"
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
        "outbox": {},
        "explanations": EXPLANATIONS,
    }
    for n, kind in enumerate(kinds):
        for size in (seeding.FULL, seeding.SMALL):
            # The small size's event page: 20,000 requests to the 40-item page would take
            # about five minutes here, beyond the run's ten-minute budget.
            watch = n == 0 and size is seeding.SMALL
            results["runs"].append(bench_one(kind, size, args, wrk, watch))
        print(f"[{kind}] outbox", flush=True)
        results["outbox"][kind] = outbox(kind)
    results["meta"]["elapsed_s"] = time.perf_counter() - started
    RESULTS_MD.write_text(render(results))
    RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(
        f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_JSON.relative_to(ROOT)} "
        f"in {results['meta']['elapsed_s']:.0f} s"
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
