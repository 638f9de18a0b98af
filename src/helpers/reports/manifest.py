"""The manifest of a report folder: what was rendered from what, when, and how long it took.

``out_dir/manifest.json`` holds one record per report (``"<quarter>/<team>"``) with the
fingerprints of its inputs (notebook, data files, parameters, helpers code and version), its
status, time of rendering, seconds and the summary the index page lists. The batch runner
skips a report whose inputs have the same fingerprint as its last good render and whose HTML
is still in place, and rewrites the manifest (atomically) after every finished report, so a
run that is killed half-way leaves a manifest true to what is on disk.

The manifest also remembers the teams and quarters of the last data set it saw, keyed by the
data files' hash, so a re-run with nothing changed checks its team and quarter parameters
without loading the data again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data.atomic import write_text_atomically
from ..data.schema import ALL_TEAMS
from ..errors import ParameterError

if TYPE_CHECKING:
    from ..data.dataset import Dataset

MANIFEST_NAME = "manifest.json"
SCHEMA = "alignment-workbook/manifest/v1"


def code_digest() -> str:
    """Version of the helpers package and SHA-256 of its source, as ``"<version>+<hex12>"``.

    An editable install keeps its version number while its code changes; the digest of the
    package's files (code, templates, defaults) makes a code change re-render the reports.
    """
    try:
        release = version("alignment-workbook")
    except PackageNotFoundError:
        release = "unknown"
    digest = hashlib.sha256()
    root = files("helpers")
    for path in sorted(_package_files(root), key=str):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return f"{release}+{digest.hexdigest()[:12]}"


def _package_files(root) -> list:
    found = []
    for entry in root.iterdir():
        if entry.is_dir() and entry.name != "__pycache__":
            found += _package_files(entry)
        elif entry.is_file() and entry.name.endswith((".py", ".toml", ".j2", ".css", ".json")):
            found.append(entry)
    return found


@dataclass(frozen=True)
class DataCatalogue:
    """Teams and quarters of a data set, enough to check report parameters.

    Parameters
    ----------
    digest : str
        :meth:`helpers.data.source.DataSource.digest` of the data source.
    teams : list of str
        Team ids in file order.
    quarters : list of str
        Quarters the data covers, oldest first.
    latest_complete : str or None
        Latest quarter that ended by the as-of date.
    """

    digest: str
    teams: list[str]
    quarters: list[str]
    latest_complete: str | None

    @classmethod
    def of(cls, dataset: Dataset, digest: str) -> DataCatalogue:
        """The catalogue of a loaded data set."""
        complete = [q for q in dataset.quarters if q.end <= dataset.as_of]
        return cls(
            digest=digest,
            teams=list(dataset.teams),
            quarters=[str(q) for q in dataset.quarters],
            latest_complete=str(complete[-1]) if complete else None,
        )

    def check_team(self, team: str) -> str:
        """``team`` if it is a team id of the data or ``all``; else a ParameterError."""
        if team == ALL_TEAMS or team in self.teams:
            return team
        known = ", ".join([ALL_TEAMS, *self.teams])
        raise ParameterError(f"team {team!r} is not in teams.csv; use one of: {known}.")

    def check_quarter(self, quarter: str | None) -> str:
        """``quarter`` if the data covers it; the latest complete one when ``None``."""
        if quarter is None:
            if self.latest_complete is None:
                raise ParameterError(
                    "the data has no complete quarter before its as-of date; pass --quarter."
                )
            return self.latest_complete
        if quarter not in self.quarters:
            raise ParameterError(
                f"quarter {quarter} is not in the data, which covers {self.quarters[0]} to "
                f"{self.quarters[-1]}; pick a quarter in that range."
            )
        return quarter


@dataclass
class Manifest:
    """The records of one report folder (see the module docstring).

    Parameters
    ----------
    path : Path
        ``out_dir/manifest.json``.
    reports : dict
        ``"<quarter>/<team>"`` to its record.
    catalogue : DataCatalogue or None
        Teams and quarters of the data set last rendered from.
    """

    path: Path
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    catalogue: DataCatalogue | None = None

    @classmethod
    def read(cls, out_dir: Path) -> Manifest:
        """The manifest of ``out_dir``; empty when there is none or it is unreadable."""
        path = Path(out_dir) / MANIFEST_NAME
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
            return cls(path)
        catalogue = raw.get("data")
        try:
            catalogue = DataCatalogue(**catalogue) if isinstance(catalogue, dict) else None
        except TypeError:
            catalogue = None
        reports = raw.get("reports")
        return cls(path, reports if isinstance(reports, dict) else {}, catalogue)

    def write(self) -> None:
        """Write the manifest atomically."""
        document = {
            "schema": SCHEMA,
            "updated_at": now_utc(),
            "data": None if self.catalogue is None else self.catalogue.__dict__,
            "reports": dict(sorted(self.reports.items())),
        }
        write_text_atomically(self.path, json.dumps(document, indent=2, ensure_ascii=False))

    def is_current(self, key: str, inputs_digest: str, html_path: Path) -> bool:
        """Whether ``key`` was last rendered well from these inputs and its HTML is unchanged."""
        record = self.reports.get(key)
        if not record or record.get("status") != "ok":
            return False
        if record.get("inputs_digest") != inputs_digest:
            return False
        try:
            stat = html_path.stat()
        except OSError:
            return False
        return record.get("html_bytes") == stat.st_size


def inputs_digest(inputs: dict[str, Any]) -> str:
    """SHA-256 of a report's inputs (a JSON-able dict), in hex."""
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def now_utc() -> str:
    """The current time in UTC, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
