"""Lead-score audit: AUC with DeLong interval, deciles (lift, gains), calibration, the audit.

Every expected value is worked out by hand in the comments (or, for the hand-made data set,
by counting pairs, independently of the rank formula the code uses).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import audit_lead_score
from helpers.analysis.workbook import Workbook
from helpers.errors import ParameterError
from helpers.prediction.score_audit import (
    MIN_CLASS,
    auc_interval,
    decile_table,
    is_probability,
    reliability_table,
    score_deciles,
    score_separation,
)

# --- AUC and its DeLong interval ---------------------------------------------------------------


def test_auc_counts_pairs_with_ties_as_half_and_delong_se_by_hand():
    # Converted 0.9, 0.7, 0.5; others 0.8, 0.5, 0.1. Pairs won by the converted lead:
    # 0.9: 3; 0.7: 2 (beats 0.5, 0.1); 0.5: 1 + ½ (tie with 0.5) → 6.5 of 9.
    auc, se, low, high = auc_interval([1, 1, 1, 0, 0, 0], [0.9, 0.7, 0.5, 0.8, 0.5, 0.1])
    assert auc == pytest.approx(6.5 / 9)
    # V10 = (1, 2/3, 1/2): S10 = [(5/18)² + (1/18)² + (4/18)²] / 2 = 7/108.
    # V01 = (1/3, 5/6, 1):  S01 = [(7/18)² + (2/18)² + (5/18)²] / 2 = 13/108.
    # Var = 7/108 / 3 + 13/108 / 3 = 5/81 → se = √5 / 9.
    assert se == pytest.approx(math.sqrt(5) / 9)
    assert low == pytest.approx(6.5 / 9 - 1.959963984540054 * math.sqrt(5) / 9)
    assert high == 1.0  # 0.722 + 0.487 clipped to 1


def test_auc_is_one_for_a_perfect_score_and_one_half_for_a_constant():
    assert auc_interval([1, 1, 0, 0], [4, 3, 2, 1])[0] == 1.0
    assert auc_interval([1, 0, 1, 0], [7, 7, 7, 7])[0] == 0.5


def test_auc_is_nan_without_both_outcomes_and_has_no_interval_with_one_lead_a_side():
    assert all(math.isnan(v) for v in auc_interval([1, 1], [0.2, 0.3]))
    auc, se, low, high = auc_interval([1, 0], [0.9, 0.1])
    assert auc == 1.0 and math.isnan(se) and math.isnan(low) and math.isnan(high)


def test_scores_and_outcomes_must_pair_up_and_scores_must_be_present():
    with pytest.raises(ValueError, match="one outcome per score; received 2 outcome"):
        auc_interval([1, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="must not be missing"):
        auc_interval([1, 0], [0.1, float("nan")])


# --- deciles, lift and gains -------------------------------------------------------------------


def test_deciles_by_average_rank_put_ties_together():
    # Ranks from the top: the two 9s share rank 1.5 → ceil(10·1.5/4) = 4; 5 has rank 3 →
    # ceil(7.5) = 8; 1 has rank 4 → 10.
    assert score_deciles([5.0, 9.0, 1.0, 9.0]).tolist() == [8, 4, 10, 4]


def test_decile_table_lift_and_gains_by_hand():
    # 20 leads scored 20 … 1, two per decile; converted: 20, 19, 18, 15, 12, 5 (6 of 20, 30 %).
    scores = np.arange(20, 0, -1, dtype=float)
    y = np.isin(scores, [20, 19, 18, 15, 12, 5])
    table = decile_table(y, scores)
    assert table["decile"].tolist() == list(range(1, 11))
    assert table["leads"].tolist() == [2] * 10
    assert table["converted"].tolist() == [2, 1, 1, 0, 1, 0, 0, 1, 0, 0]
    assert table["rate"].tolist() == [1.0, 0.5, 0.5, 0.0, 0.5, 0.0, 0.0, 0.5, 0.0, 0.0]
    # lift = decile rate / 0.3
    assert table["lift"].tolist() == pytest.approx(
        [1 / 0.3, 0.5 / 0.3, 0.5 / 0.3, 0, 0.5 / 0.3, 0, 0, 0.5 / 0.3, 0, 0]
    )
    # gains: converted found so far / 6
    assert table["gains"].tolist() == pytest.approx(
        [2 / 6, 3 / 6, 4 / 6, 4 / 6, 5 / 6, 5 / 6, 5 / 6, 1, 1, 1]
    )
    assert table["cum_leads_share"].tolist() == pytest.approx([k / 10 for k in range(1, 11)])
    # cumulative lift after two deciles: (3/6) / 0.2 = 2.5
    assert table["cum_lift"].iloc[1] == pytest.approx(2.5)
    assert table[["score_min", "score_max"]].iloc[0].tolist() == [19.0, 20.0]
    # Wilson interval of 2/2: upper bound exactly 1
    assert table["ci_high"].iloc[0] == 1.0


# --- calibration -------------------------------------------------------------------------------


def test_reliability_and_brier_by_hand():
    p = [0.05, 0.15, 0.15, 0.85, 0.95]
    y = [0, 0, 1, 1, 1]
    table, brier = reliability_table(y, p)
    # Bins [0, .1): 0.05; [.1, .2): 0.15, 0.15 (1 of 2 converted); [.8, .9): 0.85; [.9, 1]: 0.95.
    assert table["bin_low"].tolist() == pytest.approx([0.0, 0.1, 0.8, 0.9])
    assert table["leads"].tolist() == [1, 2, 1, 1]
    assert table["observed"].tolist() == [0.0, 0.5, 1.0, 1.0]
    assert table["mean_predicted"].tolist() == pytest.approx([0.05, 0.15, 0.85, 0.95])
    # Brier = (0.05² + 0.15² + 0.85² + 0.15² + 0.05²) / 5 = 0.7725 / 5
    assert brier == pytest.approx(0.1545)


def test_a_probability_of_one_lands_in_the_last_bin_and_scores_above_one_are_refused():
    table, brier = reliability_table([1, 0], [1.0, 0.0])
    assert table["bin_high"].tolist() == pytest.approx([0.1, 1.0]) and brier == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reliability_table([1, 0], [55.0, 20.0])
    assert is_probability([0.0, 0.4, 1.0]) and not is_probability([0.2, 42.0])


def test_separation_reads_a_probability_score_with_brier_and_a_points_score_without():
    rng = np.random.default_rng(20260701)
    y = np.arange(100) < 30
    p = np.where(y, rng.uniform(0.3, 1.0, 100), rng.uniform(0.0, 0.7, 100))
    as_probability = score_separation(y, p)
    assert as_probability.probability and as_probability.brier is not None
    as_points = score_separation(y, p * 100)
    assert not as_points.probability and as_points.brier is None
    assert as_points.reliability is None
    # Same ranking → same AUC and deciles, whatever the scale.
    assert as_points.auc == pytest.approx(as_probability.auc)


def test_too_few_converted_leads_is_one_line_not_a_figure():
    y = np.arange(50) < MIN_CLASS - 1
    result = score_separation(y, np.arange(50.0), what="scored leads", outcome="became an SQL")
    assert result.auc is None and result.deciles is None
    assert result.note == (
        f"Not in this data: only {MIN_CLASS - 1} of the 50 scored leads became an SQL; the audit "
        f"needs at least {MIN_CLASS} leads on each side."
    )
    assert result.figures()["auc"] is None


# --- the audit of a hand-made data set ---------------------------------------------------------

# 24 leads of team north created in April 2026 (2026Q2), scored 1 … 24, plus one without a
# score and one created in July (another quarter). Converted (SQL): these scores.
CONVERTED = {22, 21, 20, 17, 15, 13, 12, 10, 8, 6, 3, 1}


def _write_data(folder: Path, *, with_score: bool = True) -> Path:
    folder.mkdir()
    (folder / "workbook.toml").write_text('timezone = "Europe/Berlin"\nas_of = "2026-10-01"\n')
    (folder / "teams.csv").write_text("team,name,region,segment\nnorth,North,EMEA,smb\n")
    leads, events = [], []
    for i in range(1, 27):
        created = pd.Timestamp("2026-04-01 09:00") + pd.Timedelta(days=i)
        if i == 26:
            created = pd.Timestamp("2026-07-02 09:00")
        score = "" if i == 25 else str(i)
        leads.append(f"L{i},{created:%Y-%m-%dT%H:%M:%S},north,webinar,marketing,C1,{score}")

        def at(hours: int, when=created) -> str:
            return f"{when + pd.Timedelta(hours=hours):%Y-%m-%dT%H:%M:%S}"

        events.append(f"L{i},mql,{at(1)},automation,")
        if i in CONVERTED:
            events += [f"L{i},first_touch,{at(2)},sdr,", f"L{i},accepted,{at(3)},sdr,"]
            events.append(f"L{i},sql,{at(24)},ae,")
        elif i == 24:  # the top score: touched and rejected
            events += [f"L{i},first_touch,{at(2)},sdr,", f"L{i},rejected,{at(3)},sdr,no budget"]
        elif i % 2 == 0:
            events.append(f"L{i},first_touch,{at(2)},sdr,")
        # odd scores not converted and 23 (the second-highest) are never touched
    header = "lead_id,created_at,team,channel,source_type,campaign_id,score"
    if not with_score:
        header = header.rsplit(",", 1)[0]
        leads = [row.rsplit(",", 1)[0] for row in leads]
    (folder / "leads.csv").write_text("\n".join([header, *leads]) + "\n")
    (folder / "lead_events.csv").write_text(
        "\n".join(["lead_id,event,at,actor,reason", *events]) + "\n"
    )
    return folder


def test_audit_of_a_hand_made_quarter(tmp_path):
    workbook = Workbook.load(_write_data(tmp_path / "data"))
    audit = audit_lead_score(workbook.view("north", "2026Q2"))
    assert audit.note is None
    assert (audit.leads, audit.unscored) == (25, 1)
    assert audit.cohort_age_days == 92  # 2026-07-01 → 2026-10-01
    separation = audit.separation
    assert (separation.leads, separation.converted) == (24, 12)
    # AUC by counting pairs: for each converted score, the non-converted scores below it.
    others = [s for s in range(1, 25) if s not in CONVERTED]
    pairs = sum(sum(o < c for o in others) for c in CONVERTED)
    assert separation.auc == pytest.approx(pairs / (12 * 12))
    assert not separation.probability and separation.brier is None
    # Top decile: ranks 1 and 2 (ceil(10·2/24) = 1, ceil(10·3/24) = 2) → scores 24 and 23.
    assert audit.threshold == 23.0
    assert separation.deciles["converted"].iloc[0] == 0
    # Both are MQLs: 24 was rejected, 23 never touched.
    rejected = audit.high_score_mqls["rejected"]
    untouched = audit.high_score_mqls["never_touched"]
    assert (rejected.numerator, rejected.denominator) == (1, 2)
    assert (untouched.numerator, untouched.denominator) == (1, 2)
    figures = dict(zip(audit.summary()["figure"], audit.summary()["value"], strict=True))
    assert figures["High-score MQLs rejected by sales"] == 0.5
    as_json = audit.to_dict()
    assert as_json["separation"]["auc"] == pytest.approx(pairs / 144)
    assert as_json["high_score_mqls"]["never_touched"] == {
        "numerator": 1,
        "denominator": 2,
        "rate": 0.5,
    }


def test_audit_says_what_the_data_lacks(tmp_path):
    workbook = Workbook.load(_write_data(tmp_path / "data"))
    won = audit_lead_score(workbook.view("north", "2026Q2"), "won")
    assert won.note == (
        "Not in this data: no opportunities table, so the score cannot be audited against "
        "leads that were won."
    )
    assert won.to_dict()["separation"] is None
    unscored = Workbook.load(_write_data(tmp_path / "plain", with_score=False))
    audit = audit_lead_score(unscored.view("north", "2026Q2"))
    assert audit.note == (
        "Not in this data: leads have no score column (or every score is empty), so no "
        "lead-score audit."
    )
    # A quarter with a single scored lead: too few on each side.
    q3 = audit_lead_score(workbook.view("north", "2026Q3"))
    assert q3.separation.note.startswith("Not in this data: only 0 of the 1 scored leads")
    with pytest.raises(ParameterError, match="outcome 'mql' is not one the audit knows"):
        audit_lead_score(workbook.view("north", "2026Q2"), "mql")


# --- charts (artists, not pixels) --------------------------------------------------------------


def test_charts_draw_one_bar_per_decile_one_line_per_score_and_say_when_empty():
    import matplotlib.pyplot as plt

    from helpers.display import prediction_plots

    scores = np.arange(20, 0, -1, dtype=float)
    table = decile_table(np.isin(scores, [20, 19, 18, 15, 12, 5]), scores)
    fig, (a, b, c) = plt.subplots(1, 3)
    prediction_plots.decile_conversion(table, overall=0.3, ax=a)
    assert [round(p.get_height(), 3) for p in a.patches] == table["rate"].round(3).tolist()
    assert a.get_legend().get_texts()[0].get_text() == "all leads 30.0%"
    stacked = pd.concat([table.assign(score="CRM $score$"), table.assign(score="model")])
    prediction_plots.gains_curve(stacked, hue="score", ax=b)
    labels = [t.get_text() for t in b.get_legend().get_texts()]
    assert labels == ["CRM $score$", "model", "random order"]
    first = b.get_lines()[0]
    assert first.get_xdata()[0] == 0.0 and first.get_ydata()[-1] == pytest.approx(1.0)
    prediction_plots.reliability_curve(table.iloc[:0], ax=c)
    assert not c.axison and c.texts[0].get_text() == "No probabilities to draw."


# --- the report section ------------------------------------------------------------------------


def _shown(monkeypatch) -> list:
    """Collect what the section displays (HTML notes, tables with their export names, figures)."""
    shown: list = []

    def collect(obj, raw: bool = False):
        shown.append(obj)

    monkeypatch.setattr("IPython.display.display", collect)
    return shown


def test_report_section_shows_the_audit_and_says_what_is_missing(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from helpers.reports.outputs import TABLE_MIME
    from helpers.reports.prediction_section import show_lead_scoring

    workbook = Workbook.load(_write_data(tmp_path / "data"))
    shown = _shown(monkeypatch)
    show_lead_scoring(workbook.view("north", "2026Q2"))
    tables = [o[TABLE_MIME]["name"] for o in shown if isinstance(o, dict) and TABLE_MIME in o]
    assert tables == ["score_audit", "score_deciles"]
    assert sum(isinstance(o, Figure) for o in shown) == 1
    notes = [o.data for o in shown if hasattr(o, "data")]
    assert any("Not in this data: no opportunities table" in n for n in notes)  # vs won deals

    shown.clear()
    show_lead_scoring(workbook.view("all", "2026Q2"))
    notes = [o.data for o in shown if hasattr(o, "data")]
    # The company report adds the trained model: with no lead before 2026Q2, it says so.
    assert any("before 2026Q2 only 0 of 0 leads with a known 30-day outcome" in n for n in notes)

    plain = Workbook.load(_write_data(tmp_path / "plain", with_score=False))
    shown.clear()
    show_lead_scoring(plain.view("north", "2026Q2"))
    assert len(shown) == 1 and "leads have no score column" in shown[0].data
