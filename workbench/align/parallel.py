"""The parallel aligner: a monotonic dynamic program over units of up to max_block sentences a side
and omissions, run twice (a first pass estimates the omission rate and where units are in doubt)."""
from __future__ import annotations

import numpy as np

from ..records import AlignedUnit
from .costs import (
    much_omitted,
    much_omitted_costs,
    omission_costs,
    omitted_runs,
    omitted_share,
    unclaimed_best,
    unit_gains,
    with_knn_margins,
)
from .refine import doubtful_sentences, joined_reach, joins, with_clauses
from .scorer import Scorer


def monotonic(scorer: Scorer, gains: dict[tuple[int, int], np.ndarray], n: int, m: int) -> list[AlignedUnit]:
    """The best in-order sequence of units; omission costs set from this pair's own omission
    rate, estimated by a first pass whose costs are the evidence alone, and unit edges weighed
    against clauses, and blocks by their joined texts (the more, the more that pass omits), where
    it leaves them in doubt; where it omits very much, or the documents are short, units earn
    their kNN margins too (with_knn_margins); a passage that pass omits is omitted at the cost its
    evidence sets (omitted_runs). ``gains``: unit_gains."""
    p = scorer.params
    src_best, tgt_best = unclaimed_best(scorer)
    first = best_path(gains, n, m, p.omission_evidence * src_best, p.omission_evidence * tgt_best)
    if p.clause_weight > 0 or joins(scorer):
        doubtful = doubtful_sentences(scorer, first)
        if joins(scorer):  # blocks near the units the first pass made other than 1-1 (MAC-Dev and
            # FLORES dev: the same figures as with every doubtful sentence's blocks)
            src_reach, tgt_reach = joined_reach(first, n, m)
            much = much_omitted(omitted_share(first, n, m), p.joined_rate_none, p.joined_rate_full)
            share = p.joined_share + much * (p.joined_share_omitted - p.joined_share)
            scorer = scorer.with_joined_windows(src_reach * doubtful[0], tgt_reach * doubtful[1], share)
            gains = unit_gains(scorer)
        if p.clause_weight > 0:
            gains = with_clauses(scorer, gains, *doubtful)
        first = best_path(gains, n, m, p.omission_evidence * src_best, p.omission_evidence * tgt_best)
    omitted = omitted_share(first, n, m)
    gains = with_knn_margins(scorer, much_omitted_costs(scorer, gains, omitted), omitted)
    path = best_path(gains, n, m, *omission_costs(scorer, omitted, omitted_runs(first, n, m, p.omission_run)))
    return [scorer.unit(list(s), list(t)) for s, t in path]


def best_path(gains: dict[tuple[int, int], np.ndarray], n: int, m: int, src_omit: np.ndarray,
              tgt_omit: np.ndarray) -> list[tuple[range, range]]:
    """Monotonic DP: units with ``gains[(a, b)][i, j]`` for source i.. and target j.., omitting
    source sentence i costs ``src_omit[i]``, target sentence j ``tgt_omit[j]``."""
    best = np.full((n + 1, m + 1), -np.inf)
    move = np.zeros((n + 1, m + 1, 2), np.int8)  # (a, b) of the step into each cell
    tgt_cost = np.concatenate([[0.0], np.cumsum(tgt_omit)])  # cost of omitting targets 0..j-1
    best[0] = -tgt_cost
    move[0, 1:] = (0, 1)
    for i in range(1, n + 1):
        row = best[i - 1] - src_omit[i - 1]  # omit source sentence i-1
        steps = np.zeros((m + 1, 2), np.int8)
        steps[:] = (1, 0)
        for (a, b), gain in gains.items():
            if a > i:
                continue
            values = best[i - a, :m + 1 - b] + gain[i - a]  # into cells j = b..m
            better = values > row[b:]
            row[b:][better] = values[better]
            steps[b:][better] = (a, b)
        # omitting target sentences k..j-1 after cell k: a running maximum over cumulative costs
        # (the margin keeps float rounding of that sum from passing for an omission)
        running = np.maximum.accumulate(row + tgt_cost) - tgt_cost
        omit = running > row + 1e-9
        steps[omit] = (0, 1)
        best[i], move[i] = np.where(omit, running, row), steps
    path = []
    i, j = n, m
    while i > 0 or j > 0:
        a, b = (int(x) for x in move[i, j]) if i > 0 else (0, 1)
        path.append((range(i - a, i), range(j - b, j)))
        i, j = i - a, j - b
    return path[::-1]
