"""Load the canonical tables from PostgreSQL vs from Parquet files, in one process.

Run: ``.venv/bin/python benchmarks/bench_database.py [--data DIR] [--url URL] [--repeat N]``.
Smoke test: ``.venv/bin/python benchmarks/bench_database.py --data data/sample``.

``--data`` is a data directory (default: the 3 M-lead set ``benchmarks/bench_scale.py``
leaves in ``~/.cache/alignment-workbook/bench-3m-60``). Its tables are written as Parquet
into a temporary folder (the baseline) and copied into PostgreSQL with ``workbook
to-database``'s code. Without ``--url``, a throw-away server is started on 127.0.0.1 in a
temporary folder with the same code as the tests (``tests/postgres_server.py``), and stopped
at the end.

Timed, each the median of ``--repeat`` runs, all through ``helpers.data.dataset.load_dataset``
(read, type and validate every table):

(a) Parquet folder, whole data set (the baseline);
(b) PostgreSQL, whole data set;
(c) PostgreSQL, what the company report of the latest complete quarter reads (its quarter
    and the seven before it, every team);
(d) PostgreSQL, one team's rows (what an analyst's ``Workbook.load(url, team=...)`` reads);
(e) PostgreSQL, what a team's report reads for its own figures (its team, 8 quarters);
(f) PostgreSQL, what it reads for the standing (every team, the quarter alone).

Prints times, rows read and ratios to (a); nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path.home() / ".cache" / "alignment-workbook" / "bench-3m-60"


def timed(function, repeat: int):
    """Median seconds of ``repeat`` calls, and the last result."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def start_server(base: Path):
    """A throw-away PostgreSQL server (the tests' own code); returns (url, cluster)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import postgres_server as pg

    binaries = pg.find_binaries()
    if binaries is None:
        sys.exit(f"no PostgreSQL server here: {pg.SKIP_REASON}; or pass --url")
    user = pg._server_user()
    base.mkdir(mode=0o755)
    if user is not None:
        import os

        os.chown(base, user.pw_uid, user.pw_gid)
    cluster = pg._Cluster(binaries, base, user)
    password = secrets.token_urlsafe(16)
    cluster.init(password)
    port = cluster.start()
    server = pg.PostgresServer(
        pg.HOST, port, pg.USER, password, pg.DATABASE, f"postgresql://{pg.USER}@{pg.HOST}:{port}"
    )
    url = server.create_database("bench")
    return url, cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Data directory.")
    parser.add_argument("--url", help="Existing empty database (default: a throw-away server).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per figure (median).")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"{args.data} not found: run benchmarks/bench_scale.py first, or pass --data")

    import pandas as pd

    from helpers.analysis.workbook import report_scope
    from helpers.data.source import load_dataset
    from helpers.data.to_database import copy_folder_to_database

    work = Path(tempfile.mkdtemp(prefix="bench-database-"))
    work.chmod(0o755)  # the server runs as another user when this runs as root
    cluster = None
    try:
        parquet = work / "parquet"
        parquet.mkdir()
        for path in args.data.iterdir():
            if path.suffix == ".csv":
                pd.read_csv(path, dtype=str, keep_default_na=False).to_parquet(
                    parquet / f"{path.stem}.parquet"
                )
            elif path.suffix == ".parquet" or path.name == "workbook.toml":
                shutil.copy2(path, parquet / path.name)
        url = args.url
        if url is None:
            url, cluster = start_server(work / "postgres")
        start = time.perf_counter()
        rows = copy_folder_to_database(parquet, url, replace=True)
        copy_seconds = time.perf_counter() - start
        # The database source with the data set's own settings, as a report run would use it.
        folder = work / "database"
        folder.mkdir()
        settings = (
            (parquet / "workbook.toml").read_text() if (parquet / "workbook.toml").exists() else ""
        )
        (folder / "workbook.toml").write_text(f'{settings}\n[database]\nurl = "{url}"\n')
        print(f"data: {args.data} ({rows['leads']:,} leads, {rows['lead_events']:,} events)")
        print(f"copied into PostgreSQL in {copy_seconds:.1f} s (setup, not compared)")

        base_s, whole = timed(lambda: load_dataset(parquet), args.repeat)
        team = whole.teams[0]
        runs = [("(a) Parquet, whole", base_s, whole)]
        seconds, dataset = timed(lambda: load_dataset(folder), args.repeat)
        runs.append(("(b) PostgreSQL, whole", seconds, dataset))
        quarter = str(whole.latest_complete_quarter)
        scope = report_scope(folder, None, "")
        seconds, dataset = timed(lambda: load_dataset(folder, scope=scope), args.repeat)
        runs.append((f"(c) PostgreSQL, company {quarter} report", seconds, dataset))
        scope = report_scope(folder, team, None)
        seconds, dataset = timed(lambda: load_dataset(folder, scope=scope), args.repeat)
        runs.append((f"(d) PostgreSQL, team {team}", seconds, dataset))
        scope = report_scope(folder, team, "")
        seconds, dataset = timed(lambda: load_dataset(folder, scope=scope), args.repeat)
        runs.append((f"(e) PostgreSQL, {team} {quarter} report", seconds, dataset))
        scope = report_scope(folder, None, "", 0)
        seconds, dataset = timed(lambda: load_dataset(folder, scope=scope), args.repeat)
        runs.append((f"(f) PostgreSQL, every team, {quarter} only", seconds, dataset))

        print(f"\nmedian of {args.repeat} run(s); load_dataset reads, types and validates")
        print(f"{'source':<36} {'seconds':>8} {'leads read':>11} {'events read':>12} {'÷ (a)':>7}")
        for label, seconds, dataset in runs:
            print(
                f"{label:<36} {seconds:>8.2f} {len(dataset['leads']):>11,} "
                f"{len(dataset['lead_events']):>12,} {seconds / base_s:>7.2f}"
            )
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
