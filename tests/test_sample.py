"""Tests of the sample-data generator: shape, integrity, determinism and the planted effects.

Every expectation is computed here from the written CSV files with plain pandas, never by
calling the generator's own helpers again.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.data.config import load_config
from helpers.data.sample import (
    LOW_QUALITY_CHANNEL,
    SLOW_TEAM,
    SPEND_SPIKE,
    TEAMS,
    generate_sample,
    team_rows,
)
from helpers.data.source import load_dataset
from helpers.errors import ParameterError

SEED = 7  # the seed of the bundled sample
LEADS = 3_000  # small enough for a fast test, large enough for the planted effects

COLUMNS = {
    "teams": ["team", "name", "region", "segment"],
    "leads": [
        "lead_id",
        "created_at",
        "team",
        "channel",
        "source_type",
        "campaign_id",
        "score",
        "industry",
        "company_size",
        "country",
    ],
    "lead_events": ["lead_id", "event", "at", "actor", "reason"],
    "opportunities": [
        "opportunity_id",
        "team",
        "created_at",
        "status",
        "amount",
        "closed_at",
        "lead_id",
        "account_id",
        "source_type",
        "lost_reason",
    ],
    "spend": ["month", "team", "channel", "category", "amount"],
    "revenue": ["month", "account_id", "team", "recurring_revenue"],
    "touches": ["lead_id", "at", "campaign_id", "channel"],
    "targets": ["team", "quarter", "metric", "target", "basis"],
    "feedback": ["lead_id", "at", "rating", "reason", "comment"],
    "actions": [
        "action_id",
        "team",
        "quarter_agreed",
        "action",
        "owner",
        "due_quarter",
        "kpi",
        "status",
        "agreed_by",
        "agreed_at",
    ],
}
TIMESTAMPS = {
    "leads": ["created_at"],
    "lead_events": ["at"],
    "opportunities": ["created_at", "closed_at"],
    "touches": ["at"],
    "feedback": ["at"],
}
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"


def read(directory: Path, table: str) -> pd.DataFrame:
    """One table as text, empty cells as ``""`` (``NA`` is a region, not a missing value)."""
    return pd.read_csv(directory / f"{table}.csv", dtype=str, keep_default_na=False)


def when(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column.replace("", None), format="%Y-%m-%dT%H:%M:%S")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate_sample(out, leads=LEADS, seed=SEED)


@pytest.fixture(scope="module")
def tables(sample: tuple[Path, dict[str, int]]) -> dict[str, pd.DataFrame]:
    directory, _ = sample
    return {name: read(directory, name) for name in COLUMNS}


def first_events(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """First time of each event per lead, with the lead's team and channel."""
    events = tables["lead_events"].assign(at=lambda e: when(e["at"]))
    first = events.groupby(["lead_id", "event"])["at"].min().unstack()
    leads = tables["leads"].set_index("lead_id")[["team", "channel", "source_type"]]
    return leads.join(first)


@pytest.fixture(scope="module")
def stages(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return first_events(tables)


# --- shape ----------------------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_sample(a, leads=1_000, seed=3)
    generate_sample(b, leads=1_000, seed=3)
    generate_sample(c, leads=1_000, seed=4)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "leads.csv").read_bytes() != (c / "leads.csv").read_bytes()


def test_every_table_and_column_is_written(sample, tables) -> None:
    directory, rows = sample
    written = sorted(p.name for p in directory.iterdir())
    assert written == sorted([f"{t}.csv" for t in COLUMNS] + ["workbook.toml"])  # no temp files
    for name, columns in COLUMNS.items():
        assert list(tables[name].columns) == columns, name
        assert rows[name] == len(tables[name]) > 0, name
    assert len(tables["leads"]) == LEADS


def test_teams_are_the_six_pods(tables) -> None:
    teams = tables["teams"]
    assert list(teams["team"]) == [t["team"] for t in TEAMS]
    assert set(teams["team"]) == {
        "emea-ent",
        "emea-smb",
        "na-ent",
        "na-smb",
        "apac-mm",
        "latam-smb",
    }
    assert set(teams["region"]) == {"EMEA", "NA", "APAC", "LATAM"}
    assert set(teams["segment"]) == {"enterprise", "smb", "mid-market"}
    assert teams["name"].str.len().gt(3).all()


