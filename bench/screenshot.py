"""The README's screenshot of a results page, taken in the real browser (Debian's chromium
through Playwright): the server on an index, one query, its first copy group opened.

    python bench/screenshot.py --index DIR --query 'QUERY' [--args 'from=…&to=…']
                               [--out docs/research.png] [--suggest PREFIX]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--index", required=True)
    p.add_argument("--query", required=True)
    p.add_argument("--args", default="", help="more query-string arguments")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "research.png")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=1500)
    args = p.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "web", "--port", str(port), "--index",
                               args.index, "--workers", "1"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # count-bounded wait for the server to answer
            try:
                urlopen(base + "/healthz").read()
                break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            url = f"{base}/?{urlencode({'q': args.query})}" + (f"&{args.args}" if args.args
                                                                 else "")
            page.goto(url)
            details = page.locator("details.copies")
            if details.count():
                details.first.locator("summary").click()
            page.screenshot(path=str(args.out), full_page=False)
            print(f"{url} -> {args.out} ({details.count()} copy groups on the page)")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
