"""What to mail to whom: one parcel per report (and per quarter's index), from the manifest.

A :class:`Parcel` is one mail's content: the report it carries (its manifest key and digest),
a subject, a short body in plain text and HTML, and the attached files. The report itself is
attached, never inlined: it is a self-contained page of about a megabyte whose styles mail
clients strip and whose embedded charts they block or clip, while the attached file opens in
any browser with no network. The body says what is attached and carries the headline figures
the report published for the index (alignment index, RAG counts), so a reader on a phone
sees at a glance whether to open it.

:func:`plan_parcels` reads only the manifest and the report folder, never the data.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...data.config import Delivery
from ...data.schema import ALL_TEAMS
from ...data.settings import did_you_mean
from ...errors import ParameterError
from ..index_page import INDEX_NAME
from ..jobs import check_quarter, check_team
from ..manifest import Manifest

INDEX_REPORT = "index"
"""Team part of the leadership mail's key: ``"<quarter>/index"``."""


@dataclass(frozen=True)
class Attachment:
    """One attached file: the name the recipient sees and the file it is read from."""

    filename: str
    path: Path
    size: int


@dataclass(frozen=True)
class Parcel:
    """One mail's content, sent to each of ``recipients`` separately.

    Parameters
    ----------
    report : str
        Manifest key of the report (``"2026Q3/emea-ent"``), or ``"<quarter>/index"``.
    digest : str
        What was rendered: the record's ``inputs_digest`` (for the index, a digest of the
        quarter's records). A new digest is a new mail; the same digest is never sent twice.
    recipients : tuple of str
        Addresses, one mail each.
    subject, text, html : str
        The mail's subject and its body as plain text and as HTML (every value escaped).
    attachments : tuple of Attachment
        Files attached, in order.
    """

    report: str
    digest: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Unsendable:
    """A report that should go out but cannot: not rendered, failed, or changed on disk."""

    report: str
    recipients: tuple[str, ...]
    reason: str


@dataclass
class Plan:
    """What one ``workbook send`` would do (see :func:`plan_parcels`).

    Parameters
    ----------
    parcels : list of Parcel
        Mails to send (some may have gone to some recipients already: see the log).
    unsendable : list of Unsendable
        Reports with recipients that cannot be sent; they make the exit code 1.
    unaddressed : list of str
        Report keys of the chosen quarters with no recipient listed (sent to nobody).
    """

    parcels: list[Parcel] = field(default_factory=list)
    unsendable: list[Unsendable] = field(default_factory=list)
    unaddressed: list[str] = field(default_factory=list)


def plan_parcels(
    out_dir: Path,
    delivery: Delivery,
    *,
    quarters: Sequence[str] = (),
    teams: Sequence[str] = (),
    settings_file: str = "workbook.toml",
) -> Plan:
    """The parcels of the chosen quarters and teams, from ``out_dir``'s manifest.

    Parameters
    ----------
    out_dir : Path
        The report folder (``manifest.json``, ``index.html``, ``<quarter>/<team>.html``).
    delivery : Delivery
        Recipients and leadership list (``[delivery]`` of ``workbook.toml``).
    quarters : sequence of str
        Quarters to send; default the latest complete quarter the manifest knows.
    teams : sequence of str
        Only these reports (team ids or ``all``); default every team with recipients. The
        leadership mail (index) goes out only when no team is chosen.
    settings_file : str
        How messages name the settings file.

    Returns
    -------
    Plan

    Raises
    ------
    ParameterError
        When the folder has no manifest, a quarter has no report there, or a team listed
        under ``[delivery.recipients]`` or chosen is not a team of the data (with the closest
        team id as a hint), or nobody would receive anything.
    """
    out_dir = Path(out_dir)
    manifest = Manifest.read(out_dir)
    if not manifest.reports:
        raise ParameterError(
            f"{out_dir}: no reports recorded there ({out_dir / 'manifest.json'} missing or "
            "empty). Fix: render them first with `workbook reports`, or pass the report folder "
            "with --out."
        )
    known = _known_teams(manifest)
    for team in delivery.recipients:
        _check_known(team, known, f"{settings_file}: key 'delivery.recipients.{team}'")
    chosen_teams = [_check_known(check_team(t), known, f"--team {t}") for t in teams]
    chosen_quarters = _quarters(manifest, [check_quarter(q) for q in quarters])
    if not any(delivery.recipients.values()) and not delivery.leadership:
        raise ParameterError(
            f"{settings_file}: no recipients are listed, so there is nobody to send to. Fix: add "
            "a [delivery.recipients] section with a line per team, e.g. emea-ent = "
            '["ana.lopes@example.com"], and/or [delivery] leadership = [...] for the index.'
        )
    plan = Plan()
    for quarter in chosen_quarters:
        keys = sorted(
            (k for k, r in manifest.reports.items() if r.get("quarter") == quarter),
            key=lambda k: (manifest.reports[k]["team"] != ALL_TEAMS, k),
        )
        rendered = [str(manifest.reports[k]["team"]) for k in keys]
        for team in chosen_teams or list(dict.fromkeys([*rendered, *delivery.recipients])):
            _plan_report(plan, out_dir, manifest, quarter, team, delivery.recipients.get(team, ()))
        if delivery.leadership and not chosen_teams:
            _plan_index(plan, out_dir, manifest, quarter, keys, delivery.leadership)
    return plan


