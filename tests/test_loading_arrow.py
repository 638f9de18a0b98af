"""The fast Arrow paths of data.loading give the same cells and types as the careful pandas
path, and step aside (to the careful path and its messages) whenever a file needs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers.data import loading
from helpers.data.loading import parse_column, read_source
from helpers.data.schema import TABLES

LEADS = TABLES["leads"]
TRICKY = (
    "\ufefflead_id, created_at ,team,channel,source_type,campaign_id,score\n"
    'L1,2026-07-01T09:00:00,north,"paid\nsearch",marketing,,80\n'
    "\n"
    " L2 ,2026-07-01,north,\u00a0webinar\u00a0,marketing,C2, 40.5 \n"
    'L3,2026-07-02 10:30,south,"a, b",sales,"",\n'
)


def _careful(path, monkeypatch):
    monkeypatch.setattr(loading, "_arrow_csv_text", lambda path: None)
    source, problems = read_source(path, LEADS)
    monkeypatch.undo()
    return source, problems


def test_arrow_csv_cells_equal_the_careful_readers(tmp_path, monkeypatch):
    path = tmp_path / "leads.csv"
    path.write_text(TRICKY, encoding="utf-8")
    fast, problems = read_source(path, LEADS)
    assert problems == []
    assert loading._arrow_csv_text(path) is not None  # the fast path was taken
    careful, _ = _careful(path, monkeypatch)
    pd.testing.assert_frame_equal(fast.raw, careful.raw)
    # By hand: BOM dropped, names and cells stripped (a no-break space too), a quoted newline
    # kept, the blank line skipped, empty and quoted-empty cells are "".
    assert list(fast.raw.columns)[:3] == ["lead_id", "created_at", "team"]
    assert fast.raw["lead_id"].tolist() == ["L1", "L2", "L3"]
    assert fast.raw["channel"].tolist() == ["paid\nsearch", "webinar", "a, b"]
    assert fast.raw["campaign_id"].tolist() == ["", "C2", ""]


@pytest.mark.parametrize(
    "text",
    [
        "lead_id,team\nL1,north,extra\n",  # a row wider than the header
        "lead_id,team\nL1\n",  # a row narrower than the header
        "lead_id,lead_id\nL1,L2\n",  # a repeated name
        "lead_id,,team\nL1,,north\n",  # a column without a name
        'lead_id,team\n"L1,north\n',  # a quote never closed
    ],
    ids=["wide-row", "short-row", "repeated-name", "unnamed-column", "open-quote"],
)
def test_files_needing_the_careful_reader_are_left_to_it(tmp_path, text):
    path = tmp_path / "leads.csv"
    path.write_text(text, encoding="utf-8")
    assert loading._arrow_csv_text(path) is None


def test_not_utf8_is_left_to_the_careful_reader(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_bytes(b"lead_id,team\nL1,nor\xffth\n")
    assert loading._arrow_csv_text(path) is None
    source, problems = read_source(path, LEADS)
    assert source is None and "not UTF-8" in problems[0].message


def test_parquet_text_cells(tmp_path):
    frame = pd.DataFrame(
        {
            "lead_id": pd.Series([" L1", "L2 ", None], dtype="string"),
            "score": [80.0, None, 12.5],
            "created_at": pd.to_datetime(["2026-07-01 09:00", None, "2026-07-02 00:00"]),
            "team": pd.Categorical(["north", "south", "north"]),
        }
    )
    path = tmp_path / "leads.parquet"
    frame.to_parquet(path)
    source, problems = read_source(path, LEADS)
    assert problems == []
    assert source.raw["lead_id"].tolist() == ["L1", "L2", ""]
    assert source.raw["score"].tolist() == ["80.0", "", "12.5"]
    assert source.raw["created_at"].tolist() == ["2026-07-01 09:00:00", "", "2026-07-02 00:00:00"]
    assert source.raw["team"].tolist() == ["north", "south", "north"]


@pytest.mark.parametrize(
    ("column", "cells", "expected"),
    [
        ("score", ["80", "", "-0", "1e3", "+5"], [80.0, None, 0.0, 1000.0, 5.0]),
        (
            "created_at",
            ["2026-07-01T09:30:00", "", "2026-07-01", "2026-07-01 09:30"],
            ["2026-07-01 09:30", None, "2026-07-01", "2026-07-01 09:30"],
        ),
        # An offset goes the careful way, converted to the configured zone.
        (
            "created_at",
            ["2026-07-01T09:30:00+02:00", "2026-07-01T09:30:00"],
            ["2026-07-01 09:30", "2026-07-01 09:30"],
        ),
    ],
    ids=["numbers", "naive-timestamps", "with-offset"],
)
def test_parsed_values(tmp_path, column, cells, expected):
    path = tmp_path / "leads.csv"
    rows = "".join(f"L{i},{cell}\n" for i, cell in enumerate(cells))
    path.write_text(f"lead_id,{column}\n{rows}", encoding="utf-8")
    source, _ = read_source(path, LEADS)
    values, problems = parse_column(source, LEADS.column(column), "Europe/Berlin")
    assert problems == []
    if column == "score":
        assert values.dtype == "float64"
        pd.testing.assert_series_equal(
            values, pd.Series(expected, dtype="float64"), check_names=False
        )
    else:
        assert values.dtype == "datetime64[ns]"
        want = pd.Series(pd.to_datetime(expected, format="ISO8601"), dtype="datetime64[ns]")
        pd.testing.assert_series_equal(values, want, check_names=False)


def test_a_bad_cell_is_still_named(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("lead_id,score,created_at\nL1,80,2026-07-01\nL2,eighty,2026-13-01\n")
    source, _ = read_source(path, LEADS)
    _, number_problems = parse_column(source, LEADS.column("score"), "UTC")
    _, time_problems = parse_column(source, LEADS.column("created_at"), "UTC")
    assert number_problems[0].rows == (3,) and "'eighty'" in number_problems[0].message
    assert time_problems[0].rows == (3,) and "'2026-13-01'" in time_problems[0].message


def test_arrow_allocator_hands_memory_back_unless_told_otherwise(monkeypatch):
    import pyarrow as pa

    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setenv(loading.ALLOCATOR_ENV, "mimalloc")  # the user's choice is kept
        assert loading.use_lean_allocator() == "mimalloc"
        monkeypatch.delenv(loading.ALLOCATOR_ENV)
        assert loading.use_lean_allocator() in ("jemalloc", "system")
    finally:
        pa.set_memory_pool(before)


_PROCESS = """
import json, os, sys

