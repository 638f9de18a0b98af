"""`workbook send` against a real SMTP server (aiosmtpd) on 127.0.0.1, started by each test.

The report folder is written by hand (a manifest as `workbook reports` writes it, and HTML
files with known bytes), so every expectation (who gets which file) is read off the fixture,
not computed by the code under test.
"""

from __future__ import annotations

import json
import socket
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from helpers.cli import main
from helpers.data.config import config_from_dict
from helpers.data.source import DataSource
from helpers.errors import ConfigError
from helpers.reports.delivery import send_reports

QUARTER = "2026Q3"
REPORTS = {  # team -> the report's bytes (distinct, so an attachment names its report)
    "all": b"<html><body>company report 2026Q3</body></html>",
    "emea-ent": b"<html><body>EMEA enterprise 2026Q3</body></html>",
    "na-ent": b"<html><body>NA enterprise 2026Q3</body></html>",
}
INDEX = b"<html><body>index of the report folder</body></html>"


class Recorder:
    """An aiosmtpd handler: keeps every mail; refuses or delays the addresses it is told to."""

    def __init__(self, refuse=(), delay_once=()):
        self.refuse = set(refuse)
        self.delay_once = set(delay_once)
        self.rcpt_calls: list[str] = []
        self.mails: list[dict] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_calls.append(address)
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if address in self.delay_once:
            self.delay_once.discard(address)
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        attachments = {
            part.get_filename(): part.get_payload(decode=True)
            for part in message.iter_attachments()
        }
        self.mails.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "subject": str(message["Subject"]),
                "header_to": str(message["To"]),
                "auto": str(message["Auto-Submitted"]),
                "text": message.get_body(("plain",)).get_content(),
                "attachments": attachments,
            }
        )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """Start an aiosmtpd server on 127.0.0.1 with a given handler; stopped after the test."""
    started = []

    def start(handler, **kwargs):
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
        controller.start()
        started.append(controller)
        return controller.port

    yield start
    for controller in started:
        controller.stop()


def record(team: str, html: str | None, size: int | None, *, ok: bool = True) -> dict:
    base = {
        "team": team,
        "quarter": QUARTER,
        "status": "ok" if ok else "failed",
        "inputs_digest": f"digest-of-{team}",
        "rendered_at": "2026-12-07T04:54:00+00:00",
        "summary": {
            "team": team,
            "quarter": QUARTER,
            "alignment_index": 61.25 if team != "na-ent" else None,
            "rag": {"green": 2, "amber": 1, "red": 3, "none": 4},
            "complete": True,
            "as_of": "2026-10-01",
        },
    }
    if ok:
        base.update(html=html, html_bytes=size)
    else:
        base.update(error="cell 7: ValueError: boom", html=html)
    return base


def make_reports(out: Path, *, failed: tuple[str, ...] = ()) -> Path:
    """A report folder as `workbook reports` leaves it: manifest, index, one HTML per team."""
    (out / QUARTER).mkdir(parents=True)
    reports = {}
    for team, data in REPORTS.items():
        path = out / QUARTER / f"{team}.html"
        path.write_bytes(data)
        rel = f"{QUARTER}/{team}.html"
        reports[f"{QUARTER}/{team}"] = record(team, rel, len(data), ok=team not in failed)
    (out / "index.html").write_bytes(INDEX)
    manifest = {
        "schema": "alignment-workbook/manifest/v1",
        "updated_at": "2026-12-07T04:54:00+00:00",
        "data": {
            "digest": "d",
            "teams": ["emea-ent", "na-ent"],
            "quarters": ["2026Q2", QUARTER],
            "latest_complete": QUARTER,
        },
        "reports": reports,
    }
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def make_data(folder: Path, port: int, *, recipients: str, extra: str = "", smtp: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workbook.toml").write_text(
        f'currency = "EUR"\n\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f'sender = "revops@example.com"\ntimeout_seconds = 5\n{smtp}\n'
        f"[delivery]\nattempts = 2\nbackoff_seconds = 0\n{extra}\n"
        f"[delivery.recipients]\n{recipients}\n",
        encoding="utf-8",
    )
    return folder


RECIPIENTS = 'emea-ent = ["ana@example.com", "bob@example.com"]\nall = ["cro@example.com"]\n'
LEADERSHIP = 'leadership = ["ceo@example.com"]'


def run(*args, env=None):
    return CliRunner().invoke(main, ["send", *args], env=env or {}, catch_exceptions=False)


def by_recipient(handler: Recorder) -> dict[str, dict]:
    return {mail["to"][0]: mail for mail in handler.mails}


