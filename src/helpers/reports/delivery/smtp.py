"""One SMTP connection, kept open across mails, and what a failure means for a retry.

Built on the standard library's :mod:`smtplib` and :mod:`ssl`: "starttls" upgrades the
connection before anything else and refuses a server that does not offer STARTTLS (never
falling back to plain text); "tls" speaks TLS from the first byte; certificates are checked
against the system's trust store. A failure is sorted into three kinds:

- the whole run cannot go on (:class:`~helpers.errors.DeliveryError`): login refused,
  STARTTLS missing, a certificate that does not verify. Every other mail would fail the same.
- permanent for this mail: a 5xx reply (``550 no such mailbox``); retrying cannot help.
- passing: a 4xx reply, a dropped connection, a timeout; tried again after a pause.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from ...data.config import Smtp
from ...errors import DeliveryError


class Unreachable(Exception):
    """The server could not be reached or greeted (a passing failure of the connection)."""


class Mailer:
    """Sends mails through one SMTP server, connecting on first use and again after a drop.

    Parameters
    ----------
    smtp : Smtp
        Host, port, security, login and sender (``[smtp]`` of ``workbook.toml``).
    password : str or None
        The password (from the environment); ``None`` when ``smtp.user`` is empty.
    """

    def __init__(self, smtp: Smtp, password: str | None):
        self.smtp = smtp
        self.password = password
        self._server: smtplib.SMTP | None = None

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Send ``message`` to ``recipient`` alone (the envelope names no one else).

        Raises
        ------
        DeliveryError
            When the run cannot go on (see the module docstring).
        Unreachable
            When the server cannot be reached.
        smtplib.SMTPException, OSError
            When this mail failed; see :func:`failure`.
        """
        if self._server is None:
            self._server = self._connect()
        try:
            self._server.send_message(message, self.smtp.sender, [recipient])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            raise  # the session is still good: smtplib reset it
        except BaseException:
            self.drop()
            raise

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        where = f"{smtp.host}:{smtp.port}"
        context = ssl.create_default_context()
        try:
            if smtp.security == "tls":
                server: smtplib.SMTP = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=context
                )
            else:
                server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        except ssl.SSLError as err:
            raise _tls_failed(where, err) from err
        except (OSError, smtplib.SMTPException) as err:
            raise Unreachable(f"cannot reach {where}: {_reason(err)}") from err
        try:
            server.ehlo()
            if smtp.security == "starttls":
                if not server.has_extn("starttls"):
                    raise DeliveryError(
                        f"{where} does not offer STARTTLS, so the mails would cross the network "
                        'unencrypted. Fix: use its TLS port with [smtp] security = "tls" (port '
                        '465), or security = "none" only for a relay on this machine.'
                    )
                server.starttls(context=context)
                server.ehlo()
            if smtp.user:
                server.login(smtp.user, self.password or "")
        except smtplib.SMTPAuthenticationError as err:
            _quietly_close(server)
            raise DeliveryError(
                f"{where} refused the login of {smtp.user!r} ({_reason(err)}). Fix: check "
                f"[smtp] user and the password in ${smtp.password_env}."
            ) from err
        except smtplib.SMTPNotSupportedError as err:
            _quietly_close(server)
            raise DeliveryError(
                f"{where} offers no login (AUTH), but [smtp] user is {smtp.user!r}. Fix: set "
                'user = "" for a relay that needs none, or use the submission port (587).'
            ) from err
        except ssl.SSLError as err:
            _quietly_close(server)
            raise _tls_failed(where, err) from err
        except DeliveryError:
            _quietly_close(server)
            raise
        except (OSError, smtplib.SMTPException) as err:
            _quietly_close(server)
            raise Unreachable(f"{where} dropped the connection: {_reason(err)}") from err
        return server

    def drop(self) -> None:
        """Forget the connection (after a failure it may be unusable)."""
        if self._server is not None:
            _quietly_close(self._server)
            self._server = None

    def close(self) -> None:
        """Say goodbye to the server and close the connection."""
        if self._server is not None:
            try:
                self._server.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.drop()


def failure(err: BaseException) -> tuple[bool, str]:
    """Whether a failed send is permanent for that mail, and the failure in one line.

    Parameters
    ----------
    err : Exception
        What :meth:`Mailer.send` raised (not a :class:`DeliveryError`).

    Returns
    -------
    tuple of (bool, str)
        ``(True, ...)`` for a 5xx reply, which a retry cannot change; ``(False, ...)`` for a
        4xx reply, a dropped connection, a timeout or an unreachable server.

    Examples
    --------
    >>> failure(smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")}))
    (True, '550 no such user')
    >>> failure(TimeoutError("timed out"))
    (False, 'TimeoutError: timed out')
    """
    if isinstance(err, Unreachable):
        return False, str(err)
    if isinstance(err, smtplib.SMTPRecipientsRefused) and err.recipients:
        code, reply = next(iter(err.recipients.values()))
        return code >= 500, f"{code} {_text(reply)}"
    if isinstance(err, smtplib.SMTPResponseException):
        return err.smtp_code >= 500, f"{err.smtp_code} {_text(err.smtp_error)}"
    return False, _reason(err)


def _reason(err: BaseException) -> str:
    if isinstance(err, smtplib.SMTPResponseException):
        return f"{err.smtp_code} {_text(err.smtp_error)}"
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _tls_failed(where: str, err: ssl.SSLError) -> DeliveryError:
    return DeliveryError(
        f"TLS with {where} failed ({_reason(err)}). Fix: check [smtp] host (the name on its "
        "certificate), port and security; a server with a private CA needs that CA in the "
        "system's trust store."
    )


def _quietly_close(server: smtplib.SMTP) -> None:
    try:
        server.close()
    except OSError:
        pass
