"""Mail the quarterly pack: each team's report to its recipients, the index to leadership.

``workbook send`` (and ``workbook reports --send``) use :func:`send_reports`; the rooms are
:mod:`.plan` (what goes to whom, from the manifest), :mod:`.log` (what went out, so nothing
goes twice) and :mod:`.smtp` (the connection and what a failure means).
"""

from .log import LOG_NAME, DeliveryLog
from .plan import Parcel, Plan, plan_parcels
from .run import MailOutcome, SendResult, build_message, send_reports

__all__ = [
    "LOG_NAME",
    "DeliveryLog",
    "MailOutcome",
    "Parcel",
    "Plan",
    "SendResult",
    "build_message",
    "plan_parcels",
    "send_reports",
]
