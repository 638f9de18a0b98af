"""The workshop answer store: round trip, hostile text, durability and 30 concurrent writers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from helpers.errors import ParameterError, WorkbookError
from helpers.training.answer_store import AnswerStore, _switch_to_wal, store_path

SESSION = "2026-07-01 Lisbon"
HOSTILE = "O'Brien \"quoted\"; '; DROP TABLE answers; --"


@pytest.fixture
def store(tmp_path: Path):
    with AnswerStore(store_path(tmp_path)) as opened:
        yield opened


def _without_times(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["answered_at"])


# --- round trip --------------------------------------------------------------------------


def test_store_path_is_workshop_sqlite_in_the_data_dir(tmp_path: Path):
    assert store_path(tmp_path) == tmp_path / "workshop.sqlite"


def test_latest_answer_counts_and_history_keeps_both(store: AnswerStore):
    ana = store.join(SESSION, "Ana", "sales")
    ben = store.join(SESSION, "Ben", "marketing", team="north")
    first = store.record(SESSION, ana, "handoff", "q1", "fit")
    store.record(SESSION, ben, "handoff", "q1", 3)
    changed = store.record(SESSION, ana, "handoff", "q1", ["fit", "intent"])
    store.record(SESSION, ben, "sla", "hours", 24.5)

    assert changed > first
    expected = pd.DataFrame(
        {
            "session": [SESSION, SESSION, SESSION],
            "exercise": ["handoff", "handoff", "sla"],
            "item": ["q1", "q1", "hours"],
            "participant_id": [ana, ben, ben],
            "name": ["Ana", "Ben", "Ben"],
            "role": ["sales", "marketing", "marketing"],
            "team": ["", "north", "north"],
            "answer": [["fit", "intent"], 3, 24.5],
        }
    )
    assert_frame_equal(_without_times(store.latest(SESSION)), expected)
    handoff = _without_times(store.latest(SESSION, exercise="handoff"))
    assert_frame_equal(handoff, expected.iloc[:2])

    history = store.history(SESSION, participant_id=ana)
    assert history["id"].tolist() == [first, changed]
    assert history["answer"].tolist() == ["fit", ["fit", "intent"]]
    assert len(store.history(SESSION)) == 4
    assert history["answered_at"].str.endswith("+00:00").all()


@pytest.mark.parametrize(
    "answer",
    [0, 3, 2.5, True, None, "", "text", ["a", "b"], {"x": 1, "y": [1, 2]}, "Ünïcødé ✓"],
    ids=["zero", "int", "float", "bool", "none", "empty", "text", "list", "dict", "unicode"],
)
def test_answer_comes_back_as_the_value_recorded(store: AnswerStore, answer):
    me = store.join(SESSION, "Ana", "sales")
    store.record(SESSION, me, "ex", "q", answer)
    got = store.latest(SESSION)["answer"].iloc[0]
    assert got == answer and type(got) is type(answer)


def test_rejoining_returns_the_same_id(store: AnswerStore):
    ana = store.join(SESSION, "Ana", "sales")
    assert store.join(SESSION, "Ana", "sales") == ana
    assert store.join(SESSION, "  Ana ", "sales") == ana
    assert store.join("another session", "Ana", "sales") != ana
    assert store.participants(SESSION)["participant_id"].tolist() == [ana]
    assert store.sessions() == [SESSION, "another session"]


def test_participants_table(store: AnswerStore):
    ana = store.join(SESSION, "Ana", "sales", team="south")
    ben = store.join(SESSION, "Ben", "marketing")
    frame = store.participants(SESSION).drop(columns=["joined_at"])
    expected = pd.DataFrame(
        {
            "session": [SESSION, SESSION],
            "participant_id": [ana, ben],
            "name": ["Ana", "Ben"],
            "role": ["sales", "marketing"],
            "team": ["south", ""],
        }
    )
    assert_frame_equal(frame, expected)
    assert store.participants("nobody here").empty
    assert store.latest("nobody here").empty


@pytest.mark.parametrize(
    ("session", "name", "role", "match"),
    [
        (SESSION, "Ana", "finance", r"Role must be 'sales' or 'marketing', got 'finance'"),
        (SESSION, "Ana", "Sales", r"got 'Sales'"),
        (SESSION, "   ", "sales", r"Participant name must be a non-empty text, got '   '"),
        ("", "Ana", "sales", r"Session must be a non-empty text, got ''"),
        (SESSION, None, "sales", r"Participant name must be a non-empty text, got None"),
    ],
    ids=["unknown-role", "role-case", "blank-name", "empty-session", "no-name"],
)
def test_join_rejects_bad_parameters(store: AnswerStore, session, name, role, match):
    with pytest.raises(ParameterError, match=match):
        store.join(session, name, role)
    assert store.sessions() == []


def test_rejoining_with_the_other_role_is_refused(store: AnswerStore):
    store.join(SESSION, "Ana", "sales")
    with pytest.raises(ParameterError, match=r"'Ana' already joined .* as sales, not marketing"):
        store.join(SESSION, "Ana", "marketing")


def test_rejoining_in_another_team_is_refused(store: AnswerStore):
    store.join(SESSION, "Ana", "sales", team="north")
    with pytest.raises(ParameterError, match=r"as sales in team north, not sales in team south"):
        store.join(SESSION, "Ana", "sales", team="south")


def test_version_1_store_is_upgraded_to_version_3_and_keeps_its_rows(tmp_path: Path):
    path = store_path(tmp_path)
    raw = sqlite3.connect(path)
    raw.executescript(
        """
        CREATE TABLE participants (session TEXT NOT NULL, participant_id TEXT NOT NULL,
            name TEXT NOT NULL, role TEXT NOT NULL, joined_at TEXT NOT NULL,
            PRIMARY KEY (session, participant_id), UNIQUE (session, name));
        CREATE TABLE answers (id INTEGER PRIMARY KEY, session TEXT NOT NULL,
            participant_id TEXT NOT NULL, role TEXT NOT NULL, exercise TEXT NOT NULL,
            item TEXT NOT NULL, answer TEXT NOT NULL, answered_at TEXT NOT NULL);
        INSERT INTO participants VALUES ('s', 'p1', 'Ana', 'sales', '2026-01-01T00:00:00+00:00');
        INSERT INTO answers VALUES (1, 's', 'p1', 'sales', 'ex', 'q', '"yes"',
            '2026-01-01T00:00:01+00:00');
        PRAGMA user_version=1;
        """
    )
    raw.close()
    with AnswerStore(path) as store:
        latest = store.latest("s")
        assert latest[["name", "role", "team", "answer"]].values.tolist() == [
            ["Ana", "sales", "", "yes"]
        ]
        assert store.join("s", "Ana", "sales") == "p1"
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 3
    tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
    assert "session_settings" in tables


def test_store_files_are_not_data(tmp_path: Path):
    from helpers.data.source import DataSource
    from helpers.data.source import is_answer_store_file as is_store_file

    (tmp_path / "leads.csv").write_text("lead_id\nL1\n")
    before = DataSource.of(tmp_path).digest()
    with AnswerStore(store_path(tmp_path)) as store:
        store.record(SESSION, store.join(SESSION, "Ana", "sales"), "ex", "q", 1)
        names = sorted(p.name for p in tmp_path.iterdir() if is_store_file(p))
        assert names == ["workshop.sqlite", "workshop.sqlite-shm", "workshop.sqlite-wal"]
        assert DataSource.of(tmp_path).digest() == before
    assert not is_store_file(tmp_path / "leads.csv")
    assert not is_store_file(tmp_path / "workshop.sqlite.bak")


def test_record_refuses_unknown_participant_and_unstorable_answer(store: AnswerStore):
    ana = store.join(SESSION, "Ana", "sales")
    with pytest.raises(ParameterError, match=r"has not joined session 'other'"):
        store.record("other", ana, "ex", "q", 1)
    with pytest.raises(ParameterError, match=r"Answer to 'ex' / 'q' cannot be stored"):
        store.record(SESSION, ana, "ex", "q", float("nan"))
    with pytest.raises(ParameterError, match=r"cannot be stored"):
        store.record(SESSION, ana, "ex", "q", {1, 2})
    with pytest.raises(ParameterError, match=r"Item must be a non-empty text"):
        store.record(SESSION, ana, "ex", "", 1)
    assert store.history(SESSION).empty


def test_hostile_text_is_stored_verbatim(store: AnswerStore):
    me = store.join(HOSTILE, HOSTILE, "marketing")
    store.record(HOSTILE, me, HOSTILE, HOSTILE, HOSTILE)
    row = store.latest(HOSTILE).iloc[0]
    assert (row["session"], row["name"], row["exercise"], row["item"], row["answer"]) == (
        (HOSTILE,) * 5
    )
    assert store.sessions() == [HOSTILE]
    tables = {
        name for (name,) in sqlite3.connect(store.path).execute("SELECT name FROM sqlite_master")
    }
    assert {"participants", "answers", "latest_answers"} <= tables


# --- settings and durability -------------------------------------------------------------


def test_wal_full_sync_busy_timeout_and_schema_version(store: AnswerStore):
    # journal_mode and user_version live in the file: read them over a fresh connection.
    raw = sqlite3.connect(store.path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 3
    tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master")}
    raw.close()
    assert "session_settings" in tables
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000


class _LockedAtFirst:
    """A connection stand-in whose first ``locked`` calls fail the way SQLite's do."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.calls, self.locked, self.message = 0, locked, message

    def execute(self, sql: str):
        self.calls += 1
        if self.calls <= self.locked:
            raise sqlite3.OperationalError(self.message)
        return sqlite3.connect(":memory:").execute("SELECT 'wal'")