def _known_teams(manifest: Manifest) -> list[str]:
    if manifest.catalogue is not None:
        return [*manifest.catalogue.teams, ALL_TEAMS]
    return sorted({str(r.get("team")) for r in manifest.reports.values()})


def _check_known(team: str, known: list[str], where: str) -> str:
    if team in known:
        return team
    close = did_you_mean(team, known)
    hint = f"did you mean {close!r}? " if close else ""
    raise ParameterError(
        f"{where}: {team!r} is not a team of the data the reports were rendered from; {hint}"
        f"Expected one of: {', '.join(known)}."
    )


def _quarters(manifest: Manifest, given: list[str]) -> list[str]:
    rendered = sorted({str(r.get("quarter")) for r in manifest.reports.values()})
    for quarter in given:
        if quarter not in rendered:
            raise ParameterError(
                f"quarter {quarter}: no report of it in this folder (it holds "
                f"{', '.join(rendered)}). Fix: render it first with `workbook reports "
                f"--quarter {quarter}`, or pick one of those."
            )
    if given:
        return list(dict.fromkeys(given))
    latest = manifest.catalogue.latest_complete if manifest.catalogue else None
    return [latest if latest in rendered else rendered[-1]]


def _plan_report(
    plan: Plan,
    out_dir: Path,
    manifest: Manifest,
    quarter: str,
    team: str,
    recipients: tuple[str, ...],
) -> None:
    key = f"{quarter}/{team}"
    if not recipients:
        plan.unaddressed.append(key)
        return
    record = manifest.reports.get(key)
    reason = _unsendable_reason(out_dir, quarter, team, record)
    if reason is not None:
        plan.unsendable.append(Unsendable(key, recipients, reason))
        return
    assert record is not None
    html_path = out_dir / str(record["html"])
    attachment = Attachment(
        f"alignment-review-{quarter}-{team}.html", html_path, html_path.stat().st_size
    )
    who = _who(team)
    summary = record.get("summary") or {}
    lines = [
        f"The alignment review of {who} for {quarter} is attached: {attachment.filename}.",
        "It is one self-contained page: open it in a browser, no network needed.",
        "",
        *_figure_lines(summary, record),
    ]
    plan.parcels.append(
        Parcel(
            report=key,
            digest=str(record["inputs_digest"]),
            recipients=recipients,
            subject=f"Alignment review {quarter}: {who}",
            text=_text(lines, key, str(record["inputs_digest"])),
            html=_html(lines, key, str(record["inputs_digest"])),
            attachments=(attachment,),
        )
    )


def _unsendable_reason(
    out_dir: Path, quarter: str, team: str, record: Mapping[str, Any] | None
) -> str | None:
    rerun = f"`workbook reports --quarter {quarter} --team {team}`"
    if record is None:
        return f"not rendered in this folder; render it with {rerun}"
    if record.get("status") != "ok":
        return (
            f"its last render failed ({record.get('error') or 'no reason recorded'}); the "
            f"earlier report is not sent as current. Fix the cause and run {rerun}"
        )
    path = out_dir / str(record.get("html"))
    try:
        size = path.stat().st_size
    except OSError:
        return f"its file {record.get('html')} is missing; render it again with {rerun}"
    if size != record.get("html_bytes"):
        return (
            f"its file {record.get('html')} changed since it was rendered ({size} bytes, the "
            f"manifest recorded {record.get('html_bytes')}); render it again with {rerun} --force"
        )
    return None


