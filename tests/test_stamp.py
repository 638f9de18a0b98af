"""The reproducibility stamp shows parameters, fingerprint, versions and time; never a path."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest
from conftest import TINY

from helpers import Workbook
from helpers.reports.stamp import folder_name, package_versions, reproducibility_stamp, stamp


@pytest.mark.parametrize(
    ("data_dir", "expected"),
    [
        ("/srv/crm/exports/sample", "sample"),
        ("/srv/crm/exports/sample/", "sample"),
        ("../../data/sample", "sample"),
        (r"C:\Users\ana\data\q3", "q3"),
        ("sample", "sample"),
    ],
    ids=["absolute", "trailing-slash", "relative", "windows", "bare"],
)
def test_folder_name_is_the_last_component_only(data_dir, expected):
    assert folder_name(data_dir) == expected


def test_stamp_rows_with_fixed_time_and_versions():
    rendered = datetime(2026, 10, 2, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    table = reproducibility_stamp(
        team="north",
        quarter="2026Q3",
        data_dir="/home/ana/secret/crm/tiny",
        fingerprint="0123456789abcdef",
        rendered_at=rendered,
        versions={"python": "3.11.7", "pandas": "2.2.3"},
    )
    expected = pd.DataFrame(
        {
            "item": [
                "team",
                "quarter",
                "data folder",
                "data fingerprint (SHA-256)",
                "python version",
                "pandas version",
                "rendered at (UTC)",
            ],
            "value": [
                "north",
                "2026Q3",
                "tiny",
                "0123456789abcdef",
                "3.11.7",
                "2.2.3",
                "2026-10-02 07:30:00 UTC",  # 09:30 at UTC+2
            ],
        }
    )
    pd.testing.assert_frame_equal(table, expected)


def test_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        reproducibility_stamp(
            team="a", quarter="2026Q3", data_dir="d", fingerprint="f", rendered_at=datetime.now()
        )


def test_versions_cover_python_helpers_and_the_report_packages():
    versions = package_versions()
    assert list(versions) == [
        "python",
        "helpers",
        "pandas",
        "seaborn",
        "matplotlib",
        "papermill",
        "nbconvert",
    ]
    assert versions["pandas"] == pd.__version__
    assert package_versions(("no-such-package-xyz",))["no-such-package-xyz"] == "not installed"


def test_stamp_of_a_view_never_contains_the_absolute_data_path(tmp_path):
    data = tmp_path / "private-exports" / "tiny-copy"
    shutil.copytree(TINY, data)
    view = Workbook.load(str(data.resolve())).view("north", "2026Q3")
    table = stamp(view, rendered_at=datetime(2026, 10, 2, tzinfo=UTC))
    text = " ".join(table["value"])
    assert str(tmp_path) not in text and "private-exports" not in text
    assert "/" not in text and "\\" not in text
    values = dict(zip(table["item"], table["value"], strict=True))
    assert values["data folder"] == "tiny-copy"
    assert values["team"] == "north" and values["quarter"] == "2026Q3"
    assert values["data fingerprint (SHA-256)"] == view.workbook.dataset.fingerprint()
    assert len(values["data fingerprint (SHA-256)"]) == 16