def test_each_report_goes_to_its_recipients_and_the_index_to_leadership(tmp_path, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    out = make_reports(tmp_path / "reports")
    data = make_data(tmp_path / "data", port, recipients=RECIPIENTS, extra=LEADERSHIP)

    result = run("--data", str(data), "--out", str(out))

    assert result.exit_code == 0, result.output
    mails = by_recipient(handler)
    # One mail per recipient, each to that recipient alone; na-ent has no recipients.
    assert sorted(mails) == [
        "ana@example.com",
        "bob@example.com",
        "ceo@example.com",
        "cro@example.com",
    ]
    assert all(len(m["to"]) == 1 and m["header_to"] == m["to"][0] for m in mails.values())
    for who in ("ana@example.com", "bob@example.com"):
        assert mails[who]["attachments"] == {
            "alignment-review-2026Q3-emea-ent.html": REPORTS["emea-ent"]
        }
        assert mails[who]["subject"] == "Alignment review 2026Q3: team emea-ent"
        assert mails[who]["from"] == "revops@example.com"
        assert mails[who]["auto"] == "auto-generated"
        assert "Alignment index 61.2" in mails[who]["text"]
        assert "2 green, 1 amber, 3 red, 4 without one" in mails[who]["text"]
    assert mails["cro@example.com"]["attachments"] == {
        "alignment-review-2026Q3-all.html": REPORTS["all"]
    }
    assert mails["ceo@example.com"]["attachments"] == {
        "alignment-review-2026Q3-index.html": INDEX,
        "alignment-review-2026Q3-all.html": REPORTS["all"],
    }
    # the leadership body lists every report of the quarter; the na-ent index is missing
    assert "team na-ent: ok; alignment index not in this data" in mails["ceo@example.com"]["text"]
    assert "no recipients 2026Q3/na-ent" in result.output
    assert "mails: 4 sent, 0 already sent, 0 failed, 0 report(s) not sendable" in result.output
    log = json.loads((out / "delivery.json").read_text())
    assert {e["recipient"] for e in log["entries"].values() if e["status"] == "sent"} == set(mails)


def test_dry_run_says_what_would_go_where_and_sends_nothing(tmp_path, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    out = make_reports(tmp_path / "reports")
    data = make_data(tmp_path / "data", port, recipients=RECIPIENTS, extra=LEADERSHIP)

    result = run("--data", str(data), "--out", str(out), "--dry-run")

    assert result.exit_code == 0, result.output
    assert handler.rcpt_calls == [] and handler.mails == []
    assert not (out / "delivery.json").exists()
    lines = [line for line in result.output.splitlines() if line.startswith("would send")]
    assert [line.split(":")[0].split()[2:] for line in lines] == [
        ["2026Q3/all", "->", "cro@example.com"],
        ["2026Q3/emea-ent", "->", "ana@example.com"],
        ["2026Q3/emea-ent", "->", "bob@example.com"],
        ["2026Q3/index", "->", "ceo@example.com"],
    ]
    assert "alignment-review-2026Q3-emea-ent.html (0 kB)" in result.output
    assert f"through 127.0.0.1:{port} (none), from revops@example.com" in result.output


def test_one_refused_recipient_is_reported_and_the_others_are_served(tmp_path, smtp_server):
    handler = Recorder(refuse={"bob@example.com"})
    port = smtp_server(handler)
    out = make_reports(tmp_path / "reports")
    recipients = 'emea-ent = ["bob@example.com", "ana@example.com"]\nall = ["cro@example.com"]'
    data = make_data(tmp_path / "data", port, recipients=recipients)

    result = run("--data", str(data), "--out", str(out))

    assert result.exit_code == 3, result.output
    assert sorted(by_recipient(handler)) == ["ana@example.com", "cro@example.com"]
    # a 550 is permanent: asked once, not retried (attempts = 2)
    assert handler.rcpt_calls.count("bob@example.com") == 1
    assert (
        "FAILED        2026Q3/emea-ent -> bob@example.com: 550 5.1.1 no such mailbox here "
        "(permanent refusal, not retried)" in result.output
    )
    assert "mails: 2 sent, 0 already sent, 1 failed" in result.output

    # Re-run once the address is fixed on the server: only bob's mail goes out.
    handler.refuse.clear()
    again = run("--data", str(data), "--out", str(out))
    assert again.exit_code == 0, again.output
    assert [m["to"] for m in handler.mails[2:]] == [["bob@example.com"]]
    assert "mails: 1 sent, 2 already sent, 0 failed" in again.output


def test_a_rerun_sends_nothing_twice_and_a_new_recipient_gets_only_their_mail(
    tmp_path, smtp_server
):
    handler = Recorder()
    port = smtp_server(handler)
    out = make_reports(tmp_path / "reports")
    data = make_data(tmp_path / "data", port, recipients=RECIPIENTS)
    digest_before = DataSource.of(data).digest()

    assert run("--data", str(data), "--out", str(out)).exit_code == 0
    assert len(handler.mails) == 3
    again = run("--data", str(data), "--out", str(out))
    assert again.exit_code == 0
    assert len(handler.mails) == 3
    assert again.output.count("already sent  2026Q3/") == 3

    # A recipient added to workbook.toml: only that one is mailed, and the data's digest
    # (so every report's inputs) is unchanged: no re-render, no re-send to the others.
    more = RECIPIENTS.replace('"bob@example.com"]', '"bob@example.com", "eve@example.com"]')
    make_data(data, port, recipients=more)
    assert DataSource.of(data).digest() == digest_before
    third = run("--data", str(data), "--out", str(out))
    assert third.exit_code == 0, third.output
    assert [m["to"] for m in handler.mails[3:]] == [["eve@example.com"]]

    # A new render of a report (a new digest in the manifest) is a new mail for its recipients.
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["reports"]["2026Q3/all"]["inputs_digest"] = "a-new-render"
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert run("--data", str(data), "--out", str(out)).exit_code == 0
    assert [m["to"] for m in handler.mails[4:]] == [["cro@example.com"]]


def test_a_passing_refusal_is_retried_with_backoff(tmp_path, smtp_server):
    handler = Recorder(delay_once={"ana@example.com"})
    port = smtp_server(handler)
    out = make_reports(tmp_path / "reports")
    settings = {
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "sender": "r@example.com"},
        "delivery": {
            "attempts": 3,
            "backoff_seconds": 1.5,
            "recipients": {"emea-ent": ["ana@example.com"]},
        },
    }
    waits = []
    result = send_reports(out, config_from_dict(settings).delivery, sleep=waits.append)
    assert [(o.recipient, o.status, o.attempts) for o in result.outcomes] == [
        ("ana@example.com", "sent", 2)
    ]
    assert waits == [1.5]
    assert handler.rcpt_calls == ["ana@example.com", "ana@example.com"]
    assert result.exit_code == 0


def test_an_unreachable_server_fails_the_first_mail_after_retries_and_tries_no_other(tmp_path):
    out = make_reports(tmp_path / "reports")
    settings = {
        "smtp": {
            "host": "127.0.0.1",
            "port": free_port(),  # nothing listens there
            "security": "none",
            "sender": "r@example.com",
            "timeout_seconds": 2,
        },
        "delivery": {
            "attempts": 3,
            "backoff_seconds": 2,
            "recipients": {"emea-ent": ["ana@example.com", "bob@example.com"]},
        },
    }
    waits = []
    result = send_reports(out, config_from_dict(settings).delivery, sleep=waits.append)
    assert waits == [2, 4]  # doubled before each further attempt, none after the last
    assert [(o.recipient, o.status, o.attempts) for o in result.outcomes] == [
        ("ana@example.com", "failed", 3),
        ("bob@example.com", "not tried", 0),
    ]
    assert "cannot reach 127.0.0.1" in result.outcomes[0].detail
    assert result.exit_code == 3


def test_a_failed_report_is_not_sent_and_the_exit_code_says_so(tmp_path, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)
    out = make_reports(tmp_path / "reports", failed=("emea-ent",))
    data = make_data(tmp_path / "data", port, recipients=RECIPIENTS)

    result = run("--data", str(data), "--out", str(out))

    assert result.exit_code == 1
    assert sorted(by_recipient(handler)) == ["cro@example.com"]
    assert "not sendable  2026Q3/emea-ent -> ana@example.com, bob@example.com: its last " in (
        result.output
    )
    assert "cell 7: ValueError: boom" in result.output


def test_login_uses_the_password_from_the_environment(tmp_path, smtp_server):
    handler = Recorder()
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        # handled=False: aiosmtpd then answers a refusal with 535 itself
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    port = smtp_server(handler, authenticator=authenticator, auth_require_tls=False)
    out = make_reports(tmp_path / "reports")
    data = make_data(
        tmp_path / "data",
        port,
        recipients='all = ["cro@example.com"]',
        smtp='user = "revops"\npassword_env = "TEST_SMTP_PASSWORD"',
    )
    assert "s3cret" not in (data / "workbook.toml").read_text()

    unset = run("--data", str(data), "--out", str(out))
    assert unset.exit_code == 2
    assert "TEST_SMTP_PASSWORD" in unset.output and "nothing was sent" in unset.output
    assert handler.mails == [] and logins == []

    wrong = run("--data", str(data), "--out", str(out), env={"TEST_SMTP_PASSWORD": "nope"})
    assert wrong.exit_code == 2
    assert "refused the login of 'revops'" in wrong.output
    assert handler.mails == []

    right = run("--data", str(data), "--out", str(out), env={"TEST_SMTP_PASSWORD": "s3cret"})
    assert right.exit_code == 0, right.output
    assert logins[-1] == (b"revops", b"s3cret")
    assert [m["to"] for m in handler.mails] == [["cro@example.com"]]


def test_starttls_is_required_when_asked_and_never_skipped(tmp_path, smtp_server):
    handler = Recorder()
    port = smtp_server(handler)  # offers no STARTTLS
    out = make_reports(tmp_path / "reports")
    data = make_data(tmp_path / "data", port, recipients=RECIPIENTS)
    toml = (
        (data / "workbook.toml").read_text().replace('security = "none"', 'security = "starttls"')
    )
    (data / "workbook.toml").write_text(toml)

    result = run("--data", str(data), "--out", str(out))

    assert result.exit_code == 2
    assert "does not offer STARTTLS" in result.output
    assert handler.mails == [] and handler.rcpt_calls == []


def test_a_recipient_team_that_is_not_in_the_data_is_refused_with_a_hint(tmp_path):
    out = make_reports(tmp_path / "reports")
    data = make_data(tmp_path / "data", 25, recipients='emea-entt = ["ana@example.com"]')
    result = run("--data", str(data), "--out", str(out), "--dry-run")
    assert result.exit_code == 2
    assert "key 'delivery.recipients.emea-entt': 'emea-entt' is not a team" in result.output
    assert "did you mean 'emea-ent'?" in result.output


def test_no_manifest_is_a_clear_error(tmp_path):
    data = make_data(tmp_path / "data", 25, recipients=RECIPIENTS)
    result = run("--data", str(data), "--out", str(tmp_path / "empty"), "--dry-run")
    assert result.exit_code == 2
    assert "no reports recorded there" in result.output


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"smtp": {"password": "hunter2"}},
            "key 'smtp.password' is not a known key; the password is never written",
        ),
        (
            {"smtp": {"password_env": "hunter2!"}},
            "key 'smtp.password_env' is not the name of an environment variable",
        ),
        ({"smtp": {"securty": "tls"}}, "did you mean 'smtp.security'?"),
        ({"smtp": {"security": "startls"}}, "(did you mean 'starttls'?)"),
        ({"smtp": {"port": 0}}, "key 'smtp.port' is 0; expected a whole number from 1 to 65535"),
        (
            {"delivery": {"recipients": {"emea-ent": ["Ana <ana@example.com>"]}}},
            "item 0 ('Ana <ana@example.com>') is not a plain address",
        ),
        ({"delivery": {"leadrship": []}}, "did you mean 'delivery.leadership'?"),
        ({"delivery": {"attempts": 0}}, "key 'delivery.attempts' is 0; expected a whole number"),
        (
            {"smtp": {"host": "mail.example.com", "security": "none", "user": "u"}},
            "would cross the network unencrypted to mail.example.com",
        ),
    ],
    ids=[
        "password-in-file",
        "password-as-env-name",
        "misspelt-key",
        "misspelt-security",
        "port-zero",
        "named-address",
        "misspelt-leadership",
        "no-attempts",
        "plain-login-over-network",
    ],
)
def test_delivery_settings_are_checked(settings, expected):
    with pytest.raises(ConfigError) as caught:
        config_from_dict(settings)
    assert expected in str(caught.value)
    assert "hunter2" not in str(caught.value)  # a password is never echoed


