"""The index page of a report folder: every report by quarter and team, and what failed.

The page is one self-contained HTML file (inline CSS, no script, no external resource) with
links relative to the folder, so it keeps working when the folder is copied or served
elsewhere. Layout of the folder::

    out_dir/index.html
    out_dir/manifest.json                    (what was rendered from what; see manifest)
    out_dir/<quarter>/<team>.html
    out_dir/<quarter>/<team>.tables/ or .xlsx (exports, when asked for)
    out_dir/<quarter>/_failed/<team>.ipynb   (and <team>.log, the kernel's stderr)

Each report's row names its team as the teams table does (the id beside it) and shows its
alignment index and how many headline KPIs are green, amber and red against target, as the
report published them (``report_outputs.publish_summary``), each count with the shape of
its status (● ▲ ■, as on the report's tiles) so it reads without colour. On a phone (600 px
and narrower) each row becomes a card, every figure named.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..data.atomic import write_text_atomically
from ..data.schema import ALL_TEAMS, COMPANY_NAME, is_report_name, team_id_problem
from ..display.rag import RAG_COLOURS, RAG_MARKS, RAG_WORDS

if TYPE_CHECKING:
    from .jobs import ReportOutcome

INDEX_NAME = "index.html"
"""Team id of the company roll-up, listed first within a quarter."""


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
p.summary { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #eaeef2;
         vertical-align: top; }
th { font-weight: 600; color: #57606a; }
.ok { color: #1a7f37; }
.earlier { color: #57606a; }
.failed { color: #cf222e; font-weight: 600; }
.error { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
         font-size: 0.85rem; white-space: pre-wrap; word-break: break-word; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.rag { display: inline-block; min-width: 1.6em; padding: 0 0.3em; margin: 0 0.2em 0.2em 0;
       border-radius: 3px; color: #fff; text-align: center; font-size: 0.85rem;
       white-space: nowrap; }
small.partial { color: #9a6700; font-weight: 600; }
small.id { color: #57606a; font-weight: 400; }
.wrap { max-width: 100%; overflow-x: auto; }
@media (max-width: 600px) {
  body { margin: 1rem auto; padding: 0 0.5rem; }
  .error { word-break: normal; overflow-wrap: anywhere; }  /* a long word only where it must */
  /* Each row a card: the first cell its heading, every other figure named by its column. */
  table.cards thead { display: none; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; }
  table.cards tr { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 0.6rem;
                   padding: 0.4rem 0.6rem; }
  table.cards td { border: 0; padding: 0.1rem 0; text-align: left; }
  table.cards td:first-child { font-weight: 600; }
  table.cards td:empty { display: none; }
  table.cards td[data-label]::before { content: attr(data-label) ": "; color: #57606a; }
}
@media print { .wrap { overflow: visible; } }
"""
_CSS += "".join(
    f".rag-{level} {{ background: {colour}; }}\n" for level, colour in RAG_COLOURS.items()
)
_CSS += ".rag-amber { color: #000; }\n"
_STATUS_TEXT = {
    "ok": ("ok", "rendered"),
    "current": ("ok", "up to date"),
    "earlier": ("earlier", "from an earlier run"),
}


@dataclass
class _Entry:
    """One row of the index."""

    quarter: str
    team: str
    status: str  # "ok" (rendered now), "current" (up to date), "earlier" or "failed"
    report: str | None = None  # relative href of the HTML report on disk
    failed_notebook: str | None = None  # relative href of the kept failed notebook
    failed_log: str | None = None  # relative href of the kept kernel stderr
    error: str | None = None
    cell: int | None = None
    seconds: float | None = None
    summary: dict | None = None  # alignment index and RAG counts the report published
    rendered_at: str | None = None
    export: str | None = None  # relative href of the exported tables


def team_label(team: str) -> str:
    """Name a team as the index and report titles show it.

    Parameters
    ----------
    team : str
        Team id, or ``"all"`` for the company roll-up.

    Returns
    -------
    str
        ``"All teams (company)"`` for ``"all"``, else the id itself.

    Examples
    --------
    >>> team_label("all"), team_label("emea-ent")
    ('All teams (company)', 'emea-ent')
    """
    return COMPANY_NAME if team == ALL_TEAMS else team


