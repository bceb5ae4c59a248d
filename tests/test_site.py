"""The tutorial site (`make site`): it builds without a warning, needs nothing from the network, and in
headless Chromium every page loads without a console error, every image loads, every formula is typeset
and every internal link resolves (the page, and the #anchor in it). Screenshots of the home page and one notebook page go to
build/site-screenshots/ for a person to look at.

Run with `make site-test` (installs Debian's chromium when missing, as root). Chromium is driven by
playwright's Python package over the DevTools protocol, with the system's /usr/bin/chromium (playwright's
own browser download is not used). The `browser` marker keeps these tests out of `make test`.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import urlopen

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "site"
SCREENSHOTS = ROOT / "build" / "site-screenshots"
#: The notebook page whose screenshot is kept: it ends with the verdict table.
NOTEBOOK_SHOWN = "notebooks/06_joint_hierarchical.html"
#: Without these, Chromium tries Google's services at start-up, and this machine's closed network refuses them.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _Links(HTMLParser):
    """What a page loads (script src, link href, img src), where it links to (a href) and its ids."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.loads.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.loads.append(attrs["href"])


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _is_external(url: str) -> bool:
    return bool(urlsplit(url).scheme in ("http", "https") or url.startswith("//"))


@pytest.fixture(scope="module")
def site() -> Path:
    """The site, built afresh (incrementally) with the command `make site` runs; a warning fails it."""
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "build_site.py")], capture_output=True, text=True)
    assert result.returncode == 0, f"docs/build_site.py failed:\n{result.stdout}\n{result.stderr}"
    return SITE


@pytest.fixture(scope="module")
def pages(site) -> list[str]:
    """Every HTML page of the site, as a path relative to its root."""
    found = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "_static" not in p.parts)
    assert "index.html" in found and NOTEBOOK_SHOWN in found, found
    return found


@pytest.fixture(scope="module")
def server(site):
    """build/site served on a free port of 127.0.0.1 for the duration of the module."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line per request would drown pytest's output
        pass


def test_the_site_shows_every_notebook_and_codebook(site, pages):
    expected = {f"notebooks/{p.stem}.html" for p in (ROOT / "notebooks").glob("*.ipynb")}
    expected |= {"README.html", "data/README.html", "data/examples/README.html", "data/meta/README.html"}
    assert expected <= set(pages), f"pages missing from the site: {sorted(expected - set(pages))}"


def test_no_page_loads_anything_from_the_network(site, pages):
    """The site works offline: every script, style sheet, image and font comes from the site itself."""
    external = [(page, url) for page in pages for url in _parse((site / page).read_text()).loads if _is_external(url)]
    css_urls = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""")
    external += [(css.relative_to(site).as_posix(), url) for css in site.rglob("*.css")
                 for url in css_urls.findall(css.read_text(errors="replace"))]
    assert not external, f"the site loads from the network (page, url): {external}"


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        pytest.skip("Debian's chromium is not installed: `make site-test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # playwright starts it headless, with a fresh temporary --user-data-dir of its own.
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def visits(browser, server, pages) -> dict[str, dict]:
    """Every page opened once in Chromium: its console errors, failed requests, images and links."""
    results = {}
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # so that a screenshot left by an earlier run cannot pass
    SCREENSHOTS.mkdir(parents=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    for page_path in pages:
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda msg, p=problems: p.append(f"console error: {msg.text} ({msg.location.get('url')})")
                if msg.type == "error" else None)
        page.on("response", lambda res, p=problems: p.append(f"HTTP {res.status}: {res.url}")
                if res.status >= 400 else None)
        page.on("pageerror", lambda error, p=problems: p.append(f"uncaught exception: {error}"))
        page.on("requestfailed", lambda req, p=problems: p.append(f"request failed: {req.url} ({req.failure})"))
        page.on("request", lambda req, p=problems: p.append(f"request outside the site: {req.url}")
                if not req.url.startswith((server, "data:", "blob:", "about:")) else None)
        response = page.goto(server + page_path, wait_until="networkidle")
        # Images below the fold may be loaded lazily; load them all, then read their sizes.
        images = page.evaluate("""async () => {
            const images = Array.from(document.images);
            images.forEach(img => { img.loading = "eager"; });
            await Promise.all(images.map(img => img.decode().catch(() => null)));
            return images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
        }""")
        links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        # MathJax typesets after the page has loaded; a TeX error is drawn in the page, not logged.
        math = page.evaluate("""async () => {
            if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
            return {formulas: document.querySelectorAll(".math").length,
                    typeset: document.querySelectorAll(".math mjx-container").length,
                    errors: Array.from(document.querySelectorAll("mjx-merror, [data-mml-node=merror]"),
                                       e => e.getAttribute("data-mjx-error") || e.textContent)};
        }""")
        if page_path == "index.html":
            page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)
        if page_path == NOTEBOOK_SHOWN:
            page.screenshot(path=str(SCREENSHOTS / "notebook.png"))
        results[page_path] = {"status": response.status, "problems": problems, "images": images, "links": links,
                               "math": math}
        page.close()
    context.close()
    return results


