"""End to end in a real headless Chromium against `python -m workbench ui`."""
from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from workbench import compare, ingest, review, store
from workbench.embed import get_embedder

from conftest import AR1, FR, HOSTILE, JA, REPO, SHORT, articles_with_hostile_one, from_template

CHROMIUM = Path("/usr/bin/chromium")
BIDI_NAME = "report-\u202egnp.exe.txt"
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
    # a file name whose bidi override would show "report-\u202egnp.exe" as "report-exe.png"
    (folder / BIDI_NAME).write_text("Rebels said they had taken the airport of Damascus.\n", encoding="utf-8")
    ws = from_template(embedding_template, tmp_path / "ws")
    conn = store.connect(ws)
    ingest.ingest_folder(conn, folder)
    ja, fr, hostile, short, ar = (store.document(conn, p) for p in (JA, FR, HOSTILE, SHORT, AR1))
    compare.align_documents(conn, ja, fr, get_embedder())
    compare.align_documents(conn, hostile, short, get_embedder())
    compare.align_documents(conn, ar, ja, get_embedder())
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


def cursor(page) -> tuple[int, bool]:
    """The grid row under the cursor: its unit position, and whether it is a collapsed run of gaps.
    (Playwright's CSS selectors reach into the component's open shadow root.)"""
    row = page.locator(".row.cursor")
    return int(row.get_attribute("data-position")), "run" in (row.get_attribute("class") or "")


def wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_review_grid_from_the_keyboard(server, page):
    """At 1440x900 a screen holds a dozen units or more; a walk of 30 keys lands every decision
    on the row the cursor showed; merge, split and undo from the keys; a reload keeps it all."""
    url, conn, ja, fr, _, _ = server
    pair = (fr.id, ja.id) if review.load_pair(conn, fr.id, ja.id) else (ja.id, fr.id)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{url}/compare?src={ja.id}&tgt={fr.id}")
    page.locator(".row.cursor").wait_for(timeout=90_000)
    page.get_by_text("Enter your name under Reviewer (sidebar) to review.").wait_for(timeout=30_000)
    assert not page.locator(".act-accept").is_visible()  # no reviewer name: no decision offered
    page.keyboard.press("a")
    page.wait_for_timeout(1000)
    assert all(not u.status for u in review.load_pair(conn, *pair).units)
    page.get_by_role("textbox", name="Reviewer").fill("ana")
    page.get_by_role("textbox", name="Reviewer").press("Enter")
    page.locator(".act-accept").wait_for(timeout=30_000)
    page.locator(".row.cursor").click()  # focus leaves the name box: keys go to the grid

    for _ in range(16):  # down the list: the page scrolls to keep the cursor in view
        page.keyboard.press("j")
    page.wait_for_timeout(500)
    toolbar_bottom = page.locator(".toolbar").bounding_box()["y"] + page.locator(".toolbar").bounding_box()["height"]
    boxes = [page.locator(".row").nth(i).bounding_box() for i in range(page.locator(".row").count())]
    visible = [b for b in boxes if b and b["y"] >= toolbar_bottom - 1 and b["y"] + b["height"] <= 900]
    assert len(visible) >= 12, f"{len(visible)} units fully visible at 1440x900"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare-grid-1440x900.png"))

    for _ in range(16):
        page.keyboard.press("k")
    assert cursor(page)[0] == 0
    expected: dict[int, str] = {}
    keys = random.Random(13).choices("jjkaaxxu", k=30)
    for key in keys:
        position, is_run = cursor(page)
        page.keyboard.press(key)
        if key in "axu" and not is_run:
            expected[position] = {"a": "accepted", "x": "rejected", "u": ""}[key]
    assert {"accepted", "rejected"} <= set(expected.values())

    def landed() -> bool:
        units = review.load_pair(conn, *pair).units
        return all(units[p].status == status for p, status in expected.items()) and \
            all(not u.status for u in units if u.position not in expected)
    wait_until(lambda: frame(page) or landed())
    for position, status in expected.items():  # the grid shows what the database holds
        row = page.locator(f'.row[data-position="{position}"]')
        expect(row).to_have_class(re.compile(f"status-{status or 'unreviewed'}"), timeout=30_000)

    before = [(u.src_ids, u.tgt_ids) for u in review.load_pair(conn, *pair).units]
    position, _ = cursor(page)
    if position >= len(before) - 1 or cursor(page)[1]:
        page.keyboard.press("k")
        position, _ = cursor(page)
    merged = sorted(before[position][0] + before[position + 1][0]), sorted(before[position][1] + before[position + 1][1])
    page.keyboard.press("m")
    wait_until(lambda: [(u.src_ids, u.tgt_ids) for u in review.load_pair(conn, *pair).units]
               == before[:position] + [merged] + before[position + 2:])
    assert review.load_pair(conn, *pair).units[position].status == "edited"
    expect(page.locator(".row.cursor")).to_have_class(re.compile("status-edited"), timeout=30_000)
    page.keyboard.press("s")  # a split undoes the merge: the two units come back
    wait_until(lambda: [(u.src_ids, u.tgt_ids) for u in review.load_pair(conn, *pair).units] == before)
    expect(page.locator(".row.cursor")).not_to_have_class(re.compile("status-edited"), timeout=30_000)
    page.keyboard.press("m")
    wait_until(lambda: len(review.load_pair(conn, *pair).units) == len(before) - 1)
    expect(page.locator(".row.cursor")).to_have_class(re.compile("status-edited"), timeout=30_000)
    page.keyboard.press("z")  # undo takes the merge back
    wait_until(lambda: [(u.src_ids, u.tgt_ids) for u in review.load_pair(conn, *pair).units] == before)
    wait_until(lambda: frame(page) or landed())  # and nothing else

    page.wait_for_url("**reviewer=ana**", timeout=30_000)  # the name is kept in the URL ...
    page.reload()  # ... so a reload keeps it, and the decisions
    first = min(expected)
    expect(page.locator(f'.row[data-position="{first}"]')).to_have_class(
        re.compile(f"status-{expected[first] or 'unreviewed'}"), timeout=90_000)
    expect(page.get_by_role("textbox", name="Reviewer")).to_have_value("ana", timeout=30_000)
    unit = review.load_pair(conn, *pair).units[first]
    assert unit.reviewer == ("ana" if expected[first] else "")