def write_index(
    out_dir: Path, outcomes: list[ReportOutcome], records: dict[str, dict] | None = None
) -> Path:
    """Write ``out_dir/index.html`` listing every report in the folder.

    Rows come from, later ones winning: the reports on disk (``<quarter>/<team>.html``), the
    manifest ``records`` (status, alignment index, RAG counts, time of rendering, error) and
    this run's ``outcomes``. A failed report shows its error message, the failing cell, a
    link to the kept failed notebook and, when one exists, a link to the previous good
    report left in place. Every string is HTML-escaped; every link is relative to
    ``out_dir``. The file is written atomically.

    Parameters
    ----------
    out_dir : Path
        The report folder.
    outcomes : list of ReportOutcome
        Outcomes of the run that just finished (may be empty).
    records : dict, optional
        Manifest records, ``"<quarter>/<team>"`` to record (see ``manifest``).

    Returns
    -------
    Path
        Path of the index file.

    Raises
    ------
    RenderError
        When the index cannot be written.
    """
    out_dir = Path(out_dir)
    entries = _entries_on_disk(out_dir)
    root = out_dir.resolve()
    for record in (records or {}).values():
        entry = _entry_of_record(root, record)
        if entry is not None:
            entries[(entry.quarter, entry.team)] = entry
    for outcome in outcomes:
        previous = entries.get((outcome.quarter, outcome.team))
        report = _relative_href(root, outcome.html_path) if outcome.ok else None
        if outcome.ok:
            status = "current" if outcome.skipped else "ok"
        else:
            status = "failed"
        entries[(outcome.quarter, outcome.team)] = _Entry(
            quarter=outcome.quarter,
            team=outcome.team,
            status=status,
            report=report or (previous.report if previous else None),
            failed_notebook=_relative_href(root, outcome.failed_notebook),
            failed_log=_relative_href(
                root,
                outcome.failed_notebook.with_suffix(".log") if outcome.failed_notebook else None,
            ),
            error=outcome.error,
            cell=outcome.cell,
            seconds=(previous.seconds if previous else None)
            if outcome.skipped
            else outcome.seconds,
            summary=outcome.summary or (previous.summary if previous else None),
            rendered_at=previous.rendered_at if previous else None,
            export=_relative_href(root, outcome.export, directories=True),
        )
    path = out_dir / INDEX_NAME
    n_run = sum(not getattr(outcome, "skipped", False) for outcome in outcomes)
    page = _page(list(entries.values()), n_run=n_run, workshops=_workshop_sessions(out_dir))
    write_text_atomically(path, page)
    return path


def _entry_of_record(root: Path, record: dict) -> _Entry | None:
    """The index row of a manifest record, or ``None`` when it names no safe report."""
    quarter, team = str(record.get("quarter", "")), str(record.get("team", ""))
    if not is_report_name(quarter, team):
        return None
    failed = record.get("status") == "failed"
    notebook = record.get("failed_notebook")
    return _Entry(
        quarter=quarter,
        team=team,
        status="failed" if failed else "earlier",
        report=_relative_href(root, root / f"{quarter}/{team}.html"),
        failed_notebook=_relative_href(root, root / notebook) if notebook else None,
        failed_log=_relative_href(root, (root / notebook).with_suffix(".log"))
        if notebook
        else None,
        error=record.get("error") if failed else None,
        cell=record.get("cell") if failed else None,
        summary=record.get("summary") if isinstance(record.get("summary"), dict) else None,
        rendered_at=record.get("rendered_at"),
        seconds=record.get("seconds") if isinstance(record.get("seconds"), int | float) else None,
        export=_relative_href(root, root / record["export"], directories=True)
        if record.get("export")
        else None,
    )


