"""Cost per lead, cost per MQL and ROI joined by channel; literal inputs, expected by hand."""

from __future__ import annotations

import math

import pandas as pd

from helpers.metrics.efficiency import by_channel

NAN = math.nan

# paid_search has spend 600, 4 leads, 2 MQLs and 1200 marketing-sourced won revenue;
# outbound has leads but no marketing spend; webinar has spend but no MQL and no revenue;
# a won deal without a lead sits in "(no lead)".
CPL = pd.DataFrame(
    {
        "channel": ["outbound", "paid_search", "webinar", "total"],
        "spend": [NAN, 600.0, 400.0, 1000.0],
        "leads": [2, 4, 1, 7],
        "cost_per_lead": [NAN, 150.0, 400.0, 1000 / 7],
    }
)
CPM = pd.DataFrame(
    {
        "channel": ["paid_search", "webinar", "total"],
        "spend": [600.0, 400.0, 1000.0],
        "mqls": [2, 0, 2],
        "cost_per_mql": [300.0, NAN, 500.0],
    }
)
ROI = pd.DataFrame(
    {
        "channel": ["paid_search", "webinar", "(no lead)", "total"],
        "won_revenue": [1200.0, 0.0, 300.0, 1500.0],
        "spend": [600.0, 400.0, NAN, 1000.0],
        "roi": [1.0, -1.0, NAN, 0.5],
    }
)


def test_by_channel_joins_the_three_tables():
    expected = pd.DataFrame(
        {
            "channel": ["outbound", "paid_search", "webinar", "(no lead)", "total"],
            "spend": [NAN, 600.0, 400.0, NAN, 1000.0],
            "leads": [2, 4, 1, 0, 7],
            "cost_per_lead": [NAN, 150.0, 400.0, NAN, 1000 / 7],
            "mqls": [0, 2, 0, 0, 2],
            "cost_per_mql": [NAN, 300.0, NAN, NAN, 500.0],
            "won_revenue": [0.0, 1200.0, 0.0, 300.0, 1500.0],
            "roi": [NAN, 1.0, -1.0, NAN, 0.5],
        }
    )
    pd.testing.assert_frame_equal(by_channel(CPL, CPM, ROI), expected)


def test_spend_comes_from_any_table_that_knows_it():
    cpl = CPL[CPL["channel"] != "webinar"]
    out = by_channel(cpl, CPM, ROI).set_index("channel")
    assert out.loc["webinar", "spend"] == 400.0
    assert out.loc["webinar", "leads"] == 0
