"""Screenshot page one of a rendered report in headless Chromium (for the README).

    python docs/screenshot.py reports/2026Q3/all.html docs/page-one.png [--width 1280]

Uses Playwright with the system's Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``); every
request that is not a local file is refused, as for a reader without network.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> None:
    """Open the report offline, take the screenshot (and the PDF)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1100)
    parser.add_argument("--full", action="store_true", help="the whole page, not its first screen")
    parser.add_argument("--pdf", type=Path, help="also print the page to this A4 PDF")
    args = parser.parse_args()
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file://") else route.abort()
            ),
        )
        page.goto(args.report.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(args.png), full_page=args.full)
        if args.pdf:
            page.pdf(path=str(args.pdf), format="A4", print_background=True)
        browser.close()


if __name__ == "__main__":
    main()
