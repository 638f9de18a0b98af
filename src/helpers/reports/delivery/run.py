"""``workbook send``: mail each report of a quarter to its recipients, once.

The plan (:mod:`.plan`) says which report goes to whom; the log (:mod:`.log`) says what went
out already; each mail goes to one recipient through one kept SMTP connection (:mod:`.smtp`).
A passing failure is tried again after a pause that doubles each time, up to
``[delivery] attempts``; a permanent refusal is not retried; either way the other recipients
are served, and the outcome is reported per recipient. When the server cannot be reached at
all for one recipient, the rest are reported "not tried" at once instead of each waiting
through the same retries.

Exit status (:attr:`SendResult.exit_code`): 0 every mail sent, now or before; 1 a report with
recipients is not sendable (not rendered, last render failed, file changed); 3 a mail failed
(run again later: what went out is not sent again). Errors that stop the run before anything
is sent (settings, password, login) exit 2.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from ...data.config import Delivery
from ...errors import DeliveryBusy, DeliveryError, ParameterError
from .log import LOG_NAME, DeliveryLog
from .plan import Parcel, Plan, plan_parcels
from .smtp import Mailer, Unreachable, failure

LOCK_NAME = ".delivery.lock"

SENT, ALREADY, FAILED, NOT_TRIED, WOULD_SEND = (
    "sent",
    "already sent",
    "failed",
    "not tried",
    "would send",
)


@dataclass(frozen=True)
class MailOutcome:
    """What became of one mail (one report to one recipient)."""

    report: str
    recipient: str
    status: str
    detail: str = ""
    attempts: int = 0


@dataclass
class SendResult:
    """Every mail's outcome and the plan they came from."""

    plan: Plan
    outcomes: list[MailOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Number of mails with this status."""
        return sum(o.status == status for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        """0 all delivered; 1 a report was not sendable; 3 a mail failed (see the module)."""
        if self.plan.unsendable:
            return 1
        if any(o.status in (FAILED, NOT_TRIED) for o in self.outcomes):
            return 3
        return 0

    def summary(self) -> str:
        """One line: how many mails went, had gone, failed; reports not sendable."""
        parts = [
            f"{self.count(WOULD_SEND)} would be sent" if self.count(WOULD_SEND) else "",
            f"{self.count(SENT)} sent" if not self.count(WOULD_SEND) else "",
            f"{self.count(ALREADY)} already sent",
            f"{self.count(FAILED) + self.count(NOT_TRIED)} failed",
            f"{len(self.plan.unsendable)} report(s) not sendable",
        ]
        return "mails: " + ", ".join(p for p in parts if p)


def send_reports(
    out_dir: Path,
    delivery: Delivery,
    *,
    quarters: Sequence[str] = (),
    teams: Sequence[str] = (),
    dry_run: bool = False,
    settings_file: str = "workbook.toml",
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    echo: Callable[[str, bool], None] | None = None,
) -> SendResult:
    """Mail the reports of ``out_dir`` to their recipients, each at most once.

    Parameters
    ----------
    out_dir : Path
        The report folder (its ``manifest.json``; the log goes to ``delivery.json`` there).
    delivery : Delivery
        ``[smtp]`` and ``[delivery]`` of the data folder's ``workbook.toml``.
    quarters, teams : sequence of str
        As for :func:`~helpers.reports.delivery.plan.plan_parcels`.
    dry_run : bool
        Only say what would go where; nothing is sent, no password needed, no log written.
    settings_file : str
        How messages name the settings file.
    environ : mapping, optional
        Where the password is looked up (default ``os.environ``).
    sleep : callable
        Waits between attempts (``time.sleep``; tests pass a recorder).
    echo : callable, optional
        ``echo(line, is_error)`` for each line of progress, as it happens.

    Returns
    -------
    SendResult

    Raises
    ------
    ParameterError
        No manifest, an unknown team or quarter, nobody to send to, an unreadable log.
    DeliveryError
        Delivery not set up (host, sender), the password variable unset, login or TLS refused.
    DeliveryBusy
        Another ``workbook send`` holds the folder's delivery lock.
    """
    out_dir = Path(out_dir)
    say = echo or (lambda line, is_error=False: None)
    plan = plan_parcels(
        out_dir, delivery, quarters=quarters, teams=teams, settings_file=settings_file
    )
    result = SendResult(plan)
    log = _read_log(out_dir)
    smtp = delivery.smtp
    password = None
    if dry_run:
        if smtp.host and smtp.sender:
            login = f" as {smtp.user}" if smtp.user else ""
            say(f"through {smtp.host}:{smtp.port} ({smtp.security}){login}, from {smtp.sender}")
        else:
            say(f"note: {_not_set_up(settings_file)}", True)
        env = os.environ if environ is None else environ
        if smtp.user and not env.get(smtp.password_env):
            say(f"note: ${smtp.password_env} is not set; a real send would stop", True)
    else:
        password = _password(delivery, settings_file, environ)
    _report_plan(plan, say)
    pending: list[tuple[Parcel, str]] = []
    for parcel in plan.parcels:
        for recipient in parcel.recipients:
            done = log.sent(parcel.report, parcel.digest, recipient)
            if done is not None:
                outcome = MailOutcome(parcel.report, recipient, ALREADY, str(done.get("at")))
                result.outcomes.append(outcome)
                say(f"already sent  {parcel.report} -> {recipient} ({done.get('at')})")
            elif dry_run:
                result.outcomes.append(MailOutcome(parcel.report, recipient, WOULD_SEND))
                files = ", ".join(f"{a.filename} ({_size(a.size)})" for a in parcel.attachments)
                say(f"would send    {parcel.report} -> {recipient}: {files}")
            else:
                pending.append((parcel, recipient))
    if pending:
        with _lock(out_dir):
            log = _read_log(out_dir)  # another run may have sent some meanwhile
            _send(pending, delivery, password, log, result, sleep, say)
    return result


def _send(pending, delivery, password, log, result, sleep, say) -> None:
    mailer = Mailer(delivery.smtp, password)
    unreachable: str | None = None
    payloads: dict[str, list[bytes]] = {}
    try:
        for parcel, recipient in pending:
            if log.sent(parcel.report, parcel.digest, recipient) is not None:
                result.outcomes.append(MailOutcome(parcel.report, recipient, ALREADY))
                continue
            if unreachable is not None:
                outcome = MailOutcome(parcel.report, recipient, NOT_TRIED, unreachable)
                result.outcomes.append(outcome)
                say(f"not tried     {parcel.report} -> {recipient}: {unreachable}", True)
                continue
            if parcel.report not in payloads:
                payloads = {parcel.report: [a.path.read_bytes() for a in parcel.attachments]}
            sender = delivery.smtp.sender
            message = build_message(parcel, recipient, sender, payloads[parcel.report])
            outcome, lost = _deliver(mailer, message, parcel, recipient, delivery, sleep)
            result.outcomes.append(outcome)
            if outcome.status == SENT:
                log.record(
                    parcel.report,
                    parcel.digest,
                    recipient,
                    status="sent",
                    attempts=outcome.attempts,
                    message_id=str(message["Message-ID"]),
                )
                tries = f" ({outcome.attempts} attempts)" if outcome.attempts > 1 else ""
                say(f"sent          {parcel.report} -> {recipient}{tries}")
            else:
                log.record(
                    parcel.report,
                    parcel.digest,
                    recipient,
                    status="failed",
                    attempts=outcome.attempts,
                    error=outcome.detail,
                )
                say(f"FAILED        {parcel.report} -> {recipient}: {outcome.detail}", True)
                if lost:
                    unreachable = f"the server could not be reached ({outcome.detail})"
    finally:
        mailer.close()


def _deliver(mailer, message, parcel, recipient, delivery, sleep) -> tuple[MailOutcome, bool]:
    """Send one mail with bounded retries; the outcome and whether the server was unreachable."""
    last, lost = "", False
    for attempt in range(1, delivery.attempts + 1):
        try:
            mailer.send(message, recipient)
        except DeliveryError:
            raise
        except Exception as err:  # noqa: BLE001 - every other failure is this mail's
            permanent, text = failure(err)
            if permanent:
                detail = f"{text} (permanent refusal, not retried)"
                return MailOutcome(parcel.report, recipient, FAILED, detail, attempt), False
            last, lost = text, isinstance(err, Unreachable)
            if attempt < delivery.attempts:
                sleep(delivery.backoff_seconds * 2 ** (attempt - 1))
            continue
        return MailOutcome(parcel.report, recipient, SENT, "", attempt), False
    detail = f"{last} (gave up after {delivery.attempts} attempt(s))"
    return MailOutcome(parcel.report, recipient, FAILED, detail, delivery.attempts), lost


def build_message(
    parcel: Parcel, recipient: str, sender: str, payloads: Sequence[bytes]
) -> EmailMessage:
    """The mail of ``parcel`` to ``recipient``: text and HTML body, the files attached.

    Headers say it is automatic (``Auto-Submitted: auto-generated``, RFC 3834, so no
    out-of-office reply comes back) and which report and digest it carries.
    """
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = parcel.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid("alignment-review", domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message["X-Alignment-Workbook-Report"] = parcel.report
    message["X-Alignment-Workbook-Digest"] = parcel.digest
    message.set_content(parcel.text)
    message.add_alternative(parcel.html, subtype="html")
    for attachment, data in zip(parcel.attachments, payloads, strict=True):
        message.add_attachment(data, maintype="text", subtype="html", filename=attachment.filename)
    return message


def _report_plan(plan: Plan, say) -> None:
    for item in plan.unsendable:
        who = ", ".join(item.recipients)
        say(f"not sendable  {item.report} -> {who}: {item.reason}", True)
    for key in plan.unaddressed:
        say(f"no recipients {key} (list them under [delivery.recipients] to mail it)")


def _read_log(out_dir: Path) -> DeliveryLog:
    try:
        return DeliveryLog.read(out_dir)
    except (ValueError, OSError) as err:
        raise ParameterError(
            f"{out_dir / LOG_NAME}: cannot be read as the delivery log ({err}); without it every "
            "report would be sent again. Fix: restore it, or move it aside if sending everything "
            "again is what you want."
        ) from None


def _not_set_up(settings_file: str) -> str:
    return (
        f"{settings_file}: mail delivery is not set up ([smtp] host and sender are needed). "
        'Fix: add [smtp] with host = "smtp.example.com", sender = "revops-reports@example.com" '
        "(and user, if the server needs a login; the password goes in $WORKBOOK_SMTP_PASSWORD)."
    )


def _password(delivery: Delivery, settings_file: str, environ) -> str | None:
    smtp = delivery.smtp
    if not smtp.host or not smtp.sender:
        raise DeliveryError(_not_set_up(settings_file))
    if not smtp.user:
        return None
    env = os.environ if environ is None else environ
    password = env.get(smtp.password_env)
    if not password:
        raise DeliveryError(
            f"the environment variable {smtp.password_env} (named by [smtp] password_env in "
            f"{settings_file}) is not set, so {smtp.user!r} cannot log in to {smtp.host}. Fix: "
            f"export {smtp.password_env}=... in the job's environment (e.g. a systemd "
            "EnvironmentFile readable by that user only); nothing was sent."
        )
    return password


class _lock:
    """An exclusive lock on the folder's delivery log, so two runs never send the same mail."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / LOCK_NAME
        self.handle = None

    def __enter__(self) -> _lock:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return self
        self.handle = open(self.path, "a")  # noqa: SIM115 - held until __exit__
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise DeliveryBusy(
                f"{self.path.parent}: another `workbook send` is mailing from this folder. "
                "Run again when it has finished: what it sent is not sent again."
            ) from None
        return self

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            self.handle.close()


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 100_000 else f"{n_bytes / 1e3:.0f} kB"
