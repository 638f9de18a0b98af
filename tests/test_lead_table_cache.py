"""Per-lead tables shared on disk (analysis.cache.LeadTableStore): read back equal, keyed by
the data's digest, rebuilt when damaged, never persisted for a data set built in memory."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest
from conftest import TINY

from helpers.analysis import workbook as workbook_module
from helpers.analysis.cache import LeadTableStore, SourceCache, default_cache_folder
from helpers.analysis.workbook import Workbook
from helpers.data.dataset import Dataset
from helpers.metrics import funnel
from helpers.metrics import scope as scope_module


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(TINY, folder)
    return folder


@pytest.fixture
def store(tmp_path, monkeypatch):
    store = LeadTableStore(tmp_path / "cache")
    monkeypatch.setattr(Workbook, "cache", SourceCache(lead_tables=store))
    return store


def _no_build(*args, **kwargs):
    raise AssertionError("the table was built again instead of read from the cache")


def test_read_back_equal_to_computed(data, store, monkeypatch):
    first = Workbook.load(data)
    journeys, responses = first.journeys, first.responses
    d = first.dataset
    computed = funnel.lead_journeys(d["leads"], d["lead_events"], d["opportunities"])
    pd.testing.assert_frame_equal(journeys, computed)
    assert store.path("stage-times", d).is_file() and store.path("responses", d).is_file()
    teams = first.tables_for("north")

    # A second process (here: a fresh load) reads the files and never builds the tables.
    monkeypatch.setattr(workbook_module.funnel, "stage_times", _no_build)
    monkeypatch.setattr(workbook_module.handoff, "team_responses", _no_build)
    # Each row's lead was found while validating: a team's rows need no lookup of their own.
    monkeypatch.setattr(scope_module, "positions", _no_build)
    second = Workbook.load(data)
    pd.testing.assert_frame_equal(second.journeys, journeys)
    pd.testing.assert_frame_equal(second.responses, responses)
    for name, frame in second.tables_for("north").items():
        pd.testing.assert_frame_equal(frame, teams[name])
    # north's events are those of L1-L5 (L6 is south's): 19 of the 22 rows.
    assert len(teams["lead_events"]) == 19
    # By hand from tests/data/tiny: L1 became an MQL at 10:00 and was touched at 12:00 the
    # same day; L4 was never an MQL; L5 has two MQL events.
    assert second.journeys.loc["L1", "mql"] == pd.Timestamp("2026-07-01T10:00:00")
    assert pd.isna(second.journeys.loc["L4", "mql"])
    assert second.journeys.loc["L5", "mql_count"] == 2
    l1 = second.responses[second.responses["lead_id"] == "L1"].iloc[0]
    assert l1["touched_at"] == pd.Timestamp("2026-07-01T12:00:00") and l1["team"] == "north"


def test_a_changed_file_gives_a_new_key_and_new_tables(data, store):
    before = Workbook.load(data)
    old_path = store.path("stage-times", before.dataset)
    assert before.journeys.loc["L3", "mql"] == pd.Timestamp("2026-07-02T10:00:00")
    events = data / "lead_events.csv"
    text = events.read_text()
    assert "L3,mql,2026-07-02T10:00:00" in text
    events.write_text(text.replace("L3,mql,2026-07-02T10:00:00", "L3,mql,2026-07-02T11:30:00"))

    after = Workbook.load(data)
    assert store.path("stage-times", after.dataset) != old_path
    assert after.journeys.loc["L3", "mql"] == pd.Timestamp("2026-07-02T11:30:00")
    assert store.path("stage-times", after.dataset).is_file()


@pytest.mark.parametrize(
    "damage",
    [b"", b"not parquet at all", None],
    ids=["empty", "garbage", "cut-short"],
)
def test_a_damaged_file_is_ignored_and_rebuilt(data, store, damage):
    first = Workbook.load(data)
    expected = first.journeys
    path = store.path("stage-times", first.dataset)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] if damage is None else damage)

    again = Workbook.load(data)
    pd.testing.assert_frame_equal(again.journeys, expected)
    assert path.read_bytes() == whole  # written again, whole


def test_a_data_set_built_in_memory_is_not_persisted(data, store):
    loaded = Workbook.load(data).dataset
    in_memory = Dataset("memory", loaded.config, dict(loaded.tables))
    assert store.key(in_memory) is None
    journeys = Workbook(in_memory).journeys
    assert journeys.loc["L1", "first_touch"] == pd.Timestamp("2026-07-01T12:00:00")
    assert not store.folder.exists() or not any(store.folder.iterdir())


def test_cache_folder_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_CACHE_DIR", str(tmp_path / "shared"))
    assert default_cache_folder() == tmp_path / "shared"
    monkeypatch.setenv("WORKBOOK_CACHE_DIR", "")
    assert default_cache_folder() is None
    assert LeadTableStore().folder is None
    monkeypatch.delenv("WORKBOOK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_folder() == tmp_path / "xdg" / "alignment-workbook" / "lead-tables"
    assert LeadTableStore(False).folder is None


def test_older_digests_are_pruned(tmp_path):
    store = LeadTableStore(tmp_path)
    for k in range(6):
        (tmp_path / f"journeys-old{k}.parquet").write_bytes(b"x")
    loaded = Workbook.load(TINY).dataset
    store.table("journeys", loaded, lambda: pd.DataFrame({"a": [1]}))
    kept = sorted(p.name for p in tmp_path.glob("journeys-*.parquet"))
    assert len(kept) == 4 and store.path("journeys", loaded).name in kept


def test_each_rows_lead_found_while_validating():
    d = Workbook.load(TINY).dataset
    # By hand: the row of each lead id in leads.csv, looked up with a plain dict.
    row_of = {lead: i for i, lead in enumerate(d["leads"]["lead_id"])}
    assert sorted(d.lead_rows) == ["lead_events", "opportunities"]  # tiny has no touches
    for name in ("lead_events", "opportunities"):
        ids = d[name]["lead_id"]
        expected = [row_of.get(v, -1) if isinstance(v, str) else -1 for v in ids]
        assert d.lead_rows[name].tolist() == expected, name
    assert d.lead_rows["lead_events"].dtype == "int32"


def test_file_digests_are_remembered_by_stat(data, store, monkeypatch):
    from helpers.analysis import cache as cache_module

    hashed = []
    real = cache_module.file_digest
    monkeypatch.setattr(cache_module, "file_digest", lambda path: hashed.append(path) or real(path))
    loaded = Workbook.load(data).dataset
    key = store.key(loaded)
    assert len(hashed) == len(loaded.files)  # each file read once
    hashed.clear()
    assert LeadTableStore(store.folder).key(loaded) == key  # another process: no file read
    assert hashed == []

    # The same size and modification time, other bytes: the change time still tells.
    events = data / "lead_events.csv"
    info = events.stat()
    events.write_text(events.read_text().replace("2026-07-02T10:00:00", "2026-07-02T10:00:01"))
    os.utime(events, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert events.stat().st_size == info.st_size
    assert LeadTableStore(store.folder).key(Workbook.load(data).dataset) != key
