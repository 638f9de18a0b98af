"""The reproducibility stamp at the foot of a report: what was rendered, from what, with what.

Parameters (team, quarter and the *name* of the data folder: never a path, which would
disclose the machine's directory layout in a shared report), the data fingerprint, the
versions of Python and of the packages that made the page, and the time of rendering in UTC.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..analysis.workbook import TeamQuarter

DISTRIBUTION = "alignment-workbook"
"""The distribution that installs the ``helpers`` package."""
PACKAGES = ("pandas", "seaborn", "matplotlib", "papermill", "nbconvert")


def folder_name(data_dir: str | PathLike) -> str:
    r"""The last component of ``data_dir``, whatever the separators; never a path.

    ``.``, ``..`` or an empty last component are resolved first, so the name is still a
    folder's name, not a path.

    Examples
    --------
    >>> folder_name("/srv/crm/exports/2026-10/"), folder_name(r"C:\data\sample")
    ('2026-10', 'sample')
    """
    text = str(data_dir)
    name = re.split(r"[\\/]+", text.rstrip("\\/"))[-1] if text.strip("\\/") else ""
    if name in ("", ".", ".."):
        name = Path(text).resolve().name
    return name


def package_versions(packages: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Versions of Python, the helpers and ``packages`` (``not installed`` when absent).

    Read from the installed distributions' metadata, so nothing is imported.
    """
    versions = {"python": platform.python_version()}
    for label, distribution in (("helpers", DISTRIBUTION), *((p, p) for p in packages)):
        try:
            versions[label] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[label] = "not installed"
    return versions


def reproducibility_stamp(
    *,
    team: str,
    quarter: str,
    data_dir: str | PathLike,
    fingerprint: str,
    rendered_at: datetime | None = None,
    versions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The stamp as a two-column table.

    Parameters
    ----------
    team, quarter : str
        The report's parameters (after validation).
    data_dir : str or PathLike
        The data directory; only its folder name is shown (:func:`folder_name`).
    fingerprint : str
        :meth:`helpers.data.dataset.Dataset.fingerprint` of the data read.
    rendered_at : datetime, optional
        Time of rendering; now by default. Shown in UTC.
    versions : dict of str, optional
        Name → version; :func:`package_versions` by default.

    Returns
    -------
    DataFrame
        Columns item, value: team, quarter, data folder, data fingerprint, one row per
        version (``<name> version``), rendered at (UTC).
    """
    when = rendered_at if rendered_at is not None else datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("rendered_at must be timezone-aware (e.g. datetime.now(UTC)).")
    versions = package_versions() if versions is None else versions
    rows = [
        ("team", str(team)),
        ("quarter", str(quarter)),
        ("data folder", folder_name(data_dir)),
        ("data fingerprint (SHA-256)", str(fingerprint)),
        *((f"{name} version", str(version)) for name, version in versions.items()),
        ("rendered at (UTC)", when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def stamp(view: TeamQuarter, *, rendered_at: datetime | None = None) -> pd.DataFrame:
    """:func:`reproducibility_stamp` of a report's view (its data set's folder and fingerprint)."""
    dataset = view.workbook.dataset
    return reproducibility_stamp(
        team=view.team,
        quarter=str(view.quarter),
        data_dir=dataset.directory,
        fingerprint=dataset.fingerprint(),
        rendered_at=rendered_at,
    )
