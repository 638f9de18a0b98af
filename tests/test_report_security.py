"""Data strings in a report are text, never markup: planted HTML and script payloads.

A copy of the tiny data set gets HTML/script payloads in every free-text field (team display
name, rejection and recycle reasons, lost reasons, campaign ids, feedback reasons and
comments, an attribute column), stays valid, and is rendered through the CLI. The HTML must
hold no script and no event handler, show each payload it shows as escaped text, fire no
dialog in a browser, and name no absolute path of this machine.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import PROJECT, TINY

pytestmark = pytest.mark.slow

QUARTER = "2026Q3"
TEAM = "north"
TEAMS = (TEAM, "all")

# One payload per field, each with its own marker so a leak names its source.
PAYLOADS = {
    "team_name": '<script>alert("team")</script> North Pod',
    "south_name": '"><svg onload=alert("south")>',
    "rejected_reason": "<img src=x onerror=alert('rejected')>",
    "other_rejected_reason": "</td></tr></table><script>alert('table')</script>",
    "recycled_reason": "<body onload=alert('recycled')>",
    "lost_reason": "price<img src=x onerror=alert('lost')>",
    "campaign_id": "C1\"><script>alert('campaign')</script>",
    "industry": "<iframe src=javascript:alert('industry')></iframe>",
    "feedback_reason": "<img src=x onerror=alert('feedback')>",
    "feedback_comment": "<script>alert('comment')</script> & \"quoted\"",
}
# Payloads the report shows today: the team heading and the table of rejection reasons.
SHOWN_IN = {
    TEAM: ("team_name", "rejected_reason"),
    "all": ("rejected_reason", "other_rejected_reason"),
}


def _edit_csv(path: Path, edit) -> None:
    """Rewrite ``path`` with ``edit(row)`` applied to each row (a dict, changed in place)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    for row in rows:
        edit(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


def plant_payloads(data: Path) -> None:
    """Put ``PAYLOADS`` into the free-text fields of the data directory ``data``."""

    def teams(row):
        row["name"] = PAYLOADS["team_name" if row["team"] == TEAM else "south_name"]

    def events(row):
        if row["event"] == "rejected":
            # L2 is north's rejection in the quarter, L6 south's.
            key = "rejected_reason" if row["lead_id"] == "L2" else "other_rejected_reason"
            row["reason"] = PAYLOADS[key]
        elif row["event"] == "recycled":
            row["reason"] = PAYLOADS["recycled_reason"]

    def leads(row):
        if row["campaign_id"] == "C1":
            row["campaign_id"] = PAYLOADS["campaign_id"]
        row["industry"] = PAYLOADS["industry"]

    def opportunities(row):
        if row["lost_reason"]:
            row["lost_reason"] = PAYLOADS["lost_reason"]

    _edit_csv(data / "teams.csv", teams)
    _edit_csv(data / "lead_events.csv", events)
    _edit_csv(data / "leads.csv", leads)
    _edit_csv(data / "opportunities.csv", opportunities)
    with (data / "feedback.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lead_id", "at", "rating", "reason", "comment"])
        writer.writerow(["L1", "2026-07-02T10:00:00", 4, PAYLOADS["feedback_reason"], ""])
        writer.writerow(["L2", "2026-07-03T13:00:00", 2, "no budget", PAYLOADS["feedback_comment"]])
        writer.writerow(["L6", "2026-08-03T11:00:00", 1, PAYLOADS["feedback_reason"], "ok"])