def _entries_on_disk(out_dir: Path) -> dict[tuple[str, str], _Entry]:
    """Reports already in the folder, keyed by (quarter, team)."""
    entries = {}
    if not out_dir.is_dir():
        return entries
    for report in out_dir.glob("*/*.html"):
        quarter, team = report.parent.name, report.stem
        if is_report_name(quarter, team):
            entries[(quarter, team)] = _Entry(
                quarter, team, "earlier", report=_href(f"{quarter}/{team}.html")
            )
    return entries


def _relative_href(root: Path, target: Path | None, *, directories: bool = False) -> str | None:
    """Href of ``target`` relative to ``root``, or ``None`` when missing or outside it."""
    if target is None:
        return None
    target = Path(target).resolve()
    exists = target.is_file() or (directories and target.is_dir())
    if not exists or not target.is_relative_to(root):
        return None
    return _href(target.relative_to(root).as_posix())


def _href(relative: str) -> str:
    """Percent-encode a relative POSIX path for use in ``href``."""
    return quote(relative, safe="/")


def _sort_key(entry: _Entry) -> tuple:
    """Newest quarter first; within a quarter the company roll-up first, then by team."""
    return (
        -int(entry.quarter[:4]),
        -int(entry.quarter[5:]),
        entry.team != ALL_TEAMS,
        entry.team,
    )