def test_workbook_toml(sample) -> None:
    directory, _ = sample
    settings = tomllib.loads((directory / "workbook.toml").read_text("utf-8"))
    assert settings["as_of"] == "2026-10-01"
    assert settings["currency"] == "EUR" and settings["timezone"] == "Europe/Berlin"
    config = load_config(directory)
    assert config.sla_hours == 24 and config.sla_for("paid_search") == 8
    assert config.business_hours.days == ("Mon", "Tue", "Wed", "Thu", "Fri")
    assert str(config.business_hours.start) == "09:00:00"


def test_values_are_well_formed(tables) -> None:
    leads = tables["leads"]
    assert leads["lead_id"].is_unique and leads["lead_id"].str.match(r"^L\d{7}$").all()
    for name, columns in TIMESTAMPS.items():
        for column in columns:
            values = tables[name][column]
            assert values[values != ""].str.match(ISO).all(), (name, column)
    assert leads["created_at"].ne("").all()
    score = leads["score"].astype(float)
    assert score.between(0, 100).all() and (score.round(1) == score).all()
    assert set(leads["source_type"]) == {"marketing", "sales", "partner"}
    assert set(leads.loc[leads["channel"] == "outbound", "source_type"]) == {"sales"}
    assert set(leads.loc[leads["channel"] == "referral", "source_type"]) == {"partner"}
    assert (leads["campaign_id"] == "").any() and (leads["campaign_id"] != "").any()
    events = tables["lead_events"]
    assert set(events["event"]) == {"mql", "first_touch", "accepted", "rejected", "recycled", "sql"}
    assert events["actor"].str.match(r"^(sdr_\d+|ae_\d+|marketing_automation)$").all()
    ratings = tables["feedback"]["rating"].astype(int)
    assert ratings.between(1, 5).all()
    assert tables["spend"]["month"].str.match(r"^\d{4}-\d{2}$").all()
    assert tables["revenue"]["month"].str.match(r"^\d{4}-\d{2}$").all()
    assert tables["targets"]["quarter"].str.match(r"^\d{4}Q[1-4]$").all()


def test_reason_only_on_rejected_and_recycled(tables) -> None:
    events = tables["lead_events"]
    needs = events["event"].isin(["rejected", "recycled"])
    assert events.loc[needs, "reason"].ne("").all()
    assert events.loc[~needs, "reason"].eq("").all()


def test_amounts_are_non_negative(tables) -> None:
    for name, column in (
        ("opportunities", "amount"),
        ("spend", "amount"),
        ("revenue", "recurring_revenue"),
    ):
        values = tables[name][column].astype(float)
        assert values.ge(0).all() and values.notna().all(), name
    opps = tables["opportunities"]
    cents = opps["amount"].astype(float) * 100
    assert np.allclose(cents, cents.round())


# --- integrity --------------------------------------------------------------------------------
def test_references_resolve(tables) -> None:
    lead_ids = set(tables["leads"]["lead_id"])
    team_ids = set(tables["teams"]["team"])
    for name in ("lead_events", "touches", "feedback"):
        assert set(tables[name]["lead_id"]) <= lead_ids, name
    opps = tables["opportunities"]
    assert set(opps.loc[opps["lead_id"] != "", "lead_id"]) <= lead_ids
    for name in ("leads", "opportunities", "spend", "revenue"):
        assert set(tables[name]["team"]) <= team_ids, name
    assert set(tables["targets"]["team"]) <= team_ids | {"*"}
    won = opps.loc[opps["status"] == "won"]
    assert set(tables["revenue"]["account_id"]) <= set(won["account_id"])
    assert opps["opportunity_id"].is_unique and opps["account_id"].is_unique