class _Markup(HTMLParser):
    """Start tags with their attributes, and the text, of an HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def markup_problems(page: str) -> list[str]:
    """Every way ``page`` could run script or fetch a planted resource, as messages."""
    problems = []
    if re.search(r"<\s*script", page, re.I):
        problems.append("a <script tag")
    parser = _Markup()
    parser.feed(page)
    parser.close()
    for tag, attrs in parser.tags:
        if tag in {"script", "iframe", "object", "embed", "frame", "base"}:
            problems.append(f"a <{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"an event handler <{tag} {name}=...>")
            if value and value.strip().lower().startswith(("javascript:", "vbscript:")):
                problems.append(f"a script URL <{tag} {name}={value!r}>")
            if tag == "img" and name == "src" and not (value or "").startswith("data:image/"):
                problems.append(f"an image not embedded: <img src={value!r}>")
    for name, payload in PAYLOADS.items():
        if payload in page:
            problems.append(f"payload {name} unescaped")
    return problems


def page_text(page: str) -> str:
    """The text content of ``page`` (character references decoded)."""
    parser = _Markup()
    parser.feed(page)
    parser.close()
    return "".join(parser.text)


def machine_paths(page: str, paths: list[Path]) -> list[str]:
    """Those of ``paths`` (absolute, on this machine) that ``page`` names, data URIs aside."""
    # base64 images could hold a short path such as /root by chance; they carry no text.
    without_images = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "data:", page)
    names = {str(path) for path in paths} | {str(path.resolve()) for path in paths}
    return sorted(name for name in names if len(name) > 1 and name in without_images)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The tiny data set with payloads, validated, and its reports rendered through the CLI."""
    root = tmp_path_factory.mktemp("security")
    data = root / "data"
    shutil.copytree(TINY, data)
    plant_payloads(data)
    cli = [sys.executable, "-m", "helpers.cli"]
    check = subprocess.run(
        [*cli, "validate", str(data)], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, f"planted data is invalid:\n{check.stdout}\n{check.stderr}"
    out = root / "reports"
    command = [*cli, "reports", "--data", str(data), "--out", str(out), "--quarter", QUARTER]
    for team in TEAMS:
        command += ["--team", team]
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"render failed:\n{done.stdout}\n{done.stderr}"
    return root, data, out


def _pages(out: Path) -> dict[str, Path]:
    pages = {team: out / QUARTER / f"{team}.html" for team in TEAMS}
    return pages | {"index": out / "index.html"}


PAGES = (*TEAMS, "index")


@pytest.mark.parametrize("name", PAGES, ids=PAGES)
def test_page_has_no_script_or_handler(planted, name):
    _, _, out = planted
    page = _pages(out)[name].read_text(encoding="utf-8")
    assert markup_problems(page) == []


@pytest.mark.parametrize("team", TEAMS, ids=TEAMS)
def test_payloads_shown_as_escaped_text(planted, team):
    _, _, out = planted
    page = _pages(out)[team].read_text(encoding="utf-8")
    text = page_text(page)
    for name in SHOWN_IN[team]:
        payload = PAYLOADS[name]
        assert payload in text, f"{name} is not shown as text"
        assert html.escape(payload, quote=False) in page or html.escape(payload) in page
    if team == TEAM:
        assert "&lt;script&gt;alert(" in page
    # Whatever else of the payloads the report shows, it shows as text too.
    for name, payload in PAYLOADS.items():
        marker = re.search(r"alert\(.*?\)", payload).group(0)
        if marker in text:
            assert payload in text, f"{name} is shown, but not as its text"


@pytest.mark.parametrize("name", PAGES, ids=PAGES)
def test_page_names_no_path_of_this_machine(planted, name):
    root, data, out = planted
    page = _pages(out)[name].read_text(encoding="utf-8")
    paths = [root, data, out, PROJECT, Path.home(), Path(sys.prefix)]
    assert machine_paths(page, paths) == []


@pytest.mark.browser
@pytest.mark.parametrize("team", TEAMS, ids=TEAMS)
def test_payloads_do_not_run_in_a_browser(planted, chromium, team):
    _, _, out = planted
    seen = open_page(chromium, _pages(out)[team])
    assert seen["dialogs"] == []
    assert seen["off_disk"] == []
    assert seen["failed"] == []
    assert seen["errors"] == []
    for name in SHOWN_IN[team]:
        assert PAYLOADS[name] in seen["text"], f"{name} is not visible as text"


def open_page(browser, path: Path) -> dict[str, list | str]:
    """Open ``path``; record dialogs, requests off disk, failed requests, errors and text."""
    seen = {"dialogs": [], "off_disk": [], "failed": [], "errors": [], "text": ""}

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            seen["off_disk"].append(route.request.url)
            route.abort()

    page = browser.new_page()
    try:
        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: seen["errors"].append(str(error)))
        page.on("requestfailed", lambda request: seen["failed"].append(request.url))
        page.route("**/*", only_files)
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(100)  # let onload/onerror handlers of late elements fire
        # The report's sections are collapsed <details>: open them as a reader would.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        seen["text"] = page.inner_text("body")
    finally:
        page.close()
    return seen


# --- The checks themselves catch an unescaped page. ---


def _unsafe_page(tmp_path: Path) -> str:
    """A page that puts some payloads in raw, as a template without escaping would."""
    return (
        "<!DOCTYPE html><html><body>"
        f"<h1>{PAYLOADS['team_name']}: {QUARTER}</h1>"
        f"<table><tr><td>{PAYLOADS['rejected_reason']}</td></tr></table>"
        f'<p title="{PAYLOADS["south_name"]}">data from {tmp_path / "data"}</p>'
        "</body></html>"
    )


def test_checks_catch_an_unescaped_page(tmp_path):
    page = _unsafe_page(tmp_path)
    problems = markup_problems(page)
    assert "a <script tag" in problems
    assert "a <script> element" in problems
    assert "an event handler <img onerror=...>" in problems
    assert "an event handler <svg onload=...>" in problems
    assert "an image not embedded: <img src='x'>" in problems
    assert {"payload team_name unescaped", "payload rejected_reason unescaped"} <= set(problems)
    assert machine_paths(page, [tmp_path]) == [str(tmp_path)]
    escaped = html.escape(page)
    assert markup_problems(escaped) == []


@pytest.mark.browser
def test_browser_check_catches_a_dialog(chromium, tmp_path):
    path = tmp_path / "unsafe.html"
    path.write_text(_unsafe_page(tmp_path), encoding="utf-8")
    seen = open_page(chromium, path)
    assert sorted(seen["dialogs"]) == ["rejected", "south", "team"]
    assert any(url.endswith("/x") for url in seen["failed"])
    assert PAYLOADS["team_name"] not in seen["text"]