def _plan_index(
    plan: Plan,
    out_dir: Path,
    manifest: Manifest,
    quarter: str,
    keys: list[str],
    leadership: tuple[str, ...],
) -> None:
    key = f"{quarter}/{INDEX_REPORT}"
    index_path = out_dir / INDEX_NAME
    if not index_path.is_file():
        plan.unsendable.append(
            Unsendable(key, leadership, f"{INDEX_NAME} is missing; run `workbook reports`")
        )
        return
    records = [manifest.reports[k] for k in keys]
    state = [
        (k, r.get("inputs_digest"), r.get("status")) for k, r in zip(keys, records, strict=True)
    ]
    digest = hashlib.sha256(json.dumps(state).encode()).hexdigest()
    attachments = [
        Attachment(f"alignment-review-{quarter}-index.html", index_path, index_path.stat().st_size)
    ]
    company = manifest.reports.get(f"{quarter}/{ALL_TEAMS}")
    if _unsendable_reason(out_dir, quarter, ALL_TEAMS, company) is None:
        assert company is not None
        path = out_dir / str(company["html"])
        attachments.append(
            Attachment(f"alignment-review-{quarter}-{ALL_TEAMS}.html", path, path.stat().st_size)
        )
    failed = [r for r in records if r.get("status") != "ok"]
    lines = [
        f"The alignment reviews of {quarter}: {len(records)} report(s), {len(failed)} failed.",
        "Attached: the index of the report folder"
        + (" and the company report." if len(attachments) > 1 else "."),
        "The index's links open where the report folder is published.",
        "",
    ]
    for record in records:
        figures = _figures(record.get("summary") or {})
        status = "ok" if record.get("status") == "ok" else "FAILED"
        lines.append(f"- {_who(str(record.get('team')))}: {status}; {figures}")
    plan.parcels.append(
        Parcel(
            report=key,
            digest=digest,
            recipients=leadership,
            subject=f"Alignment reviews {quarter}: index of {len(records)} report(s)",
            text=_text(lines, key, digest),
            html=_html(lines, key, digest),
            attachments=tuple(attachments),
        )
    )


def _who(team: str) -> str:
    return "the company (all teams)" if team == ALL_TEAMS else f"team {team}"


def _figures(summary: Mapping[str, Any]) -> str:
    index = summary.get("alignment_index")
    rag = summary.get("rag") or {}
    shown = "not in this data" if index is None else f"{index:.1f}"
    return (
        f"alignment index {shown}; KPIs vs target: {rag.get('green', 0)} green, "
        f"{rag.get('amber', 0)} amber, {rag.get('red', 0)} red, {rag.get('none', 0)} without one"
    )


def _figure_lines(summary: Mapping[str, Any], record: Mapping[str, Any]) -> list[str]:
    if not summary:
        return [f"Rendered {record.get('rendered_at')} (UTC)."]
    partial = "" if summary.get("complete", True) else " (the quarter had not ended then)"
    return [
        _figures(summary)[0].upper() + _figures(summary)[1:] + ".",
        f"Data as of {summary.get('as_of')}{partial}; rendered {record.get('rendered_at')} (UTC).",
    ]


def _footer(key: str, digest: str) -> str:
    return f"Sent by `workbook send` (Alignment Workbook): {key}, inputs {digest[:12]}."


def _text(lines: list[str], key: str, digest: str) -> str:
    return "\n".join([*lines, "", _footer(key, digest)]) + "\n"


def _html(lines: list[str], key: str, digest: str) -> str:
    paragraphs = []
    items = [line[2:] for line in lines if line.startswith("- ")]
    for line in lines:
        if line and not line.startswith("- "):
            paragraphs.append(f"<p>{html.escape(line)}</p>")
    if items:
        paragraphs.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
    footer = f'<p style="color:#57606a;font-size:small">{html.escape(_footer(key, digest))}</p>'
    return (
        '<!DOCTYPE html><html><body style="font-family:sans-serif">'
        + "".join(paragraphs)
        + footer
        + "</body></html>"
    )
