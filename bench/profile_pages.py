"""Where the organiser pages spend their time: in-process, with the Flask test client.

    .venv/bin/python bench/profile_pages.py [--size full|small|scale10] [--requests 20]
                                            [--reuse] [--top 25] [--page participants ...]

Seeds the benchmark data of the size into a SQLite file (bench/out/profile-<size>.sqlite,
reused with ``--reuse`` when it is there), signs the bench organiser in, and prints for each
page of bench/run.py's organiser section (checked as the load checks it): the median time of
``--requests`` requests, the response's size, the SQL statements of one request, the self time
grouped by where it is spent (compiled templates, Jinja, MarkupSafe, Babel, WTForms,
SQLAlchemy, the database driver, EventHub's own code) and cProfile's top ``--top`` functions by
cumulative time. Under cProfile every call costs more, so the shares are a guide and the
median (measured without the profiler) is the figure.
"""

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event as sa_event  # noqa: E402

from bench import run  # noqa: E402
from bench import seed as seeding  # noqa: E402
from eventhub.extensions import db  # noqa: E402

SIZES = {size.name: size for size in (seeding.FULL, seeding.SMALL, seeding.SCALE10)}

# Self time is grouped by the first of these found in a function's file (or a C function's
# name); the order matters: eventhub's templates live under ROOT/templates, not eventhub/.
WHERE = (
    ("compiled templates", (f"{ROOT}/templates/",)),
    ("MarkupSafe", ("markupsafe",)),
    ("Jinja", ("jinja2",)),
    ("Babel / Flask-Babel (gettext, lazy strings, formats)", ("flask_babel", "/babel/")),
    ("WTForms / Flask-WTF", ("wtforms", "flask_wtf")),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("database driver", ("sqlite3", "psycopg")),
    ("openpyxl / xlsx", ("openpyxl", "xlsxwriter", "xlsx")),
    ("csv", ("_csv", "csv")),
    ("eventhub", (f"{ROOT}/eventhub/",)),
    ("Flask / Werkzeug", ("flask", "werkzeug")),
)
OTHER = "other"


def where(file: str, name: str) -> str:
    text = f"{file} {name}" if file == "~" else file
    for label, needles in WHERE:
        if any(needle in text for needle in needles):
            return label
    return OTHER


def prepare(size: seeding.Size, reuse: bool) -> tuple[seeding.Dataset, str]:
    path = run.OUT / f"bench-profile-{size.name}.sqlite"
    saved = path.with_suffix(".json")
    if reuse and path.exists() and saved.exists():
        print(f"reusing {path.relative_to(ROOT)}", flush=True)
        return seeding.Dataset(**json.loads(saved.read_text())), f"sqlite:///{path}"
    database = seeding.Database("sqlite", run.OUT, f"profile-{size.name}")
    started = time.perf_counter()
    ds = seeding.seed(run.make_app(database.url), size, database.url)
    print(f"seeded {size.name} in {time.perf_counter() - started:.1f} s", flush=True)
    saved.write_text(json.dumps(asdict(ds)))
    return ds, database.url


def statements_of(engine, request) -> int:
    seen = [0]

    def count(*_args, **_kwargs):
        seen[0] += 1

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        request()
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return seen[0]


def profile_page(client, engine, name: str, path: str, markers, requests: int, top: int) -> dict:
    response = client.get(path)
    body = response.get_data()
    run.check_organiser_page(name, response.status_code, response.headers, body, markers)
    client.get(path)
    statements = statements_of(engine, lambda: client.get(path))
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path).get_data()
        times.append(time.perf_counter() - started)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path).get_data()
    profiler.disable()
    stats = pstats.Stats(profiler)
    grouped: dict[str, float] = {}
    others: dict[str, float] = {}
    for (file, _line, function), (_cc, _nc, self_time, _cum, _callers) in stats.stats.items():
        label = where(file, function)
        grouped[label] = grouped.get(label, 0.0) + self_time
        if label == OTHER:
            detail = function if file == "~" else Path(file).name
            others[detail] = others.get(detail, 0.0) + self_time
    total = sum(grouped.values()) or 1.0
    listing = io.StringIO()
    stats.stream = listing
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    median_ms = statistics.median(times) * 1000
    print(
        f"\n== {name}  {path}\n"
        f"median {median_ms:.1f} ms over {requests} requests, {len(body) / 1024:.1f} KB, "
        f"{statements} SQL statements"
    )
    print("self time, by where it is spent (under cProfile):")
    for label, seconds in sorted(grouped.items(), key=lambda item: -item[1]):
        if seconds / total >= 0.01:
            print(f"  {100 * seconds / total:5.1f} %  {label}")
    largest = sorted(others.items(), key=lambda item: -item[1])[:6]
    print("  of which " + OTHER + ": " + ", ".join(
        f"{detail} {100 * seconds / total:.1f} %" for detail, seconds in largest
    ))  # fmt: skip
    print(listing.getvalue().split("\n", 6)[-1].rstrip())
    return {
        "median_ms": median_ms,
        "kb": len(body) / 1024,
        "statements": statements,
        "self_time_share": {label: seconds / total for label, seconds in grouped.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep an existing seeded file")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--page", action="append", help="only these pages (repeatable)")
    args = parser.parse_args()
    ds, url = prepare(SIZES[args.size], args.reuse)
    app = run.make_app(url)
    with app.app_context():
        engine = db.engine
    client = run._signed_in_client(app)
    markers = run.organiser_markers(ds)
    figures = {}
    for name, path in run.organiser_paths(ds).items():
        if args.page and name not in args.page:
            continue
        figures[name] = profile_page(client, engine, name, path, markers[name], args.requests,
                                     args.top)  # fmt: skip
    out = run.OUT / f"profile-{args.size}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
