"""One document's sentence vectors carried into the other's embedding space by a linear map fitted
on the pair's own clear matches.

A small multilingual model leaves each language in a region of its own, and each pair of
languages, subject and translator shifts the two regions differently. Where a pair has enough clear
mutual best matches, a ridge regression towards the identity (the model's own alignment of the
languages is the prior; the matches correct it only along the directions they span) maps source
vectors to target vectors, the per-pair counterpart of the linear maps that align word-embedding
spaces from a seed dictionary (Mikolov et al. 2013, "Exploiting similarities among languages for
machine translation"). Taught by 150 FLORES-200 lines, a map puts 150 other Japanese lines
nearest their own English for all 150 (147 without it; tests/test_space_map.py).
"""
from __future__ import annotations

import numpy as np

# No map from fewer matches than this. Mutual best matches at the aligner's match threshold:
# MAC-Dev's chapters 101-227; FLORES-200 dev pseudo-articles under the six recipes 2-195, median
# 74, 12 of 316 below 20; the seed corpus's reports 12-23 a pair, mostly unrelated sentences
# (lexicon.py's note), where a map learns their errors. At 10: the seed ja-fr rewrite's lax F1
# 0.725 -> 0.689 (FLORES dev unchanged); at 40: FLORES dev parallel mean / worst 0.978 / 0.949 ->
# 0.977 / 0.945.
MIN_MAP_LINKS = 20


def fit_map(src: np.ndarray, tgt: np.ndarray, links: list[tuple[int, int]], ridge: float) -> np.ndarray | None:
    """The d x d matrix W minimising |src[i] W - tgt[j]|^2 over the (i, j) ``links`` plus ``ridge``
    x |W - I|^2, or None with fewer than MIN_MAP_LINKS links."""
    if len(links) < MIN_MAP_LINKS:
        return None
    x = src[[i for i, _ in links]].astype(np.float64)
    y = tgt[[j for _, j in links]].astype(np.float64)
    identity = np.eye(src.shape[1])
    return np.linalg.solve(x.T @ x + ridge * identity, x.T @ y + ridge * identity)


def carried(vectors: np.ndarray, space_map: np.ndarray | None) -> np.ndarray:
    """``vectors`` (rows L2-normalised) through ``space_map``, normalised again (unchanged for None)."""
    if space_map is None or len(vectors) == 0:
        return vectors
    moved = vectors.astype(np.float64) @ space_map
    return (moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)).astype(np.float32)
