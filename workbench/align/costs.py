"""What each unit earns and each omission costs: the scores both aligners share."""
from __future__ import annotations

import math

import numpy as np

from .scorer import FULL_POOL, Scorer, matches
from .views import window_max, window_sum


def length_trust(scorer: Scorer) -> float:
    """How far lengths can be trusted, in [0, 1], from the length ratios of the strong matches."""
    p = scorer.params
    strong = matches(scorer, p.strong_match)
    if len(strong) < 3:  # a hard pair (a small model on literary text): any mutual best match
        strong = matches(scorer, 0.0)
    if len(strong) < 3:
        return 0.0
    ratio = scorer.tgt_lengths.sum() / scorer.src_lengths.sum()
    off = [math.log(scorer.tgt_lengths[j] / (scorer.src_lengths[i] * ratio)) for i, j in strong]
    spread = float(np.sqrt(np.mean(np.square(off))))
    return float(np.clip((p.length_spread_none - spread) / (p.length_spread_none - p.length_spread_full), 0, 1))


def unit_shapes(max_block: int) -> list[tuple[int, int]]:
    """Linked unit shapes (a source, b target sentences) with a + b <= max_block + 1."""
    return [(a, b) for a in range(1, max_block + 1) for b in range(1, max_block + 1) if a + b <= max_block + 1]


def unit_gains(scorer: Scorer) -> dict[tuple[int, int], np.ndarray]:
    """What each unit shape earns at every position: local margin + unit reward - length penalty
    (at most length_cap) - quotation penalty."""
    p = scorer.params
    n, m = len(scorer.src_lengths), len(scorer.tgt_lengths)
    ratio = scorer.tgt_lengths.sum() / scorer.src_lengths.sum()
    # deviations in characters of the longer-written side, whichever is the source: in the target's,
    # English -> Chinese weighed them 3x less than Chinese -> English (MAC-Dev reversed: 0.854
    # against 0.879; now 0.879 both ways)
    length_weight = p.length_weight * length_trust(scorer) * max(1.0, 1 / ratio)
    shapes = [(a, b) for a, b in unit_shapes(p.max_block) if a <= n and b <= m]
    gains = scorer.local_margins(shapes)
    for a, b in shapes:
        src_len = window_sum(scorer.src_lengths, a)[:, None] * ratio
        tgt_len = window_sum(scorer.tgt_lengths, b)[None, :]
        deviation = (tgt_len - src_len) ** 2 / ((src_len + tgt_len) / 2)
        length_penalty = np.minimum(length_weight * deviation, p.length_cap)
        gains[(a, b)] += p.unit_reward - length_penalty - scorer.quote_penalty(a, b)
    return gains


def omitted_share(path: list[tuple[range, range]], n: int, m: int) -> float:
    """The share of the n + m sentences that ``path`` omits."""
    return sum(len(s) + len(t) for s, t in path if not s or not t) / max(n + m, 1)


def much_omitted(rate: float, none: float, full: float) -> float:
    """How far a share ``rate`` of sentences omitted is "much", in [0, 1]: not at all up to
    ``none``, in full from ``full``."""
    return float(np.clip((rate - none) / (full - none), 0, 1))


def unclaimed_best(scorer: Scorer) -> tuple[np.ndarray, np.ndarray]:
    """Each source and each target sentence's best margin against the other side's sentences,
    leaving out those already claimed by another sentence's clear mutual best match (claim_margin):
    the evidence that it has a counterpart of its own (a sentence left with none: the pair's
    weakest margin), less what a short document's thin neighbourhoods add (Scorer.knn_inflation)."""
    margin = scorer.margin11
    if margin.size == 0:
        return np.zeros(margin.shape[0]), np.zeros(margin.shape[1])
    claimed = matches(scorer, scorer.params.claim_margin)
    rows, columns = [i for i, _ in claimed], [j for _, j in claimed]
    unclaimed = margin.copy()
    unclaimed[rows, :] = -np.inf
    unclaimed[:, columns] = -np.inf
    unclaimed[rows, columns] = margin[rows, columns]
    unclaimed[np.isinf(unclaimed)] = margin.min()
    return unclaimed.max(axis=1) - scorer.knn_inflation, unclaimed.max(axis=0) - scorer.knn_inflation


def omitted_runs(path: list[tuple[range, range]], n: int, m: int, shortest: int) -> tuple[np.ndarray, np.ndarray]:
    """For each source and each target sentence, whether ``path`` omits it in a run of at least
    ``shortest`` sentences in a row on its side (omissions on the other side between them do not
    break a run; a unit does). No sentence is in a run where ``shortest`` is 0."""
    runs = []
    for side, size in ((0, n), (1, m)):
        omitted = np.zeros(size + 2, bool)  # padded with a sentence that is not omitted at each end
        for step in path:
            if not step[1 - side]:
                omitted[[k + 1 for k in step[side]]] = True
        edges = np.flatnonzero(np.diff(omitted.astype(np.int8)))  # starts and ends of runs, in turn
        in_run = np.zeros(size, bool)
        for start, end in zip(edges[::2], edges[1::2]):
            in_run[start:end] = shortest > 0 and end - start >= shortest
        runs.append(in_run)
    return runs[0], runs[1]


