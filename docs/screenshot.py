"""Take the README's picture of the console: docs/console.png.

Runs ``swarmscope demo --faults crm-outage`` as a user would (its embedded server on a free
port, its store in a temporary directory), waits until the embedded server's alerts fire,
then opens the console's overview in Debian's Chromium through Playwright and saves the
page. Run it from the repository's ``.venv`` after ``python3 tasks.py test`` set it up:

    .venv/bin/python docs/screenshot.py [--out docs/console.png] [--seconds 45]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent


def console_url(demo: subprocess.Popen[str], deadline: float) -> str:
    """The console URL the demo prints once its server is up."""
    assert demo.stdout is not None
    for line in demo.stdout:
        if line.startswith("console "):
            return line.split()[1].rstrip("/")
        if time.monotonic() > deadline:
            break
    raise SystemExit("the demo printed no console URL; see its logs")


def shoot(console: str, out: Path, seconds: float) -> None:
    """The overview once an alert fires (reloaded until then, for at most ``seconds``): the
    picture shows a demo with trouble in it."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        page = browser.new_page(viewport={"width": 1280, "height": 760})
        deadline = time.monotonic() + seconds
        while True:
            page.goto(f"{console}/#/overview?window=15m")
            page.reload()
            firing = page.locator("a.tile[data-trend=alerts_firing] .value")
            firing.wait_for()
            if firing.inner_text() != "0" or time.monotonic() > deadline:
                break
            time.sleep(1)
        page.screenshot(path=out)
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "console.png")
    parser.add_argument("--seconds", type=float, default=45.0, help="demo time before the shot")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "swarmscope", "demo", "--faults", "crm-outage"]
        command += ["--port", "0", "--server-port", "0", "--rate", "3"]
        command += ["--data", f"{scratch}/data", "--log-dir", f"{scratch}/logs"]
        demo = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            console = console_url(demo, time.monotonic() + 60)
            # The demo's later lines are read and dropped, so it never blocks on a full pipe.
            threading.Thread(target=demo.stdout.read, daemon=True).start()  # type: ignore[union-attr]
            time.sleep(options.seconds)
            shoot(console, options.out, options.seconds)
        finally:
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=60)
    print(f"{options.out}: {options.out.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
