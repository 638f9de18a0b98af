"""The trained lead model: features by hand, no leakage, the planted signal, `workbook score`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from helpers.analysis.workbook import Workbook
from helpers.cli import main
from helpers.data.sample import LOW_QUALITY_CHANNEL
from helpers.prediction import lead_model as lm

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT / "data" / "sample"
TINY = PROJECT / "tests" / "data" / "tiny"
T0 = pd.Timestamp("2026-04-06 09:00")


@pytest.fixture(scope="module")
def sample() -> Workbook:
    return Workbook.load(SAMPLE, reuse=True)


@pytest.fixture(scope="module")
def evaluation(sample):
    return lm.evaluate_lead_model(sample, importance_repeats=3)


# --- features: only what was known at the scoring moment ----------------------------------------


def _frames():
    leads = pd.DataFrame(
        {
            "lead_id": ["A", "B"],
            "created_at": [T0, T0],
            "team": ["north", "north"],
            "channel": ["webinar", "email"],
            "source_type": ["marketing", "marketing"],
            "campaign_id": ["C1", None],
            "score": [80.0, 20.0],
            "industry": ["software", None],
            "employees": ["120", "8"],
        }
    )
    hours = pd.Timedelta(hours=1)
    events = pd.DataFrame(
        {
            "lead_id": ["A", "A", "A", "A", "B", "B"],
            "event": ["mql", "first_touch", "sql", "first_touch", "mql", "first_touch"],
            "at": [
                T0 + 3 * hours,
                T0 + 5 * hours,
                T0 + 24 * hours,
                T0 + 6 * hours,
                T0 + pd.Timedelta(days=8),
                T0 + pd.Timedelta(days=9),
            ],
        }
    )
    touches = pd.DataFrame(
        {
            "lead_id": ["A", "A", "A", "B"],
            "at": [T0 + hours, T0 + pd.Timedelta(days=2), T0 + pd.Timedelta(days=8), T0],
            "channel": ["webinar", "email", "events", "email"],
            "campaign_id": ["C1", "C2", "C3", "C4"],
        }
    )
    return leads, events, touches


def test_features_by_hand():
    leads, events, touches = _frames()
    moment = lm.scoring_moment(leads, pd.Timestamp("2026-10-01"))
    assert moment["A"] == T0 + pd.Timedelta(days=7)
    features = lm.lead_features(leads, events, touches, moment)
    # A: touches at +1 h and +2 d (the one at +8 d is after the moment) on 2 channels; MQL at
    # +3 h; its first touch 2 h later (the later one and the sql event are not read).
    # B: one touch; its MQL at +8 d is after the moment, so no MQL and no hand-off yet.
    assert features.loc["A", ["touches", "touch_channels"]].tolist() == [2.0, 2.0]
    assert features.loc["A", "hours_to_mql"] == 3.0
    assert features.loc["A", "hours_mql_to_first_touch"] == 2.0
    assert features.loc["B", "touches"] == 1.0
    assert np.isnan(features.loc["B", "hours_to_mql"])
    assert np.isnan(features.loc["B", "hours_mql_to_first_touch"])
    # Attributes: categories as text (missing is NaN), all-number text as numbers; never
    # the CRM score, the key or the time.
    assert features.loc["A", "industry"] == "software" and pd.isna(features.loc["B", "industry"])
    assert features["employees"].tolist() == [120.0, 8.0]
    assert not {"score", "created_at", "lead_id"} & set(features.columns)


def test_events_and_touches_after_the_scoring_moment_change_nothing():
    leads, events, touches = _frames()
    moment = lm.scoring_moment(leads, pd.Timestamp("2026-10-01"))
    before = lm.lead_features(leads, events, touches, moment)
    late = T0 + pd.Timedelta(days=7)  # exactly the moment: already too late
    planted_events = pd.concat(
        [
            events,
            pd.DataFrame(
                {
                    "lead_id": ["A", "B", "B"],
                    "event": ["mql", "mql", "first_touch"],
                    "at": [late, late, late + pd.Timedelta(hours=1)],
                }
            ),
        ],
        ignore_index=True,
    )
    planted_touches = pd.concat(
        [
            touches,
            pd.DataFrame(
                {
                    "lead_id": ["B"] * 5,
                    "at": [late] * 5,
                    "channel": ["x", "y", "z", "u", "v"],
                    "campaign_id": ["c"] * 5,
                }
            ),
        ],
        ignore_index=True,
    )
    after = lm.lead_features(leads, planted_events, planted_touches, moment)
    pd.testing.assert_frame_equal(before, after)


# --- no leakage through a column known only after conversion ------------------------------------


def test_a_column_copied_from_the_outcome_is_refused_and_has_no_effect(sample):
    features, y, _ = lm._training_set(sample, pd.Timestamp("2025-01-01"))
    clean = lm.fit_lead_model(features, y, seed=3)
    leaky = features.assign(became_customer=np.where(y, "yes", "no").astype(object))
    model = lm.fit_lead_model(leaky, y, seed=3)
    assert "became_customer" not in model.features
    assert model.dropped["became_customer"].startswith(
        "separates the outcome almost perfectly on its own (AUC 1.000"
    )
    np.testing.assert_array_equal(model.predict(leaky), clean.predict(features))
    # An identifier-like text column is left out too.
    ids = features.assign(email=[f"{i}@x.example" for i in range(len(features))])
    assert "email" in lm.fit_lead_model(ids, y, seed=3).dropped


def test_planted_late_events_leave_the_backtest_unchanged(sample, evaluation):
    """Touches and events dated after each lead's scoring moment, only on converted leads."""
    dataset = sample.dataset
    leads = dataset["leads"]
    converted = set(sample.journeys.index[sample.journeys["sql"].notna()])
    late = leads[leads["lead_id"].isin(converted)].copy()
    late_at = (late["created_at"] + pd.Timedelta(days=lm.SCORING_DAYS, hours=1)).clip(
        upper=dataset.as_of - pd.Timedelta(seconds=1)
    )
    extra_touches = pd.DataFrame(
        {"lead_id": late["lead_id"], "at": late_at, "campaign_id": "LATE", "channel": "events"}
    )
    extra_events = pd.DataFrame(
        {
            "lead_id": late["lead_id"],
            "event": "first_touch",
            "at": late_at,
            "actor": "x",
            "reason": pd.NA,
        }
    )
    tables = dict(dataset.tables)
    tables["touches"] = pd.concat([tables["touches"], extra_touches], ignore_index=True)
    tables["lead_events"] = pd.concat([tables["lead_events"], extra_events], ignore_index=True)
    planted = Workbook(dataclasses.replace(dataset, tables=tables))
    again = lm.evaluate_lead_model(planted, importance_repeats=0)
    np.testing.assert_array_equal(again.scores["model"], evaluation.scores["model"])


