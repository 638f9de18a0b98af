"""Where participants join: the address their laptops can reach, as a link and a QR code."""

from __future__ import annotations

import socket

ANY_ADDRESS = ("0.0.0.0", "")
# A documentation-only address (RFC 5737): connecting a UDP socket to it sends no packet,
# but makes the system choose the interface it would route through, i.e. the LAN address.
_PROBE = ("192.0.2.1", 9)


def lan_address() -> str | None:
    """The address of this machine on its local network, or None when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_PROBE)
            found = probe.getsockname()[0]
        except OSError:
            return None
    return None if found.startswith("127.") or found == "0.0.0.0" else found


def join_url(ip: str, port: int, path: str = "/") -> str:
    """The address participants open: the LAN address when serving on every interface.

    Examples
    --------
    >>> join_url("127.0.0.1", 8866)
    'http://127.0.0.1:8866/'
    """
    host = ip
    if ip in ANY_ADDRESS:
        host = lan_address() or "127.0.0.1"
    return f"http://{host}:{port}{path}"


def qr_svg(url: str, *, scale: int = 6) -> str:
    """A QR code of ``url`` as inline SVG, drawn here (segno), nothing fetched."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=scale, border=2)
