"""Write the messy export fixtures byte for byte (BOMs, CRLF and cp1252 bytes exact).

Run from the repository root: ``.venv/bin/python tests/data/messy/make_fixtures.py``. The
files are committed; this script documents exactly what each one holds.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
BOM = b"\xef\xbb\xbf"

FIXTURES: dict[str, bytes] = {
    # HubSpot-like: UTF-8 with a byte-order mark, comma, LF, US dates and dollar amounts.
    "contacts_bom.csv": BOM
    + (
        b"Record ID,Create Date,Original Source,Amount\n"
        b'101,3/5/2026 2:30 PM,Google,"$1,200.00"\n'
        b"102,03/15/2026 9:05 AM,google ,(1200)\n"
        b"103,12/31/2025,Select,-\n"
    ),
    # Salesforce-like from a European locale: ';', a trailing ';' on every line, CRLF,
    # dotted dates and decimal-comma amounts.
    "leads_semicolon.csv": (
        "Lead ID;Created;Amount;\r\n00Q1;05.03.2026 14:30;1.200,00 €;\r\n00Q2;31.12.2025;-3,5;\r\n"
    ).encode(),
    "deals_tabs.tsv": b"Deal\tStage\tAmount\nD-1\tClosed Won\t1200\nD-2\tN/A\t\n",
    "owners_pipes.txt": b"owner|team\nAda Lovelace|emea\n",
    # Windows line endings, and a quoted comment holding a Windows line break.
    "crlf_multiline.csv": b'ID,Comment\r\n1,"first line\r\nsecond line"\r\n2,plain\r\n',
    # Windows-1252: 0xE9 is e-acute, 0x80 the euro sign; neither is valid UTF-8 here.
    "cp1252.csv": b'Company,Amount\r\nCaf\xe9 Noir,"\x80 1.200,00"\r\n',
    # Blank and whitespace-only lines are skipped; ",," and '""' lines are rows.
    "blank_lines.csv": b'a,b\n\n1,2\n   \n,\n""\n3,4\n',
    # A quoted multi-line comment before invalid dates: lines differ from row index + 2.
    # rows: 0 -> line 2 (to 3), 1 -> line 4, blank line 5, 2 -> line 6 (to 8), 3 -> line 9
    "multiline_dates.csv": (
        b"Record ID,Comment,Create Date\r\n"
        b'1,"first line\r\nsecond line",03/15/2026\r\n'
        b"2,plain,02/30/2026\r\n"
        b"\r\n"
        b'3,"a\r\nb\r\nc",04/01/2026\r\n'
        b"4,x,02/29/2025\r\n"
    ),
    # Malformed files.
    "ragged.csv": b"a,b\n1,2\n3,4,5\n\n6,7,8\n",
    "unclosed_quote.csv": b'a,b\n1,2\n3,"four\n5,6\n',
    "duplicate_header.csv": b"Name,Amount, Name\nx,1,y\n",
    "empty.csv": b"",
    "blank.csv": b"\r\n  \r\n",
    "header_only.csv": b"Record ID,Create Date\r\n",
    "unnamed_values.csv": b"a,,c\n1,2,3\n4,,6\n",
}


def main() -> None:
    for name, data in FIXTURES.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
