"""The published aligners' algorithms, run on the workbench's own embedder: Vecalign (Thompson &
Koehn, EMNLP 2019) and Bertalign (Liu & Zhu, Digital Scholarship in the Humanities 2023). Their
published figures use LASER and LaBSE, which cannot be downloaded here; run on this machine's
model, they tell what the methods give apart from what the embedder allows. Written for this
project after the papers and the reference implementations' defaults and behaviour
(``vecalign.py``, ``dp_utils.py``; ``bertalign/aligner.py``, ``corelib.py``), read to get them
right; none of their code is copied.

Both embed each document as its sentences and every run of consecutive sentences joined with a space
(the "overlaps", ``overlap_vectors``), and find a monotonic path with a DP (``best_path``).

Vecalign (``vecalign``):
- the cost of linking an x-block of a sentences with a y-block of b sentences is
  ``2 a b (1 - cos(x, y)) / (norm(x) + norm(y))``, where a block's norm is 1 less its mean cosine
  with 100 blocks drawn at random from the other document (spread over the overlap sizes): a
  block that resembles everything pays for it, and the a*b factor makes merges earn their place;
- link shapes (a, b) with a + b <= 4, plus omissions on either side at one deletion penalty: the
  20th percentile (``del_percentile_frac`` 0.2) of the 1-1 costs of random sentence pairs (20,000
  drawn, or every pair where there are fewer);
- one difference, stated: the reference implementation first finds a 1-1 path (on documents halved
  until they are at most 300 x 300) and then searches every shape in a band of 7 around it. The
  documents here are at most a few hundred sentences, so this runs the full DP over every shape: the
  band only saves time, and the full search finds a path at least as cheap.

Bertalign (``bertalign``):
- first pass: each source sentence's 3 nearest target sentences (cosine); a 1-1 DP that gains a
  pair's cosine where the target is among the source's 3 nearest and nothing otherwise, within 250
  sentences (or 6% of the longer document) of the diagonal; its 1-1 links are the anchors;
- second pass: a DP between consecutive anchors, widened by 5 sentences either side, over link
  shapes with a + b <= 5 (blocks of up to 4 sentences) and omissions at a fixed -0.1 each; a link
  scores its blocks' cosine less the mean cosine of each block with the sentences just beside the
  other block (the "margin"), times a length factor ``log2(1 + min / max)`` of the blocks' UTF-8
  byte lengths, the target's scaled by the documents' ratio.
- Its constants (the -0.1 omission score above all) were set for LaBSE, whose cosines between
  unrelated sentences are near 0; e5's are near 0.8, so its margins run smaller.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

Link = tuple[tuple[int, ...], tuple[int, ...]]


def shapes(max_size: int) -> list[tuple[int, int]]:
    """Link shapes (a, b), a and b >= 1, a + b <= max_size, in the reference implementations' order."""
    return [(a, b) for a in range(1, max_size) for b in range(1, max_size) if a + b <= max_size]


# Vecalign's defaults (vecalign.py's arguments)
VECALIGN_SHAPES = shapes(4)  # alignment_max_size 4
DEL_PERCENTILE = 0.2  # del_percentile_frac
NORM_SAMPLES = 100  # num_samps_for_norm
COST_SAMPLES = 20_000  # costs_sample_size
# Bertalign's defaults (Bertalign's constructor)
BERTALIGN_SHAPES = shapes(5)  # max_align 5
TOP_K = 3
FIRST_WINDOW, FIRST_WINDOW_SHARE = 250, 0.06  # find_first_search_path
ANCHOR_WINDOW = 5  # win
SKIP = -0.1  # skip: an omission's score

# Blocks of up to 4 sentences: Bertalign links them; Vecalign links up to 3 but embeds 4 as well
# (make_doc_embedding is given alignment_max_size) and draws its norms' samples from all four
OVERLAPS = 4


def overlap_texts(lines: list[str], overlaps: int = OVERLAPS) -> list[list[str]]:
    """``[k][i]``: lines i-k .. i joined with a space (k = 0 is the line itself); "" before the
    document's start, where no block of that size ends."""
    return [["" if i < k else " ".join(lines[i - k:i + 1]) for i in range(len(lines))] for k in range(overlaps)]