@pytest.mark.parametrize(
    ("failed_render", "refuse", "expected"),
    [((), (), 0), (("na-ent",), (), 1), ((), ("cro@example.com",), 3)],
    ids=["all-well", "a-render-failed", "a-mail-failed"],
)
def test_reports_send_mails_after_rendering_and_its_exit_code_says_what_failed(
    tmp_path, smtp_server, monkeypatch, failed_render, refuse, expected
):
    """The wiring of `workbook reports --send` (the rendering itself is stood in for)."""
    from helpers.reports import runner
    from helpers.reports.jobs import ReportOutcome

    handler = Recorder(refuse=refuse)
    port = smtp_server(handler)
    out = make_reports(tmp_path / "reports")
    data = make_data(tmp_path / "data", port, recipients=RECIPIENTS)
    # The manifest knows this data: the CLI checks team and quarter without loading it.
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["data"]["digest"] = DataSource.of(data).digest()
    (out / "manifest.json").write_text(json.dumps(manifest))
    rendered = []

    def render_reports(notebook, source, out_dir, quarters, teams, **kwargs):
        rendered.append((quarters, teams))
        return [ReportOutcome(t, quarters[0], ok=t not in failed_render) for t in teams]

    monkeypatch.setattr(runner, "render_reports", render_reports)
    result = CliRunner().invoke(
        main, ["reports", "--data", str(data), "--out", str(out), "--send"], env={}
    )
    assert result.exit_code == expected, result.output
    assert rendered == [(["2026Q3"], ["emea-ent", "na-ent", "all"])]
    delivered = sorted(by_recipient(handler))
    assert delivered == sorted(
        {"ana@example.com", "bob@example.com", "cro@example.com"} - set(refuse)
    )