def test_a_decision_stands_when_rows_from_an_earlier_rerun_arrive_after_it(server, page):
    """The grid shows a decision at once; rows Python sends from a rerun for an earlier key do not
    hold it yet. Held back here on the page's websocket, so that they arrive just after "A": the
    "U" pressed next must still reach Python (it was refused as a no-op, and the accept stood:
    test_review_grid_from_the_keyboard failed 2 of 4 CI runs so under load)."""
    url, conn, ja, fr, _, _ = server
    pair = (fr.id, ja.id) if review.load_pair(conn, fr.id, ja.id) else (ja.id, fr.id)
    hold = {"to_page": False, "to_python": False}
    held: dict[str, list] = {"to_page": [], "to_python": []}

    def relay(route) -> None:
        python = route.connect_to_server()

        def to_page(message) -> None:
            (held["to_page"].append(message) if hold["to_page"] else route.send(message))

        def to_python(message) -> None:
            (held["to_python"].append(message) if hold["to_python"] else python.send(message))
        python.on_message(to_page)
        route.on_message(to_python)
        relay.routes.append((route, python))
    relay.routes = []
    page.route_web_socket(re.compile(r".*/_stcore/stream"), relay)

    def release(direction: str) -> None:
        hold[direction] = False
        route, python = relay.routes[-1]
        while held[direction]:
            message = held[direction].pop(0)
            (route.send(message) if direction == "to_page" else python.send(message))

    page.goto(f"{url}/compare?src={ja.id}&tgt={fr.id}&reviewer=ana")
    page.locator(".act-accept").wait_for(timeout=90_000)
    page.locator(".row.cursor").click()
    first, run = cursor(page)
    assert not run and not cursor_after(page, "j")[1], "the test wants two linked units at the top"
    page.keyboard.press("k")
    hold["to_page"] = True
    page.keyboard.press("x")  # reject the first unit; the rerun's rows are held back
    page.wait_for_timeout(3000)  # Python has written the rejection and sent its rows
    hold["to_python"] = True
    second = cursor(page)[0]  # the cursor moved on after the decision
    page.keyboard.press("a")  # accepted on the page; Python does not have it yet
    release("to_page")  # the rows from the rejection's rerun: the second unit still unreviewed
    page.wait_for_timeout(1500)
    page.keyboard.press("k")
    assert cursor(page)[0] == second
    page.keyboard.press("u")  # back to unreviewed
    release("to_python")

    def stored() -> tuple[str, str]:
        units = review.load_pair(conn, *pair).units
        return units[first].status, units[second].status

    def actions() -> list[str]:
        return [event["action"] for event in review.log(conn)]
    wait_until(lambda: frame(page) or "reset" in actions())  # without the fix: never, and the accept stood
    page.wait_for_timeout(1000)  # a request sent twice would have arrived by now
    # each once: the released burst of messages runs the grid's callback on two threads at once,
    # both with the same acknowledged id (compare.py: apply_grid_actions)
    assert actions() == ["rejected", "accepted", "reset"]
    assert stored() == ("rejected", "") and all(event["reviewer"] == "ana" for event in review.log(conn))