def omission_costs(scorer: Scorer, rate: float, runs: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """What omitting each source and each target sentence costs where a share ``rate`` of the
    sentences has no counterpart: the cost falls as the rate rises, and a sentence with a clear
    counterpart of its own (unclaimed_best) is dearer to omit than one with none. Sentences in
    ``runs`` (omitted_runs: a passage the other side leaves out) and page numbers and running heads
    (Scorer.src_furniture: boilerplate.print_furniture) pay their evidence alone."""
    p = scorer.params
    cost = p.omission_offset - p.omission_scale * math.log(rate + 0.01)
    src_free, tgt_free = scorer.src_furniture, scorer.tgt_furniture
    if runs is not None:
        src_free, tgt_free = src_free | runs[0], tgt_free | runs[1]
    src_best, tgt_best = unclaimed_best(scorer)
    return (np.maximum(p.omission_evidence * src_best + np.where(src_free, 0.0, cost), p.omission_floor),
            np.maximum(p.omission_evidence * tgt_best + np.where(tgt_free, 0.0, cost), p.omission_floor))


def much_omitted_costs(scorer: Scorer, gains: dict[tuple[int, int], np.ndarray],
                       rate: float) -> dict[tuple[int, int], np.ndarray]:
    """The gains less two costs that apply where a share ``rate`` of the sentences is omitted (in
    full from ``weak_link_rate_full``, not at all up to ``weak_link_rate_none``: AlignParams):
    - a weak link: the shortfall of the unit's kNN margin from ``weak_link_margin``, for units
      holding no mutual best match (a weak link between sentences that prefer each other is a loose
      rendering, as in rewrites, not two omissions side by side);
    - a misfit edge: for each sentence at either end of a side of two or more, the shortfall below
      0 of its kNN margin against the other side's whole block (a sentence that does not match the
      block it would join is an omission beside the link; composed blocks score higher as they
      grow, so the unit's own similarity does not show it).
    Both read kNN margins less Scorer.knn_inflation."""
    p = scorer.params
    share = much_omitted(rate, p.weak_link_rate_none, p.weak_link_rate_full)
    if not share:
        return gains
    best = np.zeros(scorer.margin11.shape)
    for i, j in matches(scorer, -np.inf):
        best[i, j] = 1
    costed = {}
    for (a, b), gain in gains.items():
        shortfall = np.minimum(scorer.margin(a, b) - scorer.knn_inflation - p.weak_link_margin, 0)
        weak = shortfall * (window_max(best, a, b) == 0)
        costed[(a, b)] = gain + share * (p.weak_link_weight * weak - p.edge_fit_weight * edge_misfit(scorer, a, b))
    return costed


def with_knn_margins(scorer: Scorer, gains: dict[tuple[int, int], np.ndarray],
                     rate: float) -> dict[tuple[int, int], np.ndarray]:
    """The gains plus each unit's kNN margin (less Scorer.knn_inflation) x knn_weight, in full
    where a share ``rate`` of the sentences is omitted from knn_rate_full, not at all up to
    knn_rate_none, plus x short_knn_weight as far as the documents are short (short_share;
    AlignParams)."""
    p = scorer.params
    share = (much_omitted(rate, p.knn_rate_none, p.knn_rate_full) * p.knn_weight
             + short_share(scorer) * p.short_knn_weight)
    if not share:
        return gains
    return {(a, b): gain + share * (scorer.margin(a, b) - scorer.knn_inflation) for (a, b), gain in gains.items()}


def short_share(scorer: Scorer) -> float:
    """How far the two documents are short, in [0, 1]: not at all from FULL_POOL sentences a side
    up, in full from short_full down (by Scorer.thinness, the mean of the two sides')."""
    full = math.log(FULL_POOL / scorer.params.short_full)
    return float(np.clip(scorer.thinness / full, 0, 1)) if full > 0 else 0.0


def edge_misfit(scorer: Scorer, a: int, b: int) -> np.ndarray | float:
    """For every a x b unit, how far below 0 the kNN margins of the sentences at the ends of a side
    of two or more fall against the other side's block (first and last source sentence against the
    b target sentences, first and last target sentence against the a source ones), summed."""
    misfit: np.ndarray | float = 0.0
    rows, columns = scorer.margin(a, b).shape
    if a >= 2:
        # each source sentence against each target block
        against = np.minimum(scorer.margin(1, b) - scorer.knn_inflation, 0)
        misfit = misfit - against[:rows] - against[a - 1:a - 1 + rows]
    if b >= 2:
        against = np.minimum(scorer.margin(a, 1) - scorer.knn_inflation, 0)
        misfit = misfit - against[:, :columns] - against[:, b - 1:b - 1 + columns]
    return misfit
