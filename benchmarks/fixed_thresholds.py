"""Fixed thresholds set on e5's cosines, read on another model's: story grouping's pair score against
STORY_THRESHOLD, with the model's cosines as they come and put on e5's scale (align/scale.py).

  python benchmarks/fixed_thresholds.py            # FLORES-200 dev beside the repo

FLORES dev articles (consecutive lines sharing a URL), two a story, each story written in two of
the five languages drawn at random: 160 documents, every pair scored as story_groups scores it.
Reported: pairwise precision and recall of "same story" at the threshold, for e5 and for the other
model (e5 cut after its 7th layer, the only other multilingual model on this machine).
"""
from __future__ import annotations

import argparse
import random
import sys
from itertools import combinations
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alignment_eval import flores_dir, load  # noqa: E402  (beside this file)

from workbench import compare, store  # noqa: E402
from workbench.align import AlignParams  # noqa: E402
from workbench.align.scale import on_reference_scale, similarity_scale  # noqa: E402
from workbench.embed import e5_layers, embed_cached, get_embedder  # noqa: E402

LANGS = ["en", "fr", "ar", "bg", "ja"]


def pair_quality(scores: np.ndarray, same: np.ndarray) -> str:
    taken = scores >= compare.STORY_THRESHOLD
    right = int((taken & same).sum())
    return (f"precision {right / max(int(taken.sum()), 1):.3f}, recall {right / int(same.sum()):.3f} "
            f"({int(taken.sum())} pairs taken, {int(same.sum())} true)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flores", metavar="DIR", help="FLORES-200 folder (default: ../shared/data/flores200)")
    parser.add_argument("--cache", default=str(REPO / "workspace" / "eval-cache"),
                        help="workspace whose embedding cache is reused across runs")
    args = parser.parse_args()
    lines, articles = load(flores_dir(args.flores), "dev")
    stories = [articles[k] + articles[k + 1] for k in range(0, 160, 2)]
    rng = random.Random(1)
    docs = [(story, lang) for story in range(len(stories)) for lang in rng.sample(LANGS, 2)]
    conn = store.connect(args.cache)
    e5 = get_embedder()
    other = e5_layers(e5, 7)
    assert other is not None
    params = AlignParams()
    print(f"{len(docs)} documents ({len(stories)} stories x 2 languages), STORY_THRESHOLD {compare.STORY_THRESHOLD}")
    for model in (e5, other):
        vectors = [embed_cached(conn, model, [lines[lang][i] for i in stories[story]]) for story, lang in docs]
        same = np.array([docs[k][0] == docs[k2][0] for k, k2 in combinations(range(len(docs)), 2)])
        ways = {"as they come": lambda cosines: cosines}
        if not getattr(model, "reference", False):
            ways["on e5's scale"] = lambda cosines: on_reference_scale(cosines, model, conn)
        for label, on_scale in ways.items():
            scores = np.array([compare._similarity(vectors[k], vectors[k2], docs[k][1] == docs[k2][1], params, on_scale)
                               for k, k2 in combinations(range(len(docs)), 2)])
            print(f"{model.name} (similarity scale {similarity_scale(model, conn):.3f}), cosines {label}: "
                  + pair_quality(scores, same))


if __name__ == "__main__":
    main()
