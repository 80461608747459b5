"""Resource bounds: time and peak memory of ingest + align-all on 1,000 generated articles.

  python benchmarks/scale.py                      # 1,000 articles (200 stories x 5 languages)
  python benchmarks/scale.py --stories 20         # a quick look

Articles are built from FLORES-200 (dev + devtest): whole FLORES articles (lines sharing a URL)
are chained into stories of at least 8 sentences; each story is written in English, French,
Arabic, Bulgarian and Japanese, each version missing one random sentence. ``ingest`` and
``align-all`` run as the command line runs them, each in its own process under /usr/bin/time
(wall time, peak RSS). Then, in this process with the embeddings cached, story grouping over
candidate pairs (what align-all does beyond 200 documents) is timed against scoring every pair
(the baseline), and both are scored against the true stories.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from alignment_eval import DEFAULT_FLORES, flores_dir, load  # noqa: E402

from workbench import compare, store  # noqa: E402
from workbench.embed import get_embedder  # noqa: E402

LANGS = ("en", "fr", "ar", "bg", "ja")
MIN_SENTENCES = 8


def write_articles(folder: Path, flores: Path, stories: int, rng: random.Random) -> dict[str, int]:
    """``stories`` x 5 articles; returns file name -> story number."""
    story_of = {}
    made = 0
    for split in ("dev", "devtest"):
        lines, articles = load(flores, split)
        current: list[int] = []
        for article in articles:
            current += article
            if len(current) < MIN_SENTENCES:
                continue
            for lang in LANGS:
                kept = [i for i in current if i != rng.choice(current)]
                middle = len(kept) // 2
                text = " ".join(lines[lang][i] for i in kept[:middle]) + "\n" + \
                    " ".join(lines[lang][i] for i in kept[middle:]) + "\n"
                name = f"{split}-{made:04d}-{lang}.txt"
                (folder / name).write_text(text, encoding="utf-8")
                story_of[name] = made
            made, current = made + 1, []
            if made == stories:
                return story_of
    raise SystemExit(f"FLORES holds only {made} stories of {MIN_SENTENCES}+ sentences")


def measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command run as a user runs it."""
    done = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    seconds, kilobytes = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024


def grouping_quality(groups, story_of: dict[str, int]) -> tuple[float, float, int]:
    """Pairwise precision and recall of 'same group' against 'same story', and exact groups."""
    predicted = {frozenset((a.path, b.path)) for g in groups for a, b in combinations(g, 2)}
    by_story: dict[int, list[str]] = {}
    for name, story in story_of.items():
        by_story.setdefault(story, []).append(name)
    gold = {frozenset(p) for names in by_story.values() for p in combinations(names, 2)}
    exact = sum(1 for g in groups if sorted(d.path for d in g) in [sorted(v) for v in by_story.values()])
    hits = len(predicted & gold)
    return hits / max(len(predicted), 1), hits / len(gold), exact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=200, help="stories; five articles each (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--flores", metavar="DIR", help=f"FLORES-200 folder (default: {DEFAULT_FLORES})")
    args = parser.parse_args()
    flores = flores_dir(args.flores)
    with tempfile.TemporaryDirectory() as tmp:
        folder, workspace = Path(tmp) / "articles", Path(tmp) / "ws"
        folder.mkdir()
        story_of = write_articles(folder, flores, args.stories, random.Random(args.seed))
        cli = [sys.executable, "-m", "workbench"]
        ingest_s, ingest_mb = measured([*cli, "ingest", str(folder), "--workspace", str(workspace)])
        align_s, align_mb = measured([*cli, "align-all", "--workspace", str(workspace)])
        rerun_s, _ = measured([*cli, "align-all", "--workspace", str(workspace)])

        conn = store.connect(workspace)
        docs = store.documents(conn)
        sentences = sum(len(d.sentences) for d in docs)
        pairs = conn.execute("SELECT COUNT(*) FROM alignments").fetchone()[0]
        embedder = get_embedder()
        started = time.perf_counter()
        candidate_groups, scored = compare.story_groups(conn, docs, embedder, exhaustive_below=0)
        candidate_s = time.perf_counter() - started
        started = time.perf_counter()
        every_groups, every_scored = compare.story_groups(conn, docs, embedder, exhaustive_below=len(docs) + 1)
        every_s = time.perf_counter() - started

    print(f"{len(docs)} articles, {sentences} sentences, {len(set(story_of.values()))} stories x {len(LANGS)} "
          f"languages; {pairs} pairs aligned")
    print(f"ingest     {ingest_s:7.1f} s   peak RSS {ingest_mb:6.0f} MB")
    print(f"align-all  {align_s:7.1f} s   peak RSS {align_mb:6.0f} MB   (embeds every sentence once)")
    print(f"align-all  {rerun_s:7.1f} s   again, nothing changed: every pair kept")
    for name, groups, seconds, count in (("candidates", candidate_groups, candidate_s, len(scored)),
                                         ("every pair", every_groups, every_s, len(every_scored))):
        precision, recall, exact = grouping_quality(groups, story_of)
        print(f"grouping over {name:10} {seconds:6.2f} s  {count:7} pairs scored  precision {precision:.3f} "
              f"recall {recall:.3f}  {exact}/{len(set(story_of.values()))} stories exact")
    print(f"candidates vs every pair: {every_s / candidate_s:.1f}x faster, "
          f"same groups: {[sorted(d.id for d in g) for g in candidate_groups] == [sorted(d.id for d in g) for g in every_groups]}")


if __name__ == "__main__":
    main()