mallopt = []  # glibc's mallopt looked up through ctypes: the mmap threshold being set
sys.addaudithook(lambda event, args: mallopt.append(1) if event == "ctypes.dlsym"
                 and args[1] == "mallopt" else None)
import numpy as np
import pyarrow as pa
{setup}

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

big = np.ones(2 * 2**20)  # 16 MiB, freed: glibc would now call only blocks above that large
del big
before = rss()
arrays = [np.ones(2**20) for _ in range(10)]  # 10 x 8 MiB
last = arrays.pop()
del arrays  # 9 of them freed, below the one still held
retained = (rss() - before) // 2**20
pool = pa.default_memory_pool().backend_name
first_read = globals().get("first_read")  # the settings as the importer read its first export
print(json.dumps({{"pool": pool, "mallopt": len(mallopt), "retained_mib": retained,
                  "first_read": first_read}}))
"""
_DATA = Path(__file__).parent / "data"
_LOAD_TINY = f"""
from helpers.data.source import load_dataset
load_dataset({str(_DATA / "tiny")!r})
load_dataset({str(_DATA / "tiny")!r})  # a second load: nothing new
"""
_IMPORT = f"""
import tempfile
from pathlib import Path
from helpers.importing import importer
from helpers.importing.mapping import load_mapping

read = importer.read_export
def read_export(path):
    global first_read
    if first_read is None:
        first_read = {{"pool": pa.default_memory_pool().backend_name, "mallopt": len(mallopt)}}
    return read(path)
first_read = None
importer.read_export = read_export
exports = Path({str(_DATA / "imports" / "generic")!r})
mapping = load_mapping(str(exports / "acme.toml"))
with tempfile.TemporaryDirectory() as folder:
    importer.import_exports(mapping, exports, Path(folder) / "data")
"""
_JEMALLOC_OR_SYSTEM = """
import pyarrow as pa
try:
    pa.jemalloc_memory_pool()
    print("jemalloc")
except NotImplementedError:
    print("system")
"""
_USERS_SETTINGS = ("ARROW_DEFAULT_MEMORY_POOL", "MALLOC_MMAP_THRESHOLD_")  # Arrow's and glibc's


def _fresh_process(code: str, **env: str) -> str:
    """The output of ``code`` run by a fresh Python, without the user's memory settings."""
    root = Path(__file__).resolve().parents[1]
    environ = {k: v for k, v in os.environ.items() if k not in _USERS_SETTINGS}
    environ.update(env, PYTHONPATH=str(root / "src"))
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _process(setup: str, **env: str) -> dict:
    return json.loads(_fresh_process(_PROCESS.format(setup=setup), **env))


def test_importing_the_package_changes_no_process_setting():
    plain = _process("")  # pyarrow and numpy alone: the pool Arrow picks itself
    imported = _process(
        "import helpers, helpers.data.loading, helpers.data.dataset, helpers.data.source\n"
        "import helpers.importing.importer, helpers.analysis.workbook"
    )
    assert imported["pool"] == plain["pool"]
    assert imported["mallopt"] == 0  # glibc's threshold left alone


def test_loading_data_makes_the_settings_once():
    # Where pyarrow has jemalloc, a load uses it; else the system's allocator.
    available = _fresh_process(_JEMALLOC_OR_SYSTEM)
    loaded = _process(_LOAD_TINY)
    assert loaded["pool"] == available
    assert loaded["mallopt"] == 1  # set on the first load only (glibc, no user setting)
    # By hand: one 8 MiB array is still held, so once glibc's own threshold has risen above
    # 8 MiB the nine freed ones (72 MiB) would stay in its heap; with the fixed threshold each
    # was mapped alone and is unmapped. Whether plain numpy keeps them depends on the C
    # library's history in the process (CI's fresh environment returned them anyway), so
    # this fails without the setting only where glibc keeps them.
    assert loaded["retained_mib"] <= 16


def test_the_importer_makes_the_settings_before_it_reads_an_export():
    available = _fresh_process(_JEMALLOC_OR_SYSTEM)
    imported = _process(_IMPORT)
    assert imported["first_read"] == {"pool": available, "mallopt": 1}
    assert imported["mallopt"] == 1  # not again when it validates what it wrote


def test_loading_data_keeps_the_settings_the_user_made():
    loaded = _process(
        _LOAD_TINY, ARROW_DEFAULT_MEMORY_POOL="system", MALLOC_MMAP_THRESHOLD_="65536"
    )
    assert loaded["pool"] == "system"  # Arrow's own choice, from the user's variable
    assert loaded["mallopt"] == 0


def test_a_threshold_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv(loading.MMAP_THRESHOLD_ENV, "65536")
    assert loading.hand_back_large_blocks() is False