def test_events_are_in_order_per_lead(tables) -> None:
    leads = tables["leads"].set_index("lead_id")
    events = tables["lead_events"].assign(at=lambda e: when(e["at"]))
    events["created_at"] = when(events["lead_id"].map(leads["created_at"]))
    assert (events["at"] >= events["created_at"]).all()
    # The file lists each lead's events in time order.
    assert events.groupby("lead_id")["at"].apply(lambda s: s.is_monotonic_increasing).all()
    # Count, per event row, how many of each event came before it for the same lead.
    dummies = pd.get_dummies(events["event"]).astype(int)
    before = dummies.groupby(events["lead_id"]).cumsum() - dummies
    kind = events["event"]
    outbound = events["lead_id"].map(leads["source_type"]).eq("sales")
    touch = kind == "first_touch"
    assert (
        before.loc[touch & ~outbound, "mql"] > before.loc[touch & ~outbound, "first_touch"]
    ).all()
    decided = before["accepted"] + before["rejected"]
    decision = kind.isin(["accepted", "rejected"])
    assert (before.loc[decision, "first_touch"] > decided[decision]).all()
    assert (before.loc[kind == "sql", "accepted"] >= 1).all()
    assert (
        before.loc[kind == "recycled", "rejected"] > before.loc[kind == "recycled", "recycled"]
    ).all()
    again = (kind == "mql") & (before["mql"] >= 1)
    assert again.any(), "some recycled leads come back as MQL"
    assert (before.loc[again, "recycled"] >= before.loc[again, "mql"]).all()
    assert not (kind == "mql")[outbound].any(), "outbound leads skip mql"
    assert events.loc[(kind == "sql")].groupby("lead_id").size().max() == 1


def test_nothing_after_the_as_of_date(sample, tables) -> None:
    directory, _ = sample
    as_of = pd.Timestamp(tomllib.loads((directory / "workbook.toml").read_text())["as_of"])
    for name, columns in TIMESTAMPS.items():
        for column in columns:
            assert (when(tables[name][column]).dropna() < as_of).all(), (name, column)
    last_month = (as_of - pd.Timedelta(days=1)).strftime("%Y-%m")
    assert tables["revenue"]["month"].max() == last_month
    assert tables["spend"]["month"].max() == last_month
    created = when(tables["leads"]["created_at"])
    assert created.min() >= pd.Timestamp("2024-04-01")  # ten quarters ending 2026Q3


def test_opportunities_follow_their_lead(tables, stages) -> None:
    opps = tables["opportunities"]
    created, closed = when(opps["created_at"]), when(opps["closed_at"])
    is_open = opps["status"] == "open"
    assert closed[is_open].isna().all() and closed[~is_open].notna().all()
    assert (closed[~is_open] >= created[~is_open]).all()
    assert opps.loc[opps["status"] == "lost", "lost_reason"].ne("").all()
    assert opps.loc[opps["status"] != "lost", "lost_reason"].eq("").all()
    with_lead = opps[opps["lead_id"] != ""]
    sql = with_lead["lead_id"].map(stages["sql"])
    assert sql.notna().all() and (created[with_lead.index] >= sql).all()
    lead_source = with_lead["lead_id"].map(stages["source_type"])
    assert (with_lead["source_type"] == lead_source).all()
    assert set(opps.loc[opps["lead_id"] == "", "source_type"]) == {"sales"}
    assert is_open.any() and (opps["status"] == "won").any()


def test_touches_come_before_the_mql(tables, stages) -> None:
    touches = tables["touches"].assign(at=lambda t: when(t["at"]))
    lead = stages.loc[touches["lead_id"]]
    assert set(lead["source_type"]) == {"marketing"}
    created = when(tables["leads"].set_index("lead_id")["created_at"])
    assert (touches["at"].to_numpy() >= created[touches["lead_id"]].to_numpy()).all()
    last_mql = tables["lead_events"].query("event == 'mql'").groupby("lead_id")["at"].max()
    limit = when(touches["lead_id"].map(last_mql))
    assert (touches["at"][limit.notna()] <= limit[limit.notna()]).all()
    counts = touches.groupby("lead_id").size()
    assert counts.min() >= 1 and counts.max() <= 6  # 1-5, plus one after a recycle
    marketing = tables["leads"].query("source_type == 'marketing'")["lead_id"]
    assert set(counts.index) == set(marketing)
    firsts = touches.groupby("lead_id").head(1).set_index("lead_id")
    own = firsts["campaign_id"] == tables["leads"].set_index("lead_id")["campaign_id"][firsts.index]
    assert own.mean() > 0.7


def test_feedback_follows_a_decision(tables, stages) -> None:
    feedback = tables["feedback"].assign(at=lambda f: when(f["at"]))
    lead = stages.loc[feedback["lead_id"]]
    decided = lead[["accepted", "rejected"]].min(axis=1)
    assert decided.notna().all()
    assert (feedback["at"].to_numpy() >= lead["first_touch"].to_numpy()).all()
    assert feedback["comment"].str.contains(",").any()
    assert feedback["comment"].str.contains('"').any()


