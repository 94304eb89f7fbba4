"""The organiser's pages in-process: median time of N requests each, and optionally a cProfile.

    .venv/bin/python bench/organiser_pages.py [--requests 20] [--profile PAGE] [--fresh]

The full benchmark data (bench/seed.py) is seeded once into bench/out/organiser-pages.sqlite and
reused; ``--fresh`` seeds it again. The organiser signs in with the Flask test client, each page
is checked once for its status and a word it must hold (a redirect to the login page is fast
too), then timed: the median wall time, and the median CPU time of this process, which a shared,
busy machine disturbs less. ``--profile event_page`` prints where that page's time goes.
"""

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import seed as seeding  # noqa: E402
from bench.run import make_app  # noqa: E402

OUT = ROOT / "bench" / "out"
DATABASE = OUT / "organiser-pages.sqlite"
DATASET = OUT / "organiser-pages.json"


def dataset(fresh: bool) -> dict:
    if fresh or not DATABASE.exists() or not DATASET.exists():
        database = seeding.Database("sqlite", OUT, "organiser-pages-seed")
        ds = seeding.seed(make_app(database.url), seeding.FULL, database.url)
        database.path.replace(DATABASE)
        DATASET.write_text(json.dumps({"busiest_id": ds.busiest_id}))
    return json.loads(DATASET.read_text())


def pages(busiest_id: int) -> dict[str, tuple[str, bytes]]:
    """Each page with a word its content must hold."""
    return {
        "event_page": (f"/events/{busiest_id}", b"agenda"),
        "followup": (f"/events/{busiest_id}/followup", b"followup"),
        "events_list": ("/events/", b"/events/"),
        "month_view": ("/calendar", b"calendar"),
        "participants_csv": (f"/events/{busiest_id}/participants.csv", b"@"),
        "participants_xlsx": (f"/events/{busiest_id}/participants.xlsx", b"PK"),
    }


def signed_in_client(app):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": seeding.ORGANISER_EMAIL, "password": seeding.ORGANISER_PASSWORD},
    )
    assert response.status_code == 302, response.status_code
    return client


def fetch(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--profile")
    parser.add_argument("--only")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--callees")
    parser.add_argument("--callers")
    args = parser.parse_args()
    ds = dataset(args.fresh)
    app = make_app(f"sqlite:///{DATABASE}")
    client = signed_in_client(app)
    chosen = pages(ds["busiest_id"])
    if args.profile:
        path, _word = chosen[args.profile]
        fetch(client, path)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            fetch(client, path)
        profile.disable()
        stats = pstats.Stats(profile).sort_stats(args.sort)
        if args.callees:
            stats.print_callees(args.callees)
        elif args.callers:
            stats.print_callers(args.callers)
        else:
            stats.print_stats(args.lines)
        return
    for name, (path, word) in chosen.items():
        if args.only and name != args.only:
            continue
        body = fetch(client, path)
        assert word in body, (name, word)
        wall, cpu = [], []
        for _ in range(args.requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            fetch(client, path)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(
            f"{name:20} {statistics.median(wall) * 1000:8.1f} ms wall"
            f" {statistics.median(cpu) * 1000:8.1f} ms CPU {len(body) / 1024:8.1f} KB"
        )


if __name__ == "__main__":
    main()