def test_every_page_loads_without_console_errors(visits):
    failures = {page: v["problems"] for page, v in visits.items() if v["status"] != 200 or v["problems"]}
    assert not failures, f"pages with errors: {failures}"


def test_every_image_loads(visits):
    assert any(v["images"] for v in visits.values()), "no page has an image: the notebooks' figures are missing"
    broken = [(page, img["src"]) for page, v in visits.items() for img in v["images"] if img["width"] == 0]
    assert not broken, f"images that did not load (page, src): {broken}"


def test_the_notebooks_show_their_stored_figures(visits):
    """Every notebook with a PNG output shows at least as many images as it stores figures."""
    import json

    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        stored = sum("image/png" in output.get("data", {})
                     for cell in json.loads(notebook.read_text())["cells"] for output in cell.get("outputs", []))
        shown = len(visits[f"notebooks/{notebook.stem}.html"]["images"])
        assert shown >= stored, f"{notebook.name} stores {stored} figures, its page shows {shown} images"


def test_every_formula_is_typeset(visits):
    """MathJax (served by the site itself) draws every formula, without a TeX error."""
    assert sum(v["math"]["formulas"] for v in visits.values()) > 0, "no page has a formula: math is not rendered"
    wrong = {page: v["math"] for page, v in visits.items()
             if v["math"]["errors"] or v["math"]["typeset"] < v["math"]["formulas"]}
    assert not wrong, f"formulas not typeset (page: formulas, typeset, TeX errors): {wrong}"


def test_every_internal_link_resolves(visits, server):
    """Every link to the site answers 200, and a link with #anchor finds an element with that id."""
    targets = {urldefrag(link) for v in visits.values() for link in v["links"] if link.startswith(server)}
    assert any(fragment for _, fragment in targets), "no internal link with an #anchor found: the link collection broke"
    ids: dict[str, set[str] | None] = {}
    for url in sorted({url for url, _ in targets}):  # each page fetched once, whatever its anchors
        try:
            with urlopen(url) as response:
                body = response.read().decode("utf-8", errors="replace")
                ids[url] = _parse(body).ids if response.headers.get_content_type() == "text/html" else set()
        except HTTPError:
            ids[url] = None
    broken = [url for url, found in ids.items() if found is None]
    missing_anchors = [f"{url}#{fragment}" for url, fragment in sorted(targets)
                       if fragment and ids[url] is not None and fragment not in ids[url]]

    def linked_from(url: str) -> list[str]:  # so that the message says where to look
        return sorted({page for page, v in visits.items() for link in v["links"]
                       if link == url or urldefrag(link).url == url})

    assert not broken, f"links to missing pages (link: pages with it): {[(u, linked_from(u)) for u in broken]}"
    assert not missing_anchors, \
        f"links to missing anchors (link: pages with it): {[(u, linked_from(u)) for u in missing_anchors]}"


def test_screenshots_are_saved(visits):
    for name in ("home.png", "notebook.png"):
        shot = SCREENSHOTS / name
        assert shot.exists() and shot.stat().st_size > 10_000, f"{shot} missing or empty"