def _page(entries: list[_Entry], *, n_run: int, workshops: list[dict] = ()) -> str:
    """The whole HTML document."""
    e = html.escape
    failed = sum(entry.status == "failed" for entry in entries)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    summary = (
        f"{len(entries)} report(s) in this folder; {n_run} rendered in the last run, "
        f"{failed} failed. Alignment index 0–100 (higher is better); KPIs vs target counts "
        f"the headline KPIs on target ({RAG_MARKS['green']}), near target ({RAG_MARKS['amber']}), "
        f"off target ({RAG_MARKS['red']}) and without a target (grey). Generated {generated}."
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Quarterly reports</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>Quarterly reports</h1>",
        f'<p class="summary">{e(summary)}</p>',
    ]
    if not entries:
        parts.append("<p>No reports yet.</p>")
    quarter = None
    for entry in sorted(entries, key=_sort_key):
        if entry.quarter != quarter:
            if quarter is not None:
                parts.append("</tbody></table></div>")
            quarter = entry.quarter
            parts += [
                f'<h2 id="q-{e(quarter)}">{e(quarter)}</h2>',
                '<div class="wrap"><table class="cards"><thead><tr><th>Team</th>'
                '<th class="num">Alignment index</th><th>KPIs vs target (RAG)</th>'
                "<th>Status</th><th>Details</th>"
                '<th class="num">Seconds</th></tr></thead><tbody>',
            ]
        parts.append(_row(entry))
    if quarter is not None:
        parts.append("</tbody></table></div>")
    parts += _workshop_rows(workshops)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _workshop_sessions(out_dir: Path) -> list[dict]:
    """Workshop sessions summarised in ``out_dir/workshops/*/session.json``, newest first.

    Only pages that exist and whose names are safe team ids are listed; a malformed record
    is skipped (the index must render whatever else is in the folder).
    """
    found = []
    for record_path in sorted(Path(out_dir).glob("workshops/*/session.json")):
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            teams = [
                t
                for t in record["teams"]
                if team_id_problem(str(t["team"])) is None
                and t.get("page") == f"{t['team']}.html"
                and (record_path.parent / t["page"]).is_file()
            ]
            session = str(record["session"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if teams:
            found.append({"session": session, "folder": record_path.parent.name, "teams": teams})
    return sorted(
        found, key=lambda s: max(str(t.get("rendered_at", "")) for t in s["teams"]), reverse=True
    )


def _workshop_rows(workshops: list[dict]) -> list[str]:
    """The "Workshop sessions" section: one row per session, a link per team page."""
    if not workshops:
        return []
    e = html.escape
    rows = [
        '<h2 id="workshops">Workshop sessions</h2>',
        '<div class="wrap"><table class="cards"><thead><tr><th>Session</th><th>Team summaries</th>'
        '<th class="num">Participants</th><th>Rendered</th></tr></thead><tbody>',
    ]
    for session in workshops:
        folder = session["folder"]
        links = ", ".join(
            '<a href="{}">{}</a>'.format(
                e(_href(f"workshops/{folder}/{t['page']}")), e(str(t["team"]))
            )
            for t in session["teams"]
        )
        people = sum(int(t.get("participants", 0) or 0) for t in session["teams"])
        rendered = max(str(t.get("rendered_at", "")) for t in session["teams"])
        rows.append(
            f'<tr><td>{e(session["session"])}</td><td data-label="Team summaries">{links}</td>'
            f'<td class="num" data-label="Participants">{people}</td>'
            f'<td data-label="Rendered">{e(_when(rendered))}</td></tr>'
        )
    rows.append("</tbody></table></div>")
    return rows


def _row(entry: _Entry) -> str:
    """One table row, every string escaped."""
    e = html.escape
    label = e(team_label(entry.team))
    name = entry.summary.get("team_name") if isinstance(entry.summary, dict) else None
    if entry.team != ALL_TEAMS and isinstance(name, str) and name.strip() and name != entry.team:
        label = f'{e(name)} <small class="id">{label}</small>'  # the name a reader knows
    team = f'<a href="{e(entry.report)}">{label}</a>' if entry.report else label
    if entry.status == "failed":
        status = '<span class="failed">failed</span>'
        error = entry.error or "unknown error"
        if entry.cell is not None and not error.startswith(f"cell {entry.cell}"):
            error = f"cell {entry.cell}: {error}"
        lines = [f'<span class="error">{e(error)}</span>']
        if entry.failed_notebook:
            lines.append(f'<a href="{e(entry.failed_notebook)}">failed notebook</a>')
        if entry.failed_log:
            lines.append(f'<a href="{e(entry.failed_log)}">kernel log</a>')
        if entry.report:
            lines.append(f'<a href="{e(entry.report)}">previous report kept</a>')
        detail = "<br>".join(lines)
    else:
        css, text = _STATUS_TEXT[entry.status]
        status = f'<span class="{css}">{e(text)}</span>'
        if entry.rendered_at:
            status += f"<br><small>{e(_when(entry.rendered_at))}</small>"
        detail = f'<a href="{e(entry.export)}">exported tables</a>' if entry.export else ""
    seconds = f"{entry.seconds:.1f}" if entry.seconds is not None else ""
    index, rag = _summary_cells(entry.summary)
    if isinstance(entry.summary, dict) and entry.summary.get("complete") is False:
        as_of = e(str(entry.summary.get("as_of", "")))
        team += f'<br><small class="partial">quarter not complete as of {as_of}</small>'
    return (
        f'<tr><td>{team}</td><td class="num" data-label="Alignment index">{index}</td>'
        f'<td data-label="KPIs vs target">{rag}</td><td data-label="Status">{status}</td>'
        f'<td data-label="Details">{detail}</td>'
        f'<td class="num" data-label="Seconds">{seconds}</td></tr>'
    )


def _summary_cells(summary: dict | None) -> tuple[str, str]:
    """Alignment index and RAG badges of a report's summary, escaped; blank when unknown."""
    if not isinstance(summary, dict):
        return "", ""
    value = summary.get("alignment_index")
    index = f"{value:.1f}" if isinstance(value, int | float) else "n/a"
    counts = summary.get("rag") if isinstance(summary.get("rag"), dict) else {}
    badges = []
    for level in ("green", "amber", "red", "none"):
        n = counts.get(level)
        if isinstance(n, int) and n > 0:
            title = RAG_WORDS[level] or "no target set"
            mark = f"{RAG_MARKS[level]} " if RAG_MARKS[level] else ""
            badges.append(f'<span class="rag rag-{level}" title="{title}">{mark}{n}</span>')
    return html.escape(index), "".join(badges)


def _when(stamp: object) -> str:
    """A render time for readers: ``2026-12-07 12:48 UTC``; text that is no time as it is.

    Examples
    --------
    >>> _when("2026-12-07T13:48:44+01:00"), _when("yesterday")
    ('2026-12-07 12:48 UTC', 'yesterday')
    """
    text = str(stamp)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
