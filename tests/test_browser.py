"""End to end in a real headless Chromium against `python -m workbench ui`."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from workbench import compare, ingest, review, store
from workbench.embed import get_embedder

from conftest import FR, HOSTILE, JA, REPO, SHORT, articles_with_hostile_one, from_template

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (.ci/run installs it)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path, embedding_template):
    folder = articles_with_hostile_one(tmp_path / "articles")
    ws = from_template(embedding_template, tmp_path / "ws")
    conn = store.connect(ws)
    ingest.ingest_folder(conn, folder)
    ja, fr, hostile, short = (store.document(conn, p) for p in (JA, FR, HOSTILE, SHORT))
    compare.align_documents(conn, ja, fr, get_embedder())
    compare.align_documents(conn, hostile, short, get_embedder())
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "workbench", "ui", "--workspace", str(ws), "--port", str(port)],
                               cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "the UI did not come up"
        assert process.poll() is None, "the UI exited"
        time.sleep(0.5)
    yield url, conn, ja, fr, hostile, short
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def page():
    """A Chromium page; at the end, no request may have left localhost (an offline tool)."""
    from urllib.parse import urlparse

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        outside: list[str] = []
        page.on("request", lambda request: outside.append(request.url)
                if urlparse(request.url).hostname not in ("localhost", "127.0.0.1", None) else None)
        yield page
        browser.close()
    assert not [u for u in outside if not u.startswith(("data:", "blob:"))], outside


def test_accept_survives_a_reload(server, page):
    url, conn, ja, fr, _, _ = server
    page.goto(f"{url}/compare?src={ja.id}&tgt={fr.id}")
    page.get_by_text("no counterpart").first.wait_for(timeout=90_000)
    first_unit = page.locator(".st-key-unit-0")
    assert first_unit.get_by_role("button", name="Accept").is_disabled()  # no reviewer name yet
    page.get_by_role("textbox", name="Reviewer").fill("ana")
    page.get_by_role("textbox", name="Reviewer").press("Enter")
    first_unit.get_by_role("button", name="Accept").click()
    first_unit.get_by_text("accepted").wait_for(timeout=30_000)
    unit = review.load_pair(conn, ja.id, fr.id).units[0]
    assert (unit.status, unit.reviewer) == ("accepted", "ana")
    page.wait_for_url("**reviewer=ana**", timeout=30_000)  # the name is kept in the URL ...
    page.reload()  # ... so a reload keeps it, and the decision
    page.locator(".st-key-unit-0").get_by_text("accepted").wait_for(timeout=90_000)
    from playwright.sync_api import expect
    expect(page.get_by_role("textbox", name="Reviewer")).to_have_value("ana", timeout=30_000)
    page.locator(".st-key-unit-0").get_by_role("button", name="Accept").wait_for(timeout=30_000)
    # the keyboard: "a" accepts the next unreviewed unit (the focus panel), here unit 1
    page.get_by_role("heading", name="Compare").click()
    page.keyboard.press("a")
    page.locator(".st-key-unit-1").get_by_text("accepted").wait_for(timeout=30_000)
    assert review.load_pair(conn, ja.id, fr.id).units[1].status == "accepted"
    page.wait_for_timeout(1500)  # let the last rerun settle before the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare-ja-fr-accepted.png"), full_page=False)


def test_script_in_an_article_is_shown_as_text(server, page):
    url, _, _, _, hostile, short = server
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{url}/compare?src={hostile.id}&tgt={short.id}")
    page.get_by_text("<script>window.hacked = 1; alert('xss')</script>", exact=False).first.wait_for(timeout=90_000)
    page.get_by_text("<img src=x onerror=alert(1)>", exact=False).first.wait_for(timeout=30_000)
    assert page.evaluate("window.hacked") is None
    assert dialogs == []
    # a bidi override would show "Le fichier exe.txt ..." reversed; it is shown as an escape instead
    shown = page.locator(".wb-orig").filter(has_text="Le fichier").first
    shown.wait_for(timeout=30_000)
    assert shown.inner_text().startswith("Le fichier \\u202etxt.exe est arrivé avec un \\x1b[31mcode")
    assert "\u202e" not in page.locator("body").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    shown.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "compare-hostile-article.png"))


def test_every_page_loads_from_localhost_only(server, page):
    """Each page renders in Chromium (a screenshot of each lands in test-artifacts/) and no request
    leaves localhost (checked by the page fixture)."""
    url = server[0]
    ARTIFACTS.mkdir(exist_ok=True)
    for path, heading in (("", "Corpus"), ("compare", "Compare"), ("facts", "Facts"), ("search", "Search"),
                          ("export", "Export")):
        page.goto(f"{url}/{path}")
        page.get_by_role("heading", name=heading).first.wait_for(timeout=90_000)
        page.wait_for_timeout(1000)  # icons and fonts load after the first paint
        page.screenshot(path=str(ARTIFACTS / f"page-{heading.lower()}.png"), full_page=False)