def test_switch_to_wal_retries_while_another_opener_holds_the_lock():
    db = _LockedAtFirst(locked=3)
    assert _switch_to_wal(db) == "wal"
    assert db.calls == 4


def test_switch_to_wal_gives_up_after_the_timeout_and_passes_other_errors():
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _switch_to_wal(_LockedAtFirst(locked=10**6), timeout_s=0.05)
    db = _LockedAtFirst(locked=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        _switch_to_wal(db)
    assert db.calls == 1


OPENER = """
import sys
from helpers.training.answer_store import AnswerStore
sys.stdin.readline()
AnswerStore(sys.argv[1]).close()
"""


def test_thirty_processes_opening_a_new_store_at_once_all_succeed(tmp_path: Path):
    # CI once saw "database is locked" from openers racing to convert a new file to WAL.
    for trial in range(3):
        path = tmp_path / f"trial{trial}.sqlite"
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, str(path)],
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(N_WRITERS)
        ]
        errors = [opener.communicate("go\n", timeout=60)[1] for opener in openers]
        assert [opener.returncode for opener in openers] == [0] * N_WRITERS, errors
        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        raw.close()


def test_newer_schema_is_refused(tmp_path: Path):
    path = store_path(tmp_path)
    AnswerStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version=4")
    raw.close()
    with pytest.raises(WorkbookError, match=r"schema version 4 is newer than this code knows"):
        AnswerStore(path)


