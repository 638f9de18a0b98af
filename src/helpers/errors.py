"""The project's exceptions: one small hierarchy whose errors carry fields, not only text."""

from __future__ import annotations

from dataclasses import dataclass, field


class WorkbookError(Exception):
    """Base class of every error the workbook raises on purpose.

    The CLI prints these as short messages and exits non-zero; anything else is a bug and
    shows a traceback only with ``--debug``.
    """

    exit_code = 1


class ConfigError(WorkbookError):
    """``workbook.toml`` is unreadable or holds a value of the wrong kind."""

    exit_code = 2


class ParameterError(WorkbookError):
    """A team, quarter or other parameter is malformed or unknown in the data."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One validation finding: what is wrong, where, and how to fix it.

    Parameters
    ----------
    file : str
        File name as the user knows it (``leads.csv``).
    column : str or None
        Column concerned, ``None`` for whole-file problems.
    message : str
        What is wrong, including what was received.
    fix : str
        How to fix it.
    rows : tuple of int
        Line numbers as the user sees them in the file (header is line 1); for Parquet the
        1-based row number. At most ten are kept; ``n_rows`` counts them all.
    n_rows : int
        Number of offending rows in total.
    severity : str
        ``"error"`` stops the load; ``"warning"`` is reported as a data-quality anomaly.
    unit : str
        What ``rows`` count: ``"line"`` in a CSV file, ``"row"`` in a Parquet file.
    """

    file: str
    column: str | None
    message: str
    fix: str
    rows: tuple[int, ...] = ()
    n_rows: int = 0
    severity: str = "error"
    unit: str = "line"

    def __str__(self) -> str:
        where = self.file if self.column is None else f"{self.file}, column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = (
                f" and {self.n_rows - len(self.rows)} more" if self.n_rows > len(self.rows) else ""
            )
            unit = self.unit if self.n_rows == 1 else f"{self.unit}s"
            text += f" ({unit} {shown}{more})"
        return f"{text}. Fix: {self.fix}"


@dataclass
class DataValidationError(WorkbookError):
    """A data directory failed validation; ``problems`` lists every finding."""

    directory: str
    problems: list[Problem] = field(default_factory=list)
    exit_code = 2

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{self.directory}: {len(errors)} problem(s) found"
        return "\n".join([head, *(f"- {p}" for p in errors)])


class MappingError(WorkbookError):
    """A mapping file for ``workbook import`` is unreadable or asks for something impossible.

    The message names the mapping file and the key, and says how to fix it.
    """

    exit_code = 2


class RenderError(WorkbookError):
    """A report failed to render; carries the failing cell and the kept notebook."""

    def __init__(self, message: str, *, cell: int | None = None, notebook: str | None = None):
        super().__init__(message)
        self.cell = cell
        self.notebook = notebook


class SchedulerError(WorkbookError):
    """``--scheduler`` cannot be used: no dask, no scheduler there, or lost (`SchedulerLost`).

    Parameters
    ----------
    message : str
        What went wrong and how to fix it.
    address : str
        The scheduler's address as given.
    """

    exit_code = 2

    def __init__(self, message: str, *, address: str = ""):
        super().__init__(message)
        self.address = address


class SchedulerLost(SchedulerError):
    """The connection to the scheduler was lost while reports were rendering.

    Parameters
    ----------
    address : str
        The scheduler's address.
    rendered, failed, not_rendered : list of str
        Manifest keys (``"<quarter>/<team>"``) of the reports of this run that landed in the
        report folder, that failed before the loss (both recorded in the manifest), and
        that were not rendered (no new record, previous HTML untouched).
    cause : str
        What the client saw, in one line; empty when it only knows the connection closed.
    """

    def __init__(
        self,
        address: str,
        *,
        rendered: list[str],
        failed: list[str],
        not_rendered: list[str],
        cause: str,
    ):
        self.rendered = rendered
        self.failed = failed
        self.not_rendered = not_rendered
        self.cause = cause
        total = len(rendered) + len(failed) + len(not_rendered)
        why = f" ({cause})" if cause else ""
        super().__init__(
            f"lost the connection to the Dask scheduler at {address!r} while rendering{why}: "
            f"of {total} report(s), {len(rendered)} rendered{_keys(rendered)}, "
            f"{len(failed)} failed{_keys(failed)} and {len(not_rendered)} not rendered"
            f"{_keys(not_rendered)}; the rendered and failed ones are recorded in the "
            "manifest, the others are left as they were (previous HTML, if any, untouched). "
            "Run the same command again once the scheduler is back: reports up to date are "
            "skipped.",
            address=address,
        )


def _keys(keys: list[str], shown: int = 5) -> str:
    """`` (a, b, c and 2 more)``: report keys for a one-line message; empty for none."""
    if not keys:
        return ""
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return f" ({', '.join(keys[:shown])}{more})"


class DatabaseError(ParameterError):
    """The database cannot be reached or read; the message shows the URL masked.

    Parameters
    ----------
    message : str
        What failed, where (the masked URL) and how to fix it.
    where : str
        The masked URL (and schema) concerned.
    """

    def __init__(self, message: str, *, where: str = ""):
        super().__init__(message)
        self.where = where


class DeliveryError(WorkbookError):
    """The reports cannot be mailed at all: delivery not set up, no password, login refused.

    Raised before any mail is sent, or when the server refuses the whole run (a wrong
    password); a refusal of one recipient is not an error but a failed delivery, reported with
    the others.
    """

    exit_code = 2


class DeliveryBusy(WorkbookError):
    """Another ``workbook send`` is mailing from the same report folder; try again later."""

    exit_code = 3
