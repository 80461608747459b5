"""Where a first pass leaves units in doubt, a second one looks closer: the sentences in doubt, how
far joined blocks reach there, their edge clauses; and the scorer without these (for comparisons
that need no model calls)."""
from __future__ import annotations

import copy
from dataclasses import replace
from itertools import groupby

import numpy as np

from .clauses import clause_misfit
from .scorer import Scorer, matches


def with_clauses(scorer: Scorer, gains: dict[tuple[int, int], np.ndarray], doubtful_src: np.ndarray,
                 doubtful_tgt: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
    """The gains less clause_weight x each unit's clause misfit, the clauses of the ``doubtful``
    sentences (source, target masks) embedded."""
    shortfalls = scorer.clause_shortfalls(doubtful_src, doubtful_tgt)
    return {(a, b): gain + scorer.params.clause_weight * clause_misfit(shortfalls, a, b)
            for (a, b), gain in gains.items()}


# A link is settled with this many strong 1-1 links either side of it (MAC-Dev with zh .trans: 0.9217
# with 1, 0.9228 with 2, as with every sentence's clauses)
SETTLED_RUN = 2


def doubtful_sentences(scorer: Scorer, path: list[tuple[range, range]]) -> tuple[np.ndarray, np.ndarray]:
    """Per side, the sentences whose unit edges a first pass's ``path`` leaves in doubt: all but
    those of a settled link, a 1-1 link that is a strong mutual best match (strong_match) with
    SETTLED_RUN more such links before and after it (fewer at a document's edge). Where a
    translator split or joined sentences, the units nearby are not all 1-1, so the clauses there
    are still weighed."""
    strong = set(matches(scorer, scorer.params.strong_match))
    settled = [len(s) == 1 and len(t) == 1 and (s[0], t[0]) in strong for s, t in path]
    doubtful_src = np.ones(len(scorer.src_lengths), bool)
    doubtful_tgt = np.ones(len(scorer.tgt_lengths), bool)
    for k, (s, t) in enumerate(path):
        if all(settled[max(k - SETTLED_RUN, 0):k + SETTLED_RUN + 1]):
            doubtful_src[s[0]] = doubtful_tgt[t[0]] = False
    return doubtful_src, doubtful_tgt


def joined_reach(path: list[tuple[range, range]], n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Per side, for each sentence, the largest block holding it whose joined text is worth
    embedding, given a first pass's ``path``: none (0) away from the units it made other than 1-1
    (omissions included); in such a unit or next to one, one more than the most sentences this side
    has in any of the three units, and at least 2 (a link beside an omission may be a 2-1 unit, a
    2-1 unit a 3-1 one). MAC-Dev and FLORES dev: the same figures as with every block of up to
    joined_size there, from 62% and 70% of the model calls."""
    # a run of omissions may be one side of a unit the first pass missed (a 1-4 unit as a 1-1 link
    # and three omissions): it counts as one unit that long (FLORES dev: without it, the comparable
    # aligner lost 0.002 on two shuffle-del10-merge4 rows against joining every block of a passage)
    extent: list[tuple[int, int]] = []  # each unit's size, a run of omissions' summed
    for omitted, group in groupby(path, key=lambda unit: not (unit[0] and unit[1])):
        units = list(group)
        if omitted:
            extent += [(sum(len(s) for s, _ in units), sum(len(t) for _, t in units))] * len(units)
        else:
            extent += [(len(s), len(t)) for s, t in units]
    reach = [np.zeros(n, int), np.zeros(m, int)]
    for k, unit in enumerate(path):
        nearby = range(max(k - 1, 0), min(k + 2, len(path)))
        if all(extent[x] == (1, 1) for x in nearby):
            continue
        for side, ids in enumerate(unit):
            reach[side][list(ids)] = max(2, 1 + max(extent[x][side] for x in nearby))
    return reach[0], reach[1]


def unrefined(scorer: Scorer) -> Scorer:
    """``scorer``, or a copy of it that scores no joined blocks and no clause misfits (both take
    model calls) and adds no kNN margins to units where it does: the aligners as auto mode's
    comparison of their support was fitted on (AlignParams.comparable_support)."""
    p = scorer.params
    if not joins(scorer) and p.clause_weight <= 0 and p.knn_weight <= 0 and p.short_knn_weight <= 0:
        return scorer
    rough = copy.copy(scorer)
    rough.params = replace(p, joined_share=0.0, clause_weight=0.0, knn_weight=0.0, short_knn_weight=0.0)
    return rough


def joins(scorer: Scorer) -> bool:
    """Whether the originals' blocks are scored by their joined texts too."""
    return scorer.params.joined_share > 0 and scorer.params.joined_size >= 2