def test_reopened_store_sees_every_row(tmp_path: Path):
    path = store_path(tmp_path)
    first = AnswerStore(path)
    ana = first.join(SESSION, "Ana", "sales")
    ids = [first.record(SESSION, ana, "ex", f"q{n}", n) for n in range(5)]
    # A second store open at the same time sees the committed rows at once ...
    with AnswerStore(path) as second:
        assert second.history(SESSION)["id"].tolist() == ids
    first.close()
    # ... and so does one opened after the first is closed (a restarted kernel).
    with AnswerStore(path) as reopened:
        history = reopened.history(SESSION)
        assert history["id"].tolist() == ids
        assert history["answer"].tolist() == [0, 1, 2, 3, 4]
        assert reopened.join(SESSION, "Ana", "sales") == ana


def test_answer_survives_the_process_being_killed(tmp_path: Path):
    path = store_path(tmp_path)
    script = (
        "import os, signal, sys\n"
        "from helpers.training.answer_store import AnswerStore\n"
        "store = AnswerStore(sys.argv[1])\n"
        "me = store.join('s', 'Ana', 'sales')\n"
        "print(store.record('s', me, 'ex', 'q', 'kept'), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == -9, done.stderr
    with AnswerStore(path) as store:
        history = store.history("s")
    assert history["id"].tolist() == [int(done.stdout)]
    assert history["answer"].tolist() == ["kept"]


# --- 30 participants answering at once ---------------------------------------------------

N_WRITERS = 30
WRITE_SECONDS = 3.0
N_ITEMS = 5

# Each writer joins (30 processes racing to create the schema too), says it is ready, waits
# for the parent's "go" on stdin (the start barrier), then records answers as fast as it can:
# answer n goes to item q{n % 5} with value {"k": writer, "n": n}, so items are answered over
# and over. It reports every (row id, item, n) that record() returned, and its slowest
# record() call: SQLite's busy wait is not fair, so under this saturation one writer may wait
# seconds for the lock while others write thousands of rows (at human pace it does not).
WRITER = f"""
import json, sys, time
from helpers.training.answer_store import AnswerStore

path, k = sys.argv[1], int(sys.argv[2])
store = AnswerStore(path)
me = store.join("load", f"participant {{k}}", ("sales", "marketing")[k % 2])
print(me, flush=True)
sys.stdin.readline()
written = []
slowest = 0.0
n = 0
deadline = time.monotonic() + {WRITE_SECONDS}
while (start := time.monotonic()) < deadline:
    item = f"q{{n % {N_ITEMS}}}"
    written.append([store.record("load", me, "speed", item, {{"k": k, "n": n}}), item, n])
    slowest = max(slowest, time.monotonic() - start)
    n += 1
store.close()
print(json.dumps({{"written": written, "slowest": slowest}}), flush=True)
"""


def _lost_and_extra(stored: list[tuple], reported: list[tuple]) -> tuple[Counter, Counter]:
    """Rows reported written but not stored exactly as often, and rows stored but never reported."""
    stored_count, reported_count = Counter(stored), Counter(reported)
    return reported_count - stored_count, stored_count - reported_count


def test_lost_and_extra_catches_a_dropped_or_duplicated_row():
    reported = [(1, "p", "q0", 0, 0), (2, "p", "q1", 0, 1)]
    assert _lost_and_extra(reported, reported) == (Counter(), Counter())
    lost, extra = _lost_and_extra(reported[:1], reported)
    assert lost == Counter([reported[1]]) and not extra
    lost, extra = _lost_and_extra([*reported, reported[0]], reported)
    assert not lost and extra == Counter([reported[0]])


def test_thirty_concurrent_writers_lose_and_duplicate_nothing(tmp_path: Path):
    path = store_path(tmp_path)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(k)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(N_WRITERS)
    ]
    try:
        ids = [w.stdout.readline().strip() for w in writers]
        assert all(ids), [w.stderr.read() for w in writers if w.poll() is not None]
        for w in writers:  # everyone is ready: release them together
            w.stdin.write("go\n")
            w.stdin.flush()
        outputs = [w.communicate(timeout=60) for w in writers]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
    assert [w.returncode for w in writers] == [0] * N_WRITERS, [err for _, err in outputs]

    reported, counts, slowest = [], [], []
    for k, ((out, _), participant) in enumerate(zip(outputs, ids, strict=True)):
        result = json.loads(out)
        assert result["written"], f"writer {k} wrote nothing"
        reported += [(row_id, participant, item, k, n) for row_id, item, n in result["written"]]
        counts.append(len(result["written"]))
        slowest.append(result["slowest"])

    with AnswerStore(path) as store:
        history = store.history("load")
        latest = store.latest("load")
        joined = store.participants("load")
    stored = [
        (row.id, row.participant_id, row.item, row.answer["k"], row.answer["n"])
        for row in history.itertuples()
    ]
    lost, extra = _lost_and_extra(stored, reported)
    assert not lost, f"{sum(lost.values())} answers reported written are missing: {lost}"
    assert not extra, f"{sum(extra.values())} rows nobody wrote: {extra}"
    assert len(set(history["id"])) == len(history) == len(reported)
    assert sorted(joined["participant_id"]) == sorted(ids)
    roles = dict(zip(history["participant_id"], history["role"], strict=False))
    assert all(roles[p] == ("sales", "marketing")[k % 2] for k, p in enumerate(ids))

    # The answer that counts is each writer's last answer to each item.
    last = {}
    for _, participant, item, _, n in reported:
        last[participant, item] = max(n, last.get((participant, item), -1))
    got = {(r.participant_id, r.item): r.answer["n"] for r in latest.itertuples()}
    assert got == last
    print(
        f"\n{len(reported)} answers from {N_WRITERS} writers in {WRITE_SECONDS} s; "
        f"per writer {min(counts)}-{max(counts)}; slowest record() {max(slowest):.2f} s"
    )
