"""The entry point: align two sides in the mode asked, or choose it (auto) from the order of the
clear matches and, where that says too little, from both aligners' support; a pair too long for
the DP is cut at strong matches into pieces."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..embed import Embedder
from ..records import AlignedUnit
from .comparable import non_monotonic
from .costs import unit_gains
from .parallel import monotonic
from .params import MODES, Alignment, AlignParams, Side
from .refine import unrefined
from .scorer import Scorer, confidences_in_context, matches

# The parallel DP holds ~500 bytes per sentence pair at its peak (1.96 GB for 1,809 x 1,792 FLORES
# sentences, measured): a longer pair (two books) is cut at strong matches into pieces of at least
# PIECE_CELLS pairs, each aligned alone (cut into two pieces there: 0.77 GB, strict F1 0.978
# against 0.979 whole).
MAX_DP_CELLS = 4_000_000
PIECE_CELLS = 1_000_000
# auto: with fewer clear matches their order says nothing (the seed articles' comparable pairs have
# 7-15 at margin >= 0.01, 29-57% in order; MAC-Dev's chapters 34-171, 88-98% in order)
MIN_ORDER_EVIDENCE = 5


def omission_threshold(scorer: Scorer) -> float:
    """A percentile of the margins of all sentence pairs, nearly all pairs of unrelated sentences:
    what a link must beat to count as support in auto mode's comparison of the two aligners."""
    return float(np.percentile(scorer.margin11, scorer.params.omission_percentile))


def longest_in_order(pairs: list[tuple[int, int]]) -> int:
    """Matches on the longest chain that goes forward on both sides (longest increasing subsequence)."""
    tails: list[int] = []
    for _, j in sorted(pairs):
        k = int(np.searchsorted(tails, j))
        tails[k:k + 1] = [j]
    return len(tails)


def monotonicity(pairs: list[tuple[int, int]]) -> float:
    """Share of matches on the longest increasing chain (1.0: perfectly in order)."""
    return longest_in_order(pairs) / len(pairs) if pairs else 0.0


def align(src: Side, tgt: Side, embedder: Embedder, conn=None, mode: str = "auto",
          params: AlignParams = AlignParams()) -> Alignment:
    """The alignment of two sides in ``mode`` (auto: chosen), each linked unit's confidence read
    from its margin and the units around it (confidences_in_context)."""
    result = _aligned(src, tgt, embedder, conn, mode, params)
    return replace(result, units=confidences_in_context(result.units, params))


def _aligned(src: Side, tgt: Side, embedder: Embedder, conn, mode: str, params: AlignParams) -> Alignment:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    n, m = len(src.texts), len(tgt.texts)
    if n == 0 or m == 0:
        units = [AlignedUnit([i], [], 1.0) for i in range(n)] + [AlignedUnit([], [j], 1.0) for j in range(m)]
        return Alignment(units, "parallel" if mode == "auto" else mode, 0.0, mode_reason="a side has no sentences")
    scorer = Scorer(src, tgt, embedder, conn, params)
    strong = matches(scorer, params.strong_match)
    order = monotonicity(strong)
    reason = f"{mode} as asked"
    evidence = f"{len(strong)} strong matches, {order:.0%} of them in order"
    clear = matches(scorer, params.match_threshold)
    settled_by_order = False  # parallel chosen, unasked, from the order of many strong matches
    if mode == "auto" and unordered(clear):
        # the clear matches are in no more order than chance puts them (a few strong ones may
        # still be: three random matches are in order one time in six): different reports, which
        # parallel would link sentence by sentence into weak many-sentence units
        mode = "comparable"
        reason = (f"{evidence}; of {len(clear)} clear matches only {longest_in_order(clear)} "
                  f"in order, no more than in a random order")
    elif mode == "auto" and len(strong) >= 3 and (n * m > MAX_DP_CELLS or order >= params.monotonic_ratio
                                                   and len(strong) >= params.order_evidence):
        # many, in order: a translation (a few in order may be a short report that moved one
        # passage: AlignParams.order_evidence). Out of order in a pair too long to run both on: the
        # strong matches of two long documents are many, and their order is the evidence.
        mode = "parallel" if order >= params.monotonic_ratio else "comparable"
        reason = evidence
        settled_by_order = mode == "parallel" and n * m <= MAX_DP_CELLS
    cuts = cut_points(strong) if mode == "parallel" and n * m > MAX_DP_CELLS else []
    if cuts:
        units = aligned_in_pieces(src, tgt, embedder, conn, params, cuts)
        reason += f"; {n} x {m} sentences cut at strong matches into {len(cuts) + 1} pieces"
        return Alignment(units, mode, order, scorer.used_english, reason, scorer.dictionary)
    gains = unit_gains(scorer)  # both aligners score units alike
    refined = unrefined(scorer) is not scorer  # the aligner kept runs again with joined blocks, clauses
    if mode == "auto":  # too few strong matches, or out of order: both aligners, and comparable
        # only where it links clearly more than parallel does
        rough_parallel, rough_comparable, in_order, reordered = both_supports(scorer, gains, n, m)
        moved = broken(rough_parallel, matches(scorer, params.moved_match))
        needed = params.moved_support if moved else params.comparable_support
        chosen = reordered >= needed * in_order and reordered > 0
        mode = "comparable" if chosen else "parallel"
        if refined:
            units = (non_monotonic if chosen else monotonic)(scorer, gains, n, m)
        else:
            units = rough_comparable if chosen else rough_parallel
        reason = f"{evidence}: {compared(mode, in_order, reordered, needed, moved)}"
        return Alignment(units, mode, order, scorer.used_english, reason, scorer.dictionary)
    aligner = monotonic if mode == "parallel" else non_monotonic
    units = aligner(scorer, gains, n, m)
    moved = broken(units, matches(scorer, params.moved_match)) if settled_by_order else []
    if moved:  # many strong matches in order, but parallel breaks some: a long report may have
        # moved a passage (its lead from the end to the top)
        _, rough_comparable, in_order, reordered = both_supports(scorer, gains, n, m)
        if reordered >= params.moved_support * in_order and reordered > 0:
            mode = "comparable"
            units = non_monotonic(scorer, gains, n, m) if refined else rough_comparable
        reason += f"; {compared(mode, in_order, reordered, params.moved_support, moved)}"
    return Alignment(units, mode, order, scorer.used_english, reason, scorer.dictionary)