def frame(page) -> None:
    """Let the page draw a frame. Observed here: after the last key, its action reached Python only
    when the test next touched the page (headless Chromium draws no frame while nothing happens)."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done(0)))")


def cursor_after(page, key: str) -> tuple[int, bool]:
    page.keyboard.press(key)
    return cursor(page)


def test_arabic_is_right_aligned_and_file_names_escaped_everywhere(server, page):
    url, conn, ja, _, _, _ = server
    ar = store.document(conn, AR1)
    shown = "report-\\u202egnp.exe.txt"  # how the name is stored and shown
    bidi = store.document(conn, shown)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{url}/compare?src={ar.id}&tgt={ja.id}")
    arabic = page.locator('.orig[lang="ar"]').first
    arabic.wait_for(timeout=90_000)
    assert arabic.get_attribute("dir") == "rtl"
    assert arabic.evaluate("e => getComputedStyle(e).textAlign") == "right"
    assert page.locator('.orig[lang="ja"]').first.evaluate("e => getComputedStyle(e).textAlign") != "right"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare-ar-ja.png"))
    # the bidi-named file in every page and every drop-down: shown as an escape, never live
    seen: dict[str, str] = {}
    for path, heading in (("", "Corpus"), (f"compare?src={bidi.id}&tgt={ja.id}", "Compare"), ("facts", "Facts"),
                          ("search", "Search"), ("export", "Export")):
        page.goto(f"{url}/{path}")
        page.get_by_role("heading", name=heading).first.wait_for(timeout=90_000)
        page.wait_for_timeout(1500)
        texts = [page.locator("body").inner_text(), page.locator("html").evaluate(
            "e => [...e.querySelectorAll('*')].filter(x => x.shadowRoot).map(x => x.shadowRoot.textContent).join('')")]
        for box in page.get_by_role("combobox").all():  # each drop-down: its value, and its options opened
            texts.append(box.input_value())
            if not box.is_enabled():
                continue
            box.click()
            page.wait_for_timeout(300)
            texts += page.get_by_role("option").all_inner_texts()
            page.keyboard.press("Escape")
        seen[heading] = "\n".join(texts)
        assert "\u202e" not in seen[heading], f"{heading}: a live bidi override"
    assert shown in seen["Compare"]  # (Corpus draws its table on a canvas: checked in test_app)


def test_script_in_an_article_is_shown_as_text(server, page):
    url, _, _, _, hostile, short = server
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{url}/compare?src={hostile.id}&tgt={short.id}")
    page.get_by_text("<script>window.hacked = 1; alert('xss')</script>", exact=False).first.wait_for(timeout=90_000)
    pairs_only = page.get_by_role("switch", name="Pairs only", exact=True)
    if pairs_only.is_checked():  # on for a pair aligned as comparable reports: show the gaps too
        page.get_by_text("Pairs only", exact=True).click()  # the label takes the click
        page.locator(".row.run").first.wait_for(timeout=30_000)
    while page.locator(".row.run").count():  # expand the runs of sentences without a counterpart
        page.locator(".row.run").first.click()
    page.get_by_text("<img src=x onerror=alert(1)>", exact=False).first.wait_for(timeout=30_000)
    assert page.evaluate("window.hacked") is None
    assert dialogs == []
    # a bidi override would show "Le fichier exe.txt ..." reversed; it is shown as an escape instead
    shown = page.locator(".orig").filter(has_text="Le fichier").first
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