def overlap_vectors(lines: list[str], embed: Callable[[list[str]], np.ndarray],
                    overlaps: int = OVERLAPS) -> np.ndarray:
    """(overlaps, len(lines), dim) unit vectors of ``overlap_texts``; rows with no block are zero."""
    layers = overlap_texts(lines, overlaps)
    wanted = sorted({t for layer in layers for t in layer if t})
    vectors = dict(zip(wanted, embed(wanted))) if wanted else {}
    dim = len(next(iter(vectors.values()))) if vectors else 1
    out = np.zeros((len(layers), len(lines), dim), np.float32)
    for k, layer in enumerate(layers):
        for i, text in enumerate(layer):
            if text:
                out[k, i] = vectors[text] / max(float(np.linalg.norm(vectors[text])), 1e-9)
    return out


def block_norms(own: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(overlaps, sentences): 1 - mean cosine of each of ``own``'s blocks with NORM_SAMPLES blocks
    of ``other`` drawn at random, as many of each size."""
    sizes = min(len(other), other.shape[1])
    per_size = -(-NORM_SAMPLES // sizes)
    pool = np.concatenate([other[k, rng.choice(np.arange(k, other.shape[1]), size=per_size)] for k in range(sizes)])
    return 1.0 - np.einsum("kid,sd->kis", own, pool).mean(axis=2)


def link_costs(src: np.ndarray, tgt: np.ndarray, src_norms: np.ndarray, tgt_norms: np.ndarray) -> dict:
    """Each shape's (n, m) cost matrix, indexed by the blocks' last sentences (inf where no block
    of that size ends)."""
    costs = {}
    for a, b in VECALIGN_SHAPES:
        cos = src[a - 1] @ tgt[b - 1].T
        cost = 2.0 * a * b * (1.0 - cos) / (1e-6 + src_norms[a - 1][:, None] + tgt_norms[b - 1][None, :])
        cost[:a - 1, :] = np.inf
        cost[:, :b - 1] = np.inf
        costs[a, b] = cost
    return costs


def deletion_penalty(one_to_one: np.ndarray, rng: np.random.Generator, percentile: float = DEL_PERCENTILE) -> float:
    """The ``percentile`` quantile of the 1-1 costs of random sentence pairs (every pair, where
    there are at most COST_SAMPLES)."""
    n, m = one_to_one.shape
    if n * m <= COST_SAMPLES:
        sample = one_to_one.ravel()
    else:
        sample = one_to_one[rng.integers(0, n, COST_SAMPLES), rng.integers(0, m, COST_SAMPLES)]
    return float(np.quantile(sample, percentile))


def best_path(costs: dict[tuple[int, int], np.ndarray], penalty: float,
              allowed: np.ndarray | None = None) -> list[Link]:
    """The cheapest monotonic path: links of each shape (a, b) at ``costs[a, b][i, j]`` (the blocks
    ending at source sentence i and target sentence j), omissions at ``penalty`` each, through
    the DP cells ``allowed`` ((n + 1, m + 1), a contiguous run of each row; default: all)."""
    n, m = next(iter(costs.values())).shape
    total = np.full((n + 1, m + 1), np.inf)
    back = np.zeros((n + 1, m + 1, 2), np.int64)  # the shape that reached each cell
    steps = np.arange(m + 1) * penalty
    for i in range(n + 1):
        row = total[i - 1] + penalty if i else np.full(m + 1, np.inf)  # source sentence i - 1 omitted
        if not i:
            row[0] = 0.0
        shape = np.tile((1, 0), (m + 1, 1))
        for (a, b), cost in costs.items():
            if a > i or b > m:
                continue
            candidate = np.full(m + 1, np.inf)
            candidate[b:] = total[i - a, :m + 1 - b] + cost[i - 1, b - 1:]
            better = candidate < row
            row[better], shape[better] = candidate[better], (a, b)
        if allowed is not None:
            row[~allowed[i]] = np.inf
        # a run of omitted target sentences: the best start k <= j, one penalty per sentence
        reach = np.minimum.accumulate(row - steps) + steps
        omitted = reach < row - 1e-12
        row[omitted], shape[omitted] = reach[omitted], (0, 1)
        if allowed is not None:
            row[~allowed[i]] = np.inf
        total[i], back[i] = row, shape
    links: list[Link] = []
    i, j = n, m
    while i or j:
        a, b = back[i, j]
        links.append((tuple(range(i - a, i)), tuple(range(j - b, j))))
        i, j = i - a, j - b
    return links[::-1]


def vecalign(src: np.ndarray, tgt: np.ndarray, del_percentile: float = DEL_PERCENTILE, seed: int = 42) -> list[Link]:
    """Links (omissions with one empty side) of two documents given as ``overlap_vectors``; the
    random draws are seeded, as the reference implementation seeds them (42)."""
    n, m = src.shape[1], tgt.shape[1]
    if not n or not m:
        return [((i,), ()) for i in range(n)] + [((), (j,)) for j in range(m)]
    rng = np.random.default_rng(seed)
    costs = link_costs(src, tgt, block_norms(src, tgt, rng), block_norms(tgt, src, rng))
    return best_path(costs, deletion_penalty(costs[1, 1], rng, del_percentile))


def _beside(vectors: np.ndarray, sentences: np.ndarray, size: int) -> np.ndarray:
    """(len(vectors), m): each vector's mean cosine with the sentence before and the sentence after
    each block of ``size`` sentences ending at j of a document of ``sentences`` (one where only one
    exists, 0 where neither does), as Bertalign's margin takes them."""
    m = len(sentences)
    cos = vectors @ sentences.T
    left, right = np.zeros_like(cos), np.zeros_like(cos)
    has_left, has_right = np.zeros(m), np.zeros(m)
    if size < m:
        left[:, size:], has_left[size:] = cos[:, :m - size], 1
    right[:, :m - 1], has_right[:m - 1] = cos[:, 1:], 1
    return (left + right) / np.maximum(has_left + has_right, 1)


def _anchors(src: np.ndarray, tgt: np.ndarray) -> list[tuple[int, int]]:
    """Bertalign's first pass: the (i, j) ends (1-based) of the 1-1 links of a DP that gains each
    pair's cosine where the target is among the source's TOP_K nearest."""
    n, m = src.shape[0], tgt.shape[0]
    cos = src @ tgt.T
    nearest = np.argsort(-cos, axis=1)[:, :TOP_K]
    gain = np.full((n, m), np.inf)
    rows = np.arange(n)[:, None]
    gain[rows, nearest] = -cos[rows, nearest]
    window = max(FIRST_WINDOW, int(max(n, m) * FIRST_WINDOW_SHARE))
    centre = (np.arange(n + 1) * m / n).astype(int)
    columns = np.arange(m + 1)
    allowed = (columns >= centre[:, None] - window) & (columns <= centre[:, None] + window)
    path = best_path({(1, 1): gain}, 0.0, allowed)
    return [(s[0] + 1, t[0] + 1) for s, t in path if len(s) == 1 and len(t) == 1]


def _anchor_band(anchors: list[tuple[int, int]], n: int, m: int) -> np.ndarray:
    """The second pass's cells: each row from the previous anchor's target less ANCHOR_WINDOW to
    the next anchor's target plus ANCHOR_WINDOW; the last anchor moved to the end (n, m)."""
    anchors = list(anchors) or [(n, m)]
    if anchors[-1] != (n, m):
        if anchors[-1][0] == n or anchors[-1][1] == m:
            anchors.pop()
        anchors.append((n, m))
    allowed = np.zeros((n + 1, m + 1), bool)
    previous_src, previous_tgt = 0, 0
    for src_end, tgt_end in anchors:
        low, high = max(0, previous_tgt - ANCHOR_WINDOW), min(m, tgt_end + ANCHOR_WINDOW)
        allowed[previous_src + 1:src_end + 1, low:high + 1] = True
        previous_src, previous_tgt = src_end, tgt_end
    allowed[0] = allowed[1] if n else True
    return allowed


def bertalign(src: np.ndarray, tgt: np.ndarray, src_bytes: np.ndarray, tgt_bytes: np.ndarray,
              skip: float = SKIP) -> list[Link]:
    """Links (omissions with one empty side) of two documents given as ``overlap_vectors`` (4 block
    sizes) and their blocks' UTF-8 byte lengths (same shape less the vectors' dimension)."""
    n, m = src.shape[1], tgt.shape[1]
    if not n or not m:
        return [((i,), ()) for i in range(n)] + [((), (j,)) for j in range(m)]
    ratio = src_bytes[0].sum() / max(tgt_bytes[0].sum(), 1)
    costs = {}
    for a, b in BERTALIGN_SHAPES:
        margin = (_beside(src[a - 1], tgt[0], b) + _beside(tgt[b - 1], src[0], a).T) / 2
        similarity = src[a - 1] @ tgt[b - 1].T - margin
        shorter = np.minimum(src_bytes[a - 1][:, None], tgt_bytes[b - 1][None, :] * ratio)
        longer = np.maximum(src_bytes[a - 1][:, None], tgt_bytes[b - 1][None, :] * ratio)
        cost = -similarity * np.log2(1 + shorter / np.maximum(longer, 1e-9))
        cost[:a - 1, :] = np.inf
        cost[:, :b - 1] = np.inf
        costs[a, b] = cost
    return best_path(costs, -skip, _anchor_band(_anchors(src[0], tgt[0]), n, m))