# --- the planted signal, out of time, beside the CRM ---------------------------------------------


def test_the_model_finds_the_low_quality_channel_and_beats_chance_out_of_time(sample, evaluation):
    assert evaluation.quarter == "2026Q3" and evaluation.note is None
    # Trained only on leads whose 30-day outcome was known by 2026-07-01.
    assert evaluation.trained_on > 10_000 and evaluation.too_young > 0
    assert evaluation.model.auc > 0.75 and evaluation.model.auc_low > 0.5
    assert evaluation.crm is not None and evaluation.crm.leads == evaluation.model.leads
    # paid_social (planted: most leads, worst quality) gets the lowest mean score of all
    # channels, under half of any other's.
    channels = sample.dataset["leads"].set_index("lead_id")["channel"]
    scored = evaluation.scores.assign(channel=evaluation.scores["lead_id"].map(channels))
    means = scored.groupby("channel")["model"].mean().sort_values()
    assert means.index[0] == LOW_QUALITY_CHANNEL
    assert means.iloc[0] < 0.5 * means.iloc[1]
    # The channel is among the three features whose shuffling costs the most AUC.
    assert "channel" in evaluation.importance["feature"].head(3).tolist()
    comparison = evaluation.comparison()
    assert comparison["score"].tolist() == ["trained model", "CRM score"]
    assert evaluation.to_dict()["model"]["auc"] == pytest.approx(evaluation.model.auc)


def test_importance_is_sklearns_permutation_importance_of_the_whole_pipeline(sample, evaluation):
    # Independent method: scikit-learn shuffling the raw columns through the whole pipeline
    # (encoder included), one prediction per shuffle, with the same seed; the evaluation
    # encodes the columns once and scores a column's shuffles in one prediction.
    from sklearn.inspection import permutation_importance

    quarter = sample.dataset.quarter(evaluation.quarter)
    features, y, _ = lm._training_set(sample, quarter.start)
    model = lm.fit_lead_model(features, y, cutoff=quarter.start)
    leads, events, touches = lm._tables(sample)
    scored = leads.set_index("lead_id").loc[evaluation.scores["lead_id"]].reset_index()
    raw = lm.lead_features(scored, events, touches, lm.scoring_moment(scored, sample.dataset.as_of))
    whole = permutation_importance(
        model.pipeline,
        raw[model.features],
        evaluation.scores["converted"].to_numpy(),
        scoring="roc_auc",
        n_repeats=3,
        random_state=lm.DEFAULT_SEED,
    )
    expected = dict(zip(model.features, whole.importances_mean, strict=True))
    got = evaluation.importance.set_index("feature")
    assert got["auc_drop"].to_dict() == pytest.approx(expected, abs=1e-12)
    spread = dict(zip(model.features, whole.importances_std, strict=True))
    assert got["sd"].to_dict() == pytest.approx(spread, abs=1e-12)
    assert max(expected.values()) > 0.05  # a real signal, not all zeros


