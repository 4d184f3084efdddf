"""Check the rendered pages in a real browser (headless Chromium) and take screenshots.

For each page: console errors (JavaScript errors, resources that fail to load), links whose
target does not exist (local files, and ``#anchors`` on the page), images that do not load,
and the rows of each verdict table. Driven by Selenium with Debian's ``chromium`` and
``chromium-driver`` (``apt-get install chromium chromium-driver``).

    python -m analysis.report.browser [--reports reports] [--screenshots reports/screenshots]

checks reports/index.html and every report view, writes a screenshot of the index and of one
report view per election, and exits 1 when a page has a problem (0 with a note when no
browser is installed).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from analysis.report.render import REPORT_SUFFIX

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
WINDOW = (1300, 1800)

# Lazy images load only near the viewport: load them all, then wait until each has finished.
_LOAD_IMAGES = """
const done = arguments[arguments.length - 1];
Array.from(document.images).forEach(i => { i.loading = 'eager'; });
const deadline = Date.now() + 15000;
(function wait() {
  if (Array.from(document.images).every(i => i.complete) || Date.now() > deadline) { done(true); }
  else { setTimeout(wait, 50); }
})();
"""

# Every link and image of the page, resolved by the browser, with whether an image loaded.
_COLLECT = """
return {
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  images: Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0]),
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  verdicts: Object.fromEntries(Array.from(document.querySelectorAll('table.verdicts')).map(
      t => [t.id, t.tBodies[0] ? t.tBodies[0].rows.length : 0])),
};
"""


@dataclass(frozen=True)
class PageCheck:
    """What the browser found on one page."""

    page: Path
    console_errors: tuple[str, ...] = ()
    broken_links: tuple[str, ...] = ()
    broken_images: tuple[str, ...] = ()
    verdict_rows: dict[str, int] = field(default_factory=dict)
    screenshot: Path | None = None

    @property
    def ok(self) -> bool:
        return not (self.console_errors or self.broken_links or self.broken_images)

    def problems(self) -> list[str]:
        return (
            [f"console: {m}" for m in self.console_errors]
            + [f"broken link: {u}" for u in self.broken_links]
            + [f"image not loaded: {u}" for u in self.broken_images]
        )


def find_browser() -> tuple[str, str] | None:
    """(browser, driver) executables, or None where Chromium or its driver is not installed."""
    browser = next((p for name in BROWSERS if (p := shutil.which(name))), None)
    driver = next((p for name in DRIVERS if (p := shutil.which(name))), None)
    return (browser, driver) if browser and driver else None


def _driver(browser: str, driver: str):
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--hide-scrollbars",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.set_script_timeout(30)
    return chrome


def _broken_links(page: Path, links: list[str], ids: set[str]) -> list[str]:
    broken = []
    for url in links:
        parsed = urlparse(url)
        if parsed.scheme == "file":
            target = Path(unquote(parsed.path))
            if not target.exists():
                broken.append(url)
            elif parsed.fragment and target == page.resolve() and parsed.fragment not in ids:
                broken.append(url)
        elif parsed.scheme in ("http", "https"):
            broken.append(f"{url} (external: the reports must open offline)")
    return broken


def check_pages(pages: list[Path], screenshots: dict[Path, Path] | None = None) -> list[PageCheck]:
    """Load each page in headless Chromium; screenshot those named in ``screenshots``."""
    found = find_browser()
    if found is None:
        raise RuntimeError("no Chromium: apt-get install chromium chromium-driver")
    screenshots = screenshots or {}
    driver = _driver(*found)
    out = []
    try:
        for given in pages:
            page = given.resolve()
            driver.get(page.as_uri())
            driver.execute_async_script(_LOAD_IMAGES)
            info = driver.execute_script(_COLLECT)
            errors = tuple(e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE")
            shot = screenshots.get(page)
            if shot is not None:
                shot.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(shot))
            out.append(
                PageCheck(
                    page=page,
                    console_errors=errors,
                    broken_links=tuple(_broken_links(page, info["links"], set(info["ids"]))),
                    broken_images=tuple(src for src, loaded in info["images"] if not loaded),
                    verdict_rows=dict(info["verdicts"]),
                    screenshot=shot,
                )
            )
    finally:
        driver.quit()
    return out


def report_pages(reports_dir: Path) -> list[Path]:
    """The index and every report view under ``reports_dir``."""
    return [reports_dir / "index.html", *sorted((reports_dir / "notebooks").glob(f"*/*{REPORT_SUFFIX}"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.report.browser", description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--screenshots", type=Path, default=None, help="default: <reports>/screenshots")
    args = parser.parse_args(argv)
    if find_browser() is None:
        print("browser check skipped: no Chromium (apt-get install chromium chromium-driver)")
        return 0
    pages = [p for p in report_pages(args.reports) if p.exists()]
    shots_dir = args.screenshots or args.reports / "screenshots"
    shots = {pages[0].resolve(): shots_dir / "index.png"} if pages else {}
    seen = set()
    for page in pages[1:]:
        election = page.parent.name
        if election not in seen:  # one report view per election
            seen.add(election)
            shots[page.resolve()] = shots_dir / f"{election}__{page.name.removesuffix(REPORT_SUFFIX)}.png"
    checks = check_pages(pages, shots)
    bad = [c for c in checks if not c.ok]
    for c in bad:
        for problem in c.problems():
            print(f"{c.page}: {problem}", file=sys.stderr)
    print(f"browser check: {len(checks)} pages, {len(bad)} with problems; screenshots in {shots_dir}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