def test_targets_cover_every_team_and_quarter(tables) -> None:
    targets = tables["targets"]
    metrics = {
        "mqls",
        "sla_compliance",
        "mql_acceptance",
        "mql_to_sql",
        "pipeline_created",
        "won_revenue",
    }
    teams = targets[targets["team"] != "*"]
    per_cell = teams.groupby(["team", "quarter"])["metric"].apply(set)
    assert (per_cell.apply(lambda s: s == metrics)).all()
    assert set(teams["quarter"]) >= {f"{y}Q{q}" for y in (2025,) for q in (1, 2, 3, 4)}
    everyone = targets[targets["team"] == "*"]
    assert len(everyone) > 0 and "sla_compliance" in set(everyone["metric"])
    value = targets["target"].astype(float)
    shares = targets["metric"].isin(["sla_compliance", "mql_acceptance", "mql_to_sql"])
    absolute = targets["basis"] == "absolute"
    assert value[shares].between(0, 1).all() and value[absolute].ge(0).all()
    # The playbook's scorecard, the same in every quarter, for all teams (issue 21).
    q3 = everyone[everyone["quarter"] == "2026Q3"]
    scorecard = q3.assign(target=q3["target"].astype(float)).set_index("metric")  # read as text
    assert scorecard.loc["lead_to_customer", ["target", "basis"]].tolist() == [
        0.2,
        "vs_same_quarter_last_year",
    ]
    assert scorecard.loc["cac", ["target", "basis"]].tolist() == [-0.15, "vs_previous_quarter"]
    assert scorecard.loc["bookings_growth", ["target", "basis"]].tolist() == [0.2, "absolute"]
    assert scorecard.loc["customer_retention", ["target", "basis"]].tolist() == [
        0.1,
        "vs_same_quarter_last_year",
    ]
    assert scorecard.loc["marketing_roi", ["target", "basis"]].tolist() == [2.0, "absolute"]


# --- planted effects ----------------------------------------------------------------------------
def test_slow_team_answers_late_and_converts_less(stages) -> None:
    mqls = stages[stages["mql"].notna()]
    wall_hours = (mqls["first_touch"] - mqls["mql"]).dt.total_seconds() / 3600
    median = wall_hours.groupby(mqls["team"]).median()
    others = median.drop(SLOW_TEAM)
    assert median[SLOW_TEAM] > 3 * others.max()
    untouched = mqls["first_touch"].isna().groupby(mqls["team"]).mean()
    assert untouched[SLOW_TEAM] > untouched.drop(SLOW_TEAM).max()
    to_sql = mqls["sql"].notna().groupby(mqls["team"]).mean()
    assert to_sql[SLOW_TEAM] < to_sql.drop(SLOW_TEAM).mean() - 0.08


def test_low_quality_channel_is_largest_and_worst(tables, stages) -> None:
    leads = tables["leads"]
    volume = leads["channel"].value_counts()
    assert volume.idxmax() == LOW_QUALITY_CHANNEL
    assert (
        leads["score"].astype(float).groupby(leads["channel"]).mean().idxmin()
        == LOW_QUALITY_CHANNEL
    )
    events = tables["lead_events"]
    decided = events[events["event"].isin(["accepted", "rejected"])]
    channel = decided["lead_id"].map(stages["channel"])
    rejection = decided["event"].eq("rejected").groupby(channel).mean()
    assert rejection.idxmax() == LOW_QUALITY_CHANNEL
    reasons = decided.loc[
        (channel == LOW_QUALITY_CHANNEL) & (decided["event"] == "rejected"), "reason"
    ]
    assert reasons.isin(["no budget", "student or job seeker", "wrong persona"]).mean() > 0.5
    mqls = stages[stages["mql"].notna()]
    to_sql = mqls["sql"].notna().groupby(mqls["channel"]).mean()
    assert to_sql.idxmin() == LOW_QUALITY_CHANNEL


def test_events_spend_spikes_without_more_leads(tables) -> None:
    quarter, channel = SPEND_SPIKE
    spend = tables["spend"]
    spend = spend[spend["channel"] == channel]
    by_quarter = (
        spend["amount"]
        .astype(float)
        .groupby(pd.PeriodIndex(spend["month"], freq="M").asfreq("Q").astype(str))
        .sum()
    )
    assert by_quarter[quarter] >= 2.5 * by_quarter.drop(quarter).mean()
    leads = tables["leads"]
    leads = leads[leads["channel"] == channel]
    per_quarter = when(leads["created_at"]).dt.to_period("Q").astype(str).value_counts()
    assert per_quarter[quarter] < 1.6 * per_quarter.drop(quarter).mean()


