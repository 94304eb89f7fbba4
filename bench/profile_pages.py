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

from bench import run  # noqa: E402
from bench import seed as seeding  # noqa: E402

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
# Groups whose own biggest functions are listed too: they say little by their name alone.
DETAILED = (OTHER, "Flask / Werkzeug")

# Entry points the issue suspects, as shares of the profiled time (they overlap one another).
HOT_SPOTS = (
    ("templates rendered (render_template)", "flask/templating.py", "_render"),
    ("Jinja macro calls", "jinja2/runtime.py", "_invoke"),
    ("gettext called from templates", "jinja2/ext.py", "_gettext_alias"),
    ("ngettext called from templates", "jinja2/ext.py", "_ngettext_alias"),
    ("Flask-Babel get_translations (each gettext)", "flask_babel/__init__.py", "get_translations"),
    ("lazy strings made text (__str__)", "flask_babel/speaklater.py", "__str__"),
    ("lazy strings escaped (__html__)", "flask_babel/speaklater.py", "__html__"),
    ("Babel formats dates", "babel/dates.py", "format_datetime"),
    ("SQL through the ORM session", "sqlalchemy/orm/session.py", "execute"),
    ("ORM rows made objects", "sqlalchemy/orm/loading.py", "instances"),
    ("the driver's execute", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("WTForms forms built", "wtforms/form.py", "__call__"),
    ("WTForms fields rendered", "wtforms/fields/core.py", "__call__"),
    ("WTForms options rendered", "wtforms/widgets/core.py", "render_option"),
    ("openpyxl cells appended", "openpyxl/worksheet/_write_only.py", "append"),
    ("openpyxl workbook saved", "openpyxl/workbook/workbook.py", "save"),
)


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


def profile_page(app, client, name: str, path: str, markers, requests: int, top: int) -> dict:
    response = client.get(path)
    body = response.get_data()
    run.check_organiser_page(name, response.status_code, response.headers, body, markers)
    client.get(path)
    with run.statements_counted(app) as seen:
        client.get(path)
    statements = seen[0]
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
    details: dict[str, dict[str, float]] = {label: {} for label in DETAILED}
    for (file, _line, function), (_cc, _nc, self_time, _cum, _callers) in stats.stats.items():
        label = where(file, function)
        grouped[label] = grouped.get(label, 0.0) + self_time
        if label in details:
            detail = function if file == "~" else f"{Path(file).name}:{function}"
            details[label][detail] = details[label].get(detail, 0.0) + self_time
    total = sum(grouped.values()) or 1.0
    spots = []
    for label, suffix, wanted in HOT_SPOTS:
        found = [
            (calls, cumulative)
            for (file, _line, function), (_cc, calls, _tt, cumulative, _c) in stats.stats.items()
            if function == wanted and (file == suffix or file.endswith(suffix))
        ]
        if found:
            calls = sum(c for c, _ in found) / requests
            spots.append((label, max(t for _, t in found) / total, calls))
    ours = io.StringIO()
    stats.stream = ours
    stats.sort_stats("cumulative").print_stats(rf"{ROOT}/(eventhub|templates)/", 15)
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
    for label, spent in details.items():
        largest = sorted(spent.items(), key=lambda item: -item[1])[:6]
        print(f"  of which {label}: " + ", ".join(
            f"{detail} {100 * seconds / total:.1f} %" for detail, seconds in largest
        ))  # fmt: skip
    print("suspects (cumulative share of the profiled time; calls per request):")
    for label, share, calls in spots:
        if share >= 0.01:
            print(f"  {100 * share:5.1f} %  {label}  ({calls:,.0f} calls)")
    print("EventHub's own functions and templates, by cumulative time:")
    print(ours.getvalue().split("\n", 8)[-1].replace(f"{ROOT}/", "").rstrip())
    print(f"cProfile's top {top} by cumulative time:")
    print(listing.getvalue().split("\n", 6)[-1].rstrip())
    return {
        "median_ms": median_ms,
        "kb": len(body) / 1024,
        "statements": statements,
        "self_time_share": {label: seconds / total for label, seconds in grouped.items()},
        "suspects": {label: {"share": share, "calls": calls} for label, share, calls in spots},
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
    client = run.signed_in_client(app)
    markers = run.organiser_markers(ds)
    figures = {}
    for name, path in run.organiser_paths(ds).items():
        if args.page and name not in args.page:
            continue
        figures[name] = profile_page(app, client, name, path, markers[name], args.requests,
                                     args.top)  # fmt: skip
    out = run.OUT / f"profile-{args.size}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
