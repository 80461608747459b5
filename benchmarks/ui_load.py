"""First load of the review app's pages on a workspace of N documents, against the story grouping
the Corpus page used to run on its first load (the baseline, measured in the same run).

  python benchmarks/ui_load.py                   # 120 documents (24 stories x 5 languages)
  python benchmarks/ui_load.py --stories 200 --no-baseline   # 1,000 documents

Articles are FLORES-built as in scale.py. Measured right after ``ingest`` (the baseline: the story
grouping the page used to run, which embeds every document; then today's page) and again after
``align-all``. Each measurement runs in a fresh Python process (Streamlit's AppTest, the page's own
script, cold caches): what the first visitor waits for on the server.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from alignment_eval import DEFAULT_FLORES, flores_dir  # noqa: E402
from scale import write_articles  # noqa: E402

PAGE_LOAD = """
import os, sys, time
sys.path.insert(0, {repo!r})
from streamlit.testing.v1 import AppTest
started = time.perf_counter()
at = AppTest.from_file({app!r}, default_timeout=600)
at.run()
if {page!r} != "corpus":
    at.switch_page("views/{page}.py")
    at.run()
assert not at.exception, [e.value for e in at.exception]
print(time.perf_counter() - started)
"""
OLD_GROUPING = """
import sys, time
sys.path.insert(0, {repo!r})
started = time.perf_counter()
from workbench import compare, store
from workbench.embed import get_embedder
conn = store.connect({ws!r})
compare.story_groups(conn, store.documents(conn), get_embedder())
print(time.perf_counter() - started)
"""


def timed(code: str, workspace: Path) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"WORKBENCH_WORKSPACE": str(workspace), "PATH": "/usr/bin:/bin"})
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=24, help="stories of 5 articles each (default 24: 120)")
    parser.add_argument("--flores", default=str(DEFAULT_FLORES))
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline (minutes at 1,000 documents)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, ws = Path(tmp) / "articles", Path(tmp) / "ws"
        folder.mkdir()
        count = len(write_articles(folder, flores_dir(args.flores), args.stories, random.Random(7)))
        app = str(REPO / "workbench" / "app" / "main.py")

        def run(*command: str) -> None:
            subprocess.run([sys.executable, "-m", "workbench", *command, "--workspace", str(ws)], cwd=REPO,
                           check=True, capture_output=True)

        def page(name: str) -> float:
            return timed(PAGE_LOAD.format(repo=str(REPO), app=app, page=name), ws)

        run("ingest", str(folder))
        print(f"{count} documents; first page load in a fresh process")
        corpus = page("corpus")
        if args.no_baseline:
            print(f"after ingest:    corpus {corpus:6.2f} s")
        else:
            baseline = timed(OLD_GROUPING.format(repo=str(REPO), ws=str(ws)), ws)
            print(f"after ingest:    corpus {corpus:6.2f} s   baseline (the story grouping the page ran until now, "
                  f"embedding every document) {baseline:6.2f} s   -> {baseline / corpus:.0f}x")
        run("align-all")
        print(f"after align-all: corpus {page('corpus'):6.2f} s   compare {page('compare'):6.2f} s")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f} s in all)")