def test_leads_follow_the_working_week(tables) -> None:
    created = when(tables["leads"]["created_at"])
    assert (created.dt.day_of_week < 5).mean() > 0.85
    assert created.dt.hour.between(8, 18).mean() > 0.7


# --- parameters -----------------------------------------------------------------------------------
def test_other_period_and_size(tmp_path: Path) -> None:
    rows = generate_sample(tmp_path, leads=500, seed=1, end_quarter="2025Q1", quarters=4)
    leads = read(tmp_path, "leads")
    assert rows["leads"] == len(leads) == 500
    created = when(leads["created_at"])
    assert created.min() >= pd.Timestamp("2024-04-01") and created.max() < pd.Timestamp(
        "2025-04-01"
    )
    assert 'as_of = "2025-04-01"' in (tmp_path / "workbook.toml").read_text()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"leads": 0}, "leads"),
        ({"quarters": -1}, "quarters"),
        ({"end_quarter": "2026-09"}, "2026-09"),
    ],
    ids=["no-leads", "negative-quarters", "bad-quarter"],
)
def test_bad_parameters_are_refused(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        generate_sample(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_bundled_sample_is_reproducible(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parents[1] / "data" / "sample"
    if not (bundled / "leads.csv").exists():
        pytest.skip("data/sample has not been generated")
    settings = tomllib.loads((bundled / "workbook.toml").read_text("utf-8"))
    assert settings["as_of"] == "2026-10-01"
    generate_sample(tmp_path)
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (bundled / path.name).read_bytes(), path.name


# --- more teams: each base team split into sub-teams --------------------------------------------
MANY = 60
MANY_LEADS = 12_000  # about 20-50 MQLs in the smallest sub-team: enough for a median
BASE = {  # written out by hand: id -> (name, region, segment)
    "emea-ent": ("EMEA Enterprise", "EMEA", "enterprise"),
    "emea-smb": ("EMEA SMB", "EMEA", "smb"),
    "na-ent": ("North America Enterprise", "NA", "enterprise"),
    "na-smb": ("North America SMB", "NA", "smb"),
    "apac-mm": ("APAC Mid-Market", "APAC", "mid-market"),
    "latam-smb": ("LATAM SMB", "LATAM", "smb"),
}


def base_of(team: pd.Series) -> pd.Series:
    """``na-smb-07`` -> ``na-smb``."""
    return team.str.replace(r"-\d+$", "", regex=True)


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pd.DataFrame]]:
    out = tmp_path_factory.mktemp("sample60")
    generate_sample(out, leads=MANY_LEADS, seed=SEED, teams=MANY)
    return out, {name: read(out, name) for name in COLUMNS}


def test_sixty_teams_are_ten_sub_teams_of_each_base_team(many) -> None:
    _, tables = many
    teams = tables["teams"]
    assert len(teams) == MANY and teams["team"].is_unique
    expected_ids = [f"{base}-{k:02d}" for base in BASE for k in range(1, 11)]
    assert list(teams["team"]) == expected_ids
    for row in teams.itertuples():
        base, number = row.team.rsplit("-", 1)
        name, region, segment = BASE[base]
        assert (row.name, row.region, row.segment) == (f"{name} {number}", region, segment)


def test_every_table_uses_the_sixty_teams(many) -> None:
    directory, tables = many
    team_ids = set(tables["teams"]["team"])
    for name in ("leads", "opportunities", "spend", "revenue"):
        assert set(tables[name]["team"]) == team_ids, name  # every team has rows in each
    targets = tables["targets"]
    assert set(targets["team"]) == team_ids | {"*"}
    # 30 months x 60 teams x (7 marketing channels + sales_team + outbound)
    assert len(tables["spend"]) == 30 * MANY * 9
    # 10 sample quarters + the next one, each: 60 teams x 6 metrics + 7 rows for "*" (two
    # shared rates and the five scorecard KPIs)
    assert len(targets) == 11 * (MANY * 6 + 7)
    per_cell = targets[targets["team"] != "*"].groupby(["team", "quarter"]).size()
    assert len(per_cell) == MANY * 11 and (per_cell == 6).all()
    # Each SDR or AE works for one team only.
    events = tables["lead_events"]
    people = events[events["actor"] != "marketing_automation"]
    team = people["lead_id"].map(tables["leads"].set_index("lead_id")["team"])
    assert team.groupby(people["actor"]).nunique().max() == 1
    assert "teams=60" in (directory / "workbook.toml").read_text()


def test_sixty_team_sample_loads_and_validates(many) -> None:
    directory, _ = many
    dataset = load_dataset(directory)
    assert len(dataset.teams) == MANY
    assert not [p for p in dataset.anomalies if p.severity == "error"]


def test_sub_teams_refine_the_six_team_sample(many, tmp_path: Path) -> None:
    """Same seed: the same leads and opportunities, each team replaced by one of its sub-teams."""
    _, tables = many
    generate_sample(tmp_path, leads=MANY_LEADS, seed=SEED)
    for name in ("leads", "opportunities"):
        six, split = read(tmp_path, name), tables[name]
        assert split.drop(columns="team").equals(six.drop(columns="team")), name
        assert base_of(split["team"]).equals(six["team"]), name
    # The first sub-teams are the larger ones.
    counts = tables["leads"]["team"].value_counts()
    for base in BASE:
        assert counts[f"{base}-01"] > counts[f"{base}-10"], base


def test_every_slow_sub_team_answers_late(many) -> None:
    _, tables = many
    stages = first_events(tables)
    mqls = stages[stages["mql"].notna()]
    wall_hours = (mqls["first_touch"] - mqls["mql"]).dt.total_seconds() / 3600
    median = wall_hours.groupby(mqls["team"]).median()
    slow = median.index.str.startswith(f"{SLOW_TEAM}-")
    assert slow.sum() == 10
    assert median[slow].min() > 2 * median[~slow].max()
    is_slow = base_of(mqls["team"]) == SLOW_TEAM
    untouched = mqls["first_touch"].isna().groupby(is_slow).mean()
    assert untouched[True] > untouched[False] + 0.05
    to_sql = mqls["sql"].notna().groupby(is_slow).mean()
    assert to_sql[True] < to_sql[False] - 0.08


def test_uneven_split_gives_the_first_base_teams_one_more() -> None:
    rows = team_rows(13)  # 13 = 2 x 6 + 1: emea-ent gets 3 sub-teams, the others 2
    assert [r["team"] for r in rows] == [
        "emea-ent-01",
        "emea-ent-02",
        "emea-ent-03",
        "emea-smb-01",
        "emea-smb-02",
        "na-ent-01",
        "na-ent-02",
        "na-smb-01",
        "na-smb-02",
        "apac-mm-01",
        "apac-mm-02",
        "latam-smb-01",
        "latam-smb-02",
    ]
    assert rows[2]["name"] == "EMEA Enterprise 03"
    assert team_rows(6) == TEAMS


def test_seven_teams_every_team_has_leads(tmp_path: Path) -> None:
    rows = generate_sample(tmp_path, leads=2_000, seed=2, teams=7)
    assert rows["teams"] == 7
    leads = read(tmp_path, "leads")
    assert set(leads["team"]) == set(read(tmp_path, "teams")["team"])
    assert {"emea-ent-01", "emea-ent-02", "na-smb-01"} <= set(leads["team"])
    load_dataset(tmp_path)


@pytest.mark.parametrize("teams", [5, 0, -6, 6.0, 60.5, "60", True, None])
def test_bad_team_counts_are_refused(tmp_path: Path, teams) -> None:
    with pytest.raises(ParameterError, match="teams is .*at least 6"):
        generate_sample(tmp_path / "out", leads=100, teams=teams)
    assert not (tmp_path / "out").exists()


def test_cli_sample_teams_option(tmp_path):
    from click.testing import CliRunner

    from helpers.cli import main

    out = tmp_path / "twelve"
    result = CliRunner().invoke(
        main, ["sample", "--out", str(out), "--leads", "500", "--teams", "12"]
    )
    assert result.exit_code == 0, result.output
    teams = pd.read_csv(out / "teams.csv")["team"].tolist()
    # Twelve teams: each of the six base teams split in two, numbered from 01.
    assert len(teams) == 12
    assert {"emea-ent-01", "emea-ent-02", "latam-smb-02"} <= set(teams)
    refused = CliRunner().invoke(main, ["sample", "--out", str(tmp_path / "x"), "--teams", "5"])
    assert refused.exit_code == 2
    assert "5 is not in the range x>=6" in refused.output