def both_supports(scorer: Scorer, gains: dict[tuple[int, int], np.ndarray], n: int,
                  m: int) -> tuple[list[AlignedUnit], list[AlignedUnit], float, float]:
    """Both aligners' units and support (``support``), run without joined blocks and clauses, whose
    model calls only the aligner kept needs (FLORES dev: the same modes and figures, from 61% of
    the joined blocks' model calls), and without kNN margins (refine.unrefined)."""
    rough = unrefined(scorer)
    parallel, comparable = monotonic(rough, gains, n, m), non_monotonic(rough, gains, n, m)
    threshold = omission_threshold(scorer)
    return parallel, comparable, support(parallel, threshold), support(comparable, threshold)


def compared(mode: str, in_order: float, reordered: float, needed: float, moved: list[tuple[int, int]]) -> str:
    """Why auto kept ``mode`` after running both aligners."""
    why = f", as parallel breaks {len(moved)} clear matches" if moved else ""
    return (f"both aligners run, {mode} kept (support: parallel {in_order:.3f}, comparable {reordered:.3f}, "
            f"without joined blocks or clauses; comparable needs {needed:g}x parallel's{why})")


def unordered(pairs: list[tuple[int, int]]) -> bool:
    """At least MIN_ORDER_EVIDENCE matches, their longest in-order chain no longer than a random
    order's (2 sqrt(n): the expected longest increasing subsequence of a random permutation)."""
    return len(pairs) >= MIN_ORDER_EVIDENCE and longest_in_order(pairs) <= 2 * math.sqrt(len(pairs))


def broken(units: list[AlignedUnit], pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The matches among ``pairs`` whose two sentences an alignment does not link to each other: in
    a parallel alignment, a passage the other report moved, which the monotonic DP cannot follow
    (it leaves it out, or takes its sentences into units with others)."""
    unit_of = {}
    for k, unit in enumerate(units):
        unit_of.update({("src", i): k for i in unit.src_ids} | {("tgt", j): k for j in unit.tgt_ids})
    return [(i, j) for i, j in pairs if unit_of[("src", i)] != unit_of[("tgt", j)]]


def cut_points(strong: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where a long parallel pair can be cut into pieces of at least PIECE_CELLS sentence pairs:
    before a strong match whose neighbours on both sides are strong matches too (three 1-1 links
    in a row: no unit can straddle the middle one), going forward on both sides."""
    matched = set(strong)
    cuts = [(0, 0)]
    for i, j in sorted(matched):
        last_i, last_j = cuts[-1]
        if ((i - 1, j - 1) in matched and (i + 1, j + 1) in matched and i > last_i and j > last_j
                and (i - last_i) * (j - last_j) >= PIECE_CELLS):
            cuts.append((i, j))
    return cuts[1:]


def aligned_in_pieces(src: Side, tgt: Side, embedder: Embedder, conn, params: AlignParams,
                      cuts: list[tuple[int, int]]) -> list[AlignedUnit]:
    """The parallel alignment of each piece between consecutive cut points, in document positions."""
    bounds = [(0, 0), *cuts, (len(src.texts), len(tgt.texts))]
    units = []
    for (i0, j0), (i1, j1) in zip(bounds, bounds[1:]):
        piece = _aligned(Side(src.texts[i0:i1], src.lang, src.english[i0:i1]),
                         Side(tgt.texts[j0:j1], tgt.lang, tgt.english[j0:j1]), embedder, conn, "parallel", params)
        units += [replace(u, src_ids=[i0 + i for i in u.src_ids], tgt_ids=[j0 + j for j in u.tgt_ids])
                  for u in piece.units]
    return units


def support(units: list[AlignedUnit], threshold: float) -> float:
    """How much of both documents an alignment links, and how clearly: the sentences of each
    linked unit times its margin above the omission threshold, summed."""
    return sum((len(u.src_ids) + len(u.tgt_ids)) * max((u.margin or 0.0) - threshold, 0.0)
               for u in units if u.src_ids and u.tgt_ids)
