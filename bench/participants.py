"""The participants page in-process: median time and size of its twins, and where the time goes.

    .venv/bin/python bench/participants.py [--requests 20] [--profile with|without] [--fresh]

The twin round tables of bench/seed_questions.py (300 registrants each at full size, one
asking 10 questions) are seeded once into bench/out/bench-participants.sqlite and reused. Each
page is asked through the Flask test client, signed in, once to warm and then ``--requests``
times; the median is printed with the page's size. ``--profile`` runs cProfile over those
requests of one twin and prints the functions taking the most cumulative and own time.
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
from bench.run import OUT, make_app  # noqa: E402

DATABASE = OUT / "bench-participants.sqlite"  # bench/seed.py names it
DATASET = OUT / "participants.json"


def dataset(fresh: bool) -> dict:
    if fresh or not DATABASE.exists() or not DATASET.exists():
        database = seeding.Database("sqlite", OUT, "participants")  # removes an old file
        ds = seeding.seed(make_app(database.url), seeding.FULL, database.url)
        DATASET.write_text(json.dumps(ds.public()["questions"]))
    return json.loads(DATASET.read_text())


def signed_in(app):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": seeding.ORGANISER_EMAIL, "password": seeding.ORGANISER_PASSWORD},
    )
    assert response.status_code == 302, response.status_code
    return client


def timed(client, paths: dict[str, str], requests: int) -> dict[str, tuple[float, float, int]]:
    """Per path: (median wall ms, median CPU ms, bytes) of ``requests`` GETs after a warm one,
    the paths taking turns so that a busy moment of a shared machine falls on each alike. The
    CPU time of this process is the steadier measure there."""
    sizes = {name: len(client.get(path).data) for name, path in paths.items()}
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(requests):
        for name, path in paths.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            wall[name].append((time.perf_counter() - start) * 1000)
            cpu[name].append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return {
        name: (statistics.median(wall[name]), statistics.median(cpu[name]), sizes[name])
        for name in paths
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--profile", choices=("with", "without"))
    parser.add_argument("--path", default="", help="appended to the page's path (?page=2…)")
    parser.add_argument("--fresh", action="store_true", help="seed the database again")
    args = parser.parse_args()
    twins = dataset(args.fresh)
    app = make_app(f"sqlite:///{DATABASE}")
    client = signed_in(app)
    paths = {
        variant: f"/events/{twins[f'{variant}_questions_id']}/participants{args.path}"
        for variant in ("with", "without")
    }
    if args.profile:
        path = paths[args.profile]
        client.get(path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        return
    results = timed(client, paths, args.requests)
    for variant, (wall, cpu, size) in results.items():
        print(
            f"{variant:>7} questions: median {wall:7.1f} ms wall, {cpu:7.1f} ms CPU,"
            f" {size / 1024:7.1f} KiB"
        )
    print(
        f"ratio with/without: {results['with'][0] / results['without'][0]:.2f}× wall,"
        f" {results['with'][1] / results['without'][1]:.2f}× CPU"
    )


if __name__ == "__main__":
    main()