def test_same_data_and_seed_give_the_same_scores(sample):
    first = lm.train_lead_model(sample, known_by=pd.Timestamp("2025-01-01"), seed=11)
    second = lm.train_lead_model(sample, known_by=pd.Timestamp("2025-01-01"), seed=11)
    features, _, _ = lm._training_set(sample, pd.Timestamp("2025-01-01"))
    np.testing.assert_array_equal(first.predict(features), second.predict(features))


# --- open leads and `workbook score` ------------------------------------------------------------


def _write_data(folder: Path) -> Path:
    """24 April leads (12 became SQL), one rejected, one recycled after rejection, one July lead."""
    folder.mkdir()
    (folder / "workbook.toml").write_text('timezone = "Europe/Berlin"\nas_of = "2026-10-01"\n')
    (folder / "teams.csv").write_text("team,name,region,segment\nnorth,North,EMEA,smb\n")
    leads, events = [], []
    for i in range(1, 26):
        created = T0 + pd.Timedelta(days=i) if i < 25 else pd.Timestamp("2026-09-20 09:00")
        lead = "=1+1" if i == 1 else f"L{i}"
        channel = "webinar" if i % 2 else "email"
        leads.append(f"{lead},{created:%Y-%m-%dT%H:%M:%S},north,{channel},marketing,C1,{i}")

        def at(hours: float, when=created) -> str:
            return f"{when + pd.Timedelta(hours=hours):%Y-%m-%dT%H:%M:%S}"

        events.append(f"{lead},mql,{at(1)},automation,")
        if i <= 12:
            events += [f"{lead},first_touch,{at(2)},sdr,", f"{lead},sql,{at(30)},ae,"]
        elif i == 13:
            events += [f"{lead},first_touch,{at(2)},sdr,", f"{lead},rejected,{at(3)},sdr,no budget"]
        elif i == 14:
            events += [f"{lead},first_touch,{at(2)},sdr,", f"{lead},rejected,{at(3)},sdr,timing"]
            events.append(f"{lead},recycled,{at(50)},sdr,revisit")
    header = "lead_id,created_at,team,channel,source_type,campaign_id,score"
    (folder / "leads.csv").write_text("\n".join([header, *leads]) + "\n")
    (folder / "lead_events.csv").write_text(
        "\n".join(["lead_id,event,at,actor,reason", *events]) + "\n"
    )
    return folder


def test_open_leads_by_hand(tmp_path):
    workbook = Workbook.load(_write_data(tmp_path / "data"))
    # Closed: the 12 SQLs ("=1+1", L2 … L12) and L13 (rejected, never back). L14 was recycled
    # after its rejection, so it is open again; L15 … L25 never went further.
    expected = ["L14", *[f"L{i}" for i in range(15, 26)]]
    assert lm.open_leads(workbook)["lead_id"].tolist() == expected


def test_workbook_score_writes_an_inert_csv_atomically(tmp_path):
    data = _write_data(tmp_path / "data")
    out = tmp_path / "out" / "scores.csv"
    result = CliRunner().invoke(main, ["score", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "12 open lead(s) scored (lead-model-1 trained to 2026-10-01)" in result.output
    written = pd.read_csv(out, dtype=str)
    assert written.columns.tolist() == ["lead_id", "score", "model_version", "model_date"]
    assert written["lead_id"].tolist()[:2] == ["L14", "L15"]
    assert set(written["model_date"]) == {"2026-10-01"}
    scores = written["score"].astype(float)
    assert scores.between(0, 100).all()
    assert [p.name for p in out.parent.iterdir()] == ["scores.csv"]  # no temporary file left
    # Scoring every lead of the data would include "=1+1": such an id is written inert.
    frame = pd.DataFrame({"lead_id": ["=1+1"], "score": [5.0]})
    from helpers.display.inert import spreadsheet_frame

    assert spreadsheet_frame(frame)["lead_id"].tolist() == ["'=1+1"]


def test_workbook_score_refuses_bad_input_with_exit_2_and_writes_nothing(tmp_path):
    out = tmp_path / "scores.csv"
    too_small = CliRunner().invoke(main, ["score", "--data", str(TINY), "--out", str(out)])
    assert too_small.exit_code == 2
    assert "the lead model needs at least 10 training leads that became an SQL" in too_small.output
    assert "Traceback" not in too_small.output and not out.exists()
    not_csv = CliRunner().invoke(main, ["score", "--data", str(TINY), "--out", str(tmp_path)])
    assert not_csv.exit_code == 2 and "is not a .csv file name" in not_csv.output
