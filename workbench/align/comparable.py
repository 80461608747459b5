"""The comparable aligner: passages both reports tell (runs of mutual best matches, wherever each
report placed them), each aligned by the monotonic DP with its unmatched neighbours."""
from __future__ import annotations

import numpy as np

from ..records import AlignedUnit
from .costs import much_omitted_costs, omission_costs, unclaimed_best, unit_gains, with_knn_margins
from .parallel import best_path
from .refine import joined_reach, joins, with_clauses
from .scorer import Scorer, matches


def runs(pairs: list[tuple[int, int]], step: int) -> list[list[tuple[int, int]]]:
    """Matches chained into runs that go forward on both sides, at most ``step`` sentences at a
    time: a passage one report kept whole, wherever it placed it."""
    chained: list[list[tuple[int, int]]] = []
    for i, j in sorted(pairs):
        if chained and 0 < i - chained[-1][-1][0] <= step and 0 < j - chained[-1][-1][1] <= step:
            chained[-1].append((i, j))
        else:
            chained.append([(i, j)])
    return chained


def non_monotonic(scorer: Scorer, gains: dict[tuple[int, int], np.ndarray], n: int, m: int) -> list[AlignedUnit]:
    """Reordered reports: each run of matches, with up to ``run_reach`` unmatched sentences
    either side of it, is aligned by the monotonic DP (which finds the merges and omissions
    inside a passage); the sentences of no run are omitted. ``gains``: unit_gains."""
    p = scorer.params
    passages = runs(matches(scorer, p.match_threshold), p.run_step)
    spans = passage_spans(passages, n, m, p.run_reach)
    if joins(scorer):  # blocks of 2 in a passage's span, longer near the units a first pass made
        # other than 1-1 (joined_reach; FLORES dev: the same figures as with every block of up to
        # joined_size in a span, from 47% of the model calls)
        src_best, tgt_best = unclaimed_best(scorer)
        first = aligned_passages(gains, passages, p.run_reach, p.omission_evidence * src_best,
                                 p.omission_evidence * tgt_best)[1]
        src_reach, tgt_reach = 2 * spans[0], 2 * spans[1]
        for path in first:
            reach = joined_reach(path, n, m)
            src_reach, tgt_reach = np.maximum(src_reach, reach[0]), np.maximum(tgt_reach, reach[1])
        scorer = scorer.with_joined_windows(src_reach, tgt_reach, p.joined_share)
        gains = unit_gains(scorer)
    if p.clause_weight > 0:  # the clauses of the sentences a passage may take in
        gains = with_clauses(scorer, gains, *spans)
    gains = much_omitted_costs(scorer, gains, p.comparable_omission_rate)
    # kNN margins as in the parallel DP: at the rate a first pass over the passages omits (a DP of
    # its own, run only where that rate is weighed), and in short documents
    rate = passages_omitted_share(scorer, gains, passages, n, m) if p.knn_weight > 0 else 0.0
    gains = with_knn_margins(scorer, gains, rate)
    linked = aligned_passages(gains, passages, p.run_reach, *omission_costs(scorer, p.comparable_omission_rate))[0]
    used_src = {i for s, _ in linked for i in s}
    used_tgt = {j for _, t in linked for j in t}
    units = sorted(linked + [([i], []) for i in range(n) if i not in used_src], key=lambda u: u[0][0])
    ordered = [scorer.unit(s, t) for s, t in units]
    for j in range(m):  # target sentences with no counterpart go right after their predecessor
        if j not in used_tgt:
            after = next((k for k, u in enumerate(ordered) if j - 1 in u.tgt_ids), -1)
            ordered.insert(after + 1, scorer.unit([], [j]))
    return ordered


def passages_omitted_share(scorer: Scorer, gains: dict[tuple[int, int], np.ndarray],
                           passages: list[list[tuple[int, int]]], n: int, m: int) -> float:
    """The share of the n + m sentences that a first pass over the ``passages`` leaves out (the
    sentences of no passage, and those a passage's DP omits at omission costs from the evidence
    alone, as in the parallel DP's first pass): FLORES dev's shuffled reports with 30% deleted
    a side 17-25%, with 10% deleted and merges 1-12%."""
    p = scorer.params
    src_best, tgt_best = unclaimed_best(scorer)
    linked = aligned_passages(gains, passages, p.run_reach, p.omission_evidence * src_best,
                              p.omission_evidence * tgt_best)[0]
    return 1 - sum(len(s) + len(t) for s, t in linked) / max(n + m, 1)


def passage_spans(passages: list[list[tuple[int, int]]], n: int, m: int, run_reach: int) -> tuple[np.ndarray, np.ndarray]:
    """Per side, the sentences a passage (a run of matches) may take in: its own and up to
    ``run_reach`` either side."""
    src, tgt = np.zeros(n, bool), np.zeros(m, bool)
    for run in passages:
        src[max(run[0][0] - run_reach, 0):run[-1][0] + run_reach + 1] = True
        tgt[max(min(j for _, j in run) - run_reach, 0):max(j for _, j in run) + run_reach + 1] = True
    return src, tgt


def aligned_passages(gains: dict[tuple[int, int], np.ndarray], passages: list[list[tuple[int, int]]], run_reach: int,
                     src_omit: np.ndarray, tgt_omit: np.ndarray) -> tuple[list[tuple[list[int], list[int]]],
                                                                      list[list[tuple[range, range]]]]:
    """Each passage (a run of matches) with up to ``run_reach`` unmatched sentences either side,
    aligned by the monotonic DP: the links made (a sentence in the spans of two passages goes to
    the first) and each passage's path, in document positions."""
    n, m = len(src_omit), len(tgt_omit)
    matched_src, matched_tgt = {i for run in passages for i, _ in run}, {j for run in passages for _, j in run}
    used_src: set[int] = set()
    used_tgt: set[int] = set()
    linked: list[tuple[list[int], list[int]]] = []
    paths = []
    for run in passages:
        (s0, t0), (s1, t1) = run[0], (run[-1][0] + 1, run[-1][1] + 1)
        for _ in range(run_reach):  # take in unmatched neighbours, which may belong to the passage
            if s0 > 0 and s0 - 1 not in matched_src | used_src:
                s0 -= 1
            if t0 > 0 and t0 - 1 not in matched_tgt | used_tgt:
                t0 -= 1
            if s1 < n and s1 not in matched_src:
                s1 += 1
            if t1 < m and t1 not in matched_tgt:
                t1 += 1
        span = {(a, b): g[s0:s1 - a + 1, t0:t1 - b + 1] for (a, b), g in gains.items()
                if a <= s1 - s0 and b <= t1 - t0}
        path = [(range(s0 + s.start, s0 + s.stop), range(t0 + t.start, t0 + t.stop))
                for s, t in best_path(span, s1 - s0, t1 - t0, src_omit[s0:s1], tgt_omit[t0:t1])]
        paths.append(path)
        for s, t in path:
            if s and t and not (used_src & set(s) or used_tgt & set(t)):
                linked.append((list(s), list(t)))
                used_src.update(s)
                used_tgt.update(t)
    return linked, paths
