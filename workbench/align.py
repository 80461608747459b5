"""Cross-lingual sentence alignment of two documents.

Scores: cosine similarity of multilingual embeddings of the originals (and of the English
translations where both sides have them), made comparable across sentences with a margin
against each sentence's nearest neighbours (as in margin-based bitext mining), plus a small
bonus for shared numbers and names.

Two aligners over that score matrix:
- parallel: a monotonic dynamic program (as Vecalign/Bertalign) with 1-1, 1-2, 2-1 units and
  omissions; a pair is worth aligning when its margin beats a threshold, less a Gale-Church
  style penalty when its lengths are out of proportion. Merged blocks are scored with the
  embedding of the two sentences' concatenation. Each DP row is vectorised: skipping target
  sentences costs a constant each, so a row is one cumulative maximum.
- comparable: reordered, partially overlapping reports; mutual best matches above a margin
  threshold, with a neighbouring sentence merged in where it prefers the same counterpart.
``auto`` picks one per document pair from how monotonic the strong matches are.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .anchors import Anchors, anchor_bonus, anchors, number_flags
from .embed import Embedder, embed_cached
from .records import AlignedUnit

MODES = ("auto", "parallel", "comparable")
_NO_SPACE_LANGS = {"ja", "zh", "th"}


@dataclass(frozen=True)
class AlignParams:
    knn: int = 4  # neighbours in the margin
    # DP values: a unit earns (margin - gap - merge_penalty if 2 sentences on a side); every
    # omitted sentence costs ``skip``. So a 1-1 pair is kept when its margin beats gap - 2*skip,
    # and a merge wins over 1-1 + omission when its margin beats the 1-1's by merge_penalty - skip.
    gap: float = 0.005
    skip: float = 0.005
    merge_penalty: float = 0.005
    # A merged block's concatenation embeds only a little closer than its better half; when both
    # halves match the counterpart on their own, that is evidence for the merge too.
    merge_evidence: float = 0.5
    # Translations keep lengths in proportion (Gale-Church): in the DP, a unit whose character
    # lengths disagree with the documents' overall ratio loses this much per unit of |log ratio|.
    # Only where the strong matches show it: rewrites (RMS log-ratio ~0.8 on the seed ja-fr) do
    # not keep proportions, translations do (~0.2-0.25 on FLORES); full weight up to
    # length_spread_full, none from length_spread_none.
    length_weight: float = 0.02
    length_spread_full: float = 0.25
    length_spread_none: float = 0.5
    match_threshold: float = 0.01  # comparable mode: margin needed for a link
    english_weight: float = 0.5  # weight of the English-side similarity when both sides have one
    anchor_weight: float = 0.03
    strong_match: float = 0.03  # auto: margin of the matches whose order decides the mode
    monotonic_ratio: float = 0.8  # auto: share of strong matches in order needed for "parallel"
    # logistic calibration of margin -> confidence, fitted on FLORES-200 dev (benchmarks/alignment_eval.py)
    confidence_center: float = -0.0114
    confidence_scale: float = 0.0177

    def signature(self) -> dict:
        return asdict(self)


@dataclass
class Side:
    """One document's content sentences, ready to align."""
    texts: list[str]
    lang: str
    english: list[str | None]

    @property
    def separator(self) -> str:
        """What joins two sentences of this language into one passage."""
        return "" if self.lang in _NO_SPACE_LANGS else " "

    def joined(self, i: int) -> str:
        return self.texts[i] + self.separator + self.texts[i + 1]

    def joined_english(self, i: int) -> str | None:
        a, b = self.english[i], self.english[i + 1]
        return f"{a} {b}" if a is not None and b is not None else None


@dataclass
class Alignment:
    units: list[AlignedUnit]  # positions are indices into Side.texts
    mode: str
    monotonicity: float
    used_english: bool = False  # both sides' English translations were part of the score


def neighbourhoods(sim: np.ndarray, knn: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean similarity of each row's and each column's ``knn`` nearest neighbours."""
    n, m = sim.shape
    rows = np.sort(sim, axis=1)[:, -min(knn, m):].mean(axis=1) if m else np.zeros(n)
    columns = np.sort(sim, axis=0)[-min(knn, n):, :].mean(axis=0) if n else np.zeros(m)
    return rows, columns


def margins(sim: np.ndarray, knn: int) -> np.ndarray:
    """Similarity minus the mean neighbourhood of both sentences (margin-based bitext mining)."""
    rows, columns = neighbourhoods(sim, knn)
    return sim - (rows[:, None] + columns[None, :]) / 2


class Scorer:
    """Margin-normalised similarities of single sentences and of 2-sentence blocks."""

    def __init__(self, src: Side, tgt: Side, embedder: Embedder, conn, params: AlignParams):
        self.params = params
        n, m = len(src.texts), len(tgt.texts)

        def embed(texts):
            return embed_cached(conn, embedder, texts)

        s1, t1 = embed(src.texts), embed(tgt.texts)
        s2 = embed([src.joined(i) for i in range(n - 1)]) if n > 1 else None
        t2 = embed([tgt.joined(j) for j in range(m - 1)]) if m > 1 else None
        self.sim11 = s1 @ t1.T
        self.sim21 = s2 @ t1.T if s2 is not None else np.zeros((0, m))
        self.sim12 = s1 @ t2.T if t2 is not None else np.zeros((n, 0))
        with_english = all(e is not None for e in src.english) and all(e is not None for e in tgt.english)
        if with_english and params.english_weight > 0 and n and m:
            w = params.english_weight
            se, te = embed(src.english), embed(tgt.english)
            self.sim11 = (1 - w) * self.sim11 + w * (se @ te.T)
            if n > 1:
                self.sim21 = (1 - w) * self.sim21 + w * (embed([src.joined_english(i) for i in range(n - 1)]) @ te.T)
            if m > 1:
                self.sim12 = (1 - w) * self.sim12 + w * (se @ embed([tgt.joined_english(j) for j in range(m - 1)]).T)
        self.used_english = with_english
        self.hood_src, self.hood_tgt = neighbourhoods(self.sim11, params.knn)
        self.src_anchors = [anchors(t) for t in src.texts]
        self.tgt_anchors = [anchors(t) for t in tgt.texts]
        bonus = np.array([[anchor_bonus(a, b) for b in self.tgt_anchors] for a in self.src_anchors]).reshape(n, m)
        hoods = (self.hood_src[:, None] + self.hood_tgt[None, :]) / 2
        self.margin11 = self.sim11 - hoods + params.anchor_weight * bonus
        pair_src = (self.hood_src[:-1] + self.hood_src[1:]) / 2
        pair_tgt = (self.hood_tgt[:-1] + self.hood_tgt[1:]) / 2
        self.margin21 = self.sim21 - (pair_src[:, None] + self.hood_tgt[None, :]) / 2
        self.margin12 = self.sim12 - (self.hood_src[:, None] + pair_tgt[None, :]) / 2
        if n > 1:
            both = np.minimum(self.margin11[:-1], self.margin11[1:])
            self.margin21 = self.margin21 + params.merge_evidence * np.maximum(both, 0)
        if m > 1:
            both = np.minimum(self.margin11[:, :-1], self.margin11[:, 1:])
            self.margin12 = self.margin12 + params.merge_evidence * np.maximum(both, 0)

    def length_penalties(self, src: Side, tgt: Side) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """|log| of each candidate unit's length ratio against the documents' ratio: 1-1, 2-1, 1-2."""
        ls = np.array([len(t) for t in src.texts], float) + 1
        lt = np.array([len(t) for t in tgt.texts], float) + 1
        ratio = lt.sum() / ls.sum()

        def off(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return np.abs(np.log(b[None, :] / (a[:, None] * ratio)))

        return off(ls, lt), off(ls[:-1] + ls[1:], lt), off(ls, lt[:-1] + lt[1:])

    def unit_margin(self, src_ids: list[int], tgt_ids: list[int]) -> float:
        if len(src_ids) == 2:
            return float(self.margin21[src_ids[0], tgt_ids[0]])
        if len(tgt_ids) == 2:
            return float(self.margin12[src_ids[0], tgt_ids[0]])
        return float(self.margin11[src_ids[0], tgt_ids[0]])

    def confidence(self, margin: float) -> float:
        p = self.params
        return 1 / (1 + math.exp(-(margin - p.confidence_center) / p.confidence_scale))

    def unit(self, src_ids: list[int], tgt_ids: list[int]) -> AlignedUnit:
        if src_ids and tgt_ids:
            margin = self.unit_margin(src_ids, tgt_ids)
            a = _merge_anchors([self.src_anchors[i] for i in src_ids])
            b = _merge_anchors([self.tgt_anchors[j] for j in tgt_ids])
            return AlignedUnit(src_ids, tgt_ids, round(self.confidence(margin), 4), number_flags(a, b), margin)
        # an omission is as certain as the best counterpart the sentence could have had is poor
        best = self.margin11[src_ids[0]].max() if src_ids else self.margin11[:, tgt_ids[0]].max()
        return AlignedUnit(src_ids, tgt_ids, round(1 - self.confidence(float(best)), 4), [])


def _merge_anchors(items: list[Anchors]) -> Anchors:
    return Anchors(frozenset().union(*(a.numbers for a in items)), frozenset().union(*(a.names for a in items)))


# --- parallel: monotonic DP ------------------------------------------------------------------

_SKIP_SRC, _SKIP_TGT, _ONE_ONE, _ONE_TWO, _TWO_ONE = 1, 2, 3, 4, 5
_STEP = {_SKIP_SRC: (1, 0), _SKIP_TGT: (0, 1), _ONE_ONE: (1, 1), _ONE_TWO: (1, 2), _TWO_ONE: (2, 1)}


def length_trust(scorer: Scorer, off11: np.ndarray) -> float:
    """How far lengths can be trusted, in [0, 1], from the length ratios of the strong matches."""
    p = scorer.params
    strong = matches(scorer, p.strong_match)
    if len(strong) < 3:
        return 0.0
    spread = float(np.sqrt(np.mean([off11[i, j] ** 2 for i, j in strong])))
    return float(np.clip((p.length_spread_none - spread) / (p.length_spread_none - p.length_spread_full), 0, 1))


def monotonic(scorer: Scorer, src: Side, tgt: Side) -> list[AlignedUnit]:
    p = scorer.params
    n, m = len(src.texts), len(tgt.texts)
    off11, off21, off12 = scorer.length_penalties(src, tgt)
    weight = p.length_weight * length_trust(scorer, off11)
    gain11 = scorer.margin11 - p.gap - weight * off11
    gain21 = scorer.margin21 - p.gap - p.merge_penalty - weight * off21
    gain12 = scorer.margin12 - p.gap - p.merge_penalty - weight * off12
    columns = np.arange(m + 1) * p.skip
    best = np.full((n + 1, m + 1), -np.inf)
    move = np.zeros((n + 1, m + 1), np.int8)
    best[0, :] = -columns
    move[0, 1:] = _SKIP_TGT
    for i in range(1, n + 1):
        candidates = best[i - 1] - p.skip  # skip source sentence i-1
        moves = np.full(m + 1, _SKIP_SRC, np.int8)
        options = [(_ONE_ONE, best[i - 1, :-1] + gain11[i - 1], 1)]
        if m >= 2:
            options.append((_ONE_TWO, best[i - 1, :-2] + gain12[i - 1], 2))
        if i >= 2:
            options.append((_TWO_ONE, best[i - 2, :-1] + gain21[i - 2], 1))
        for code, values, offset in options:
            better = values > candidates[offset:]
            candidates[offset:][better] = values[better]
            moves[offset:][better] = code
        # skipping target sentences costs `skip` each, so the row's best is a running maximum
        # of candidates shifted by the column's skip cost (one vectorised pass, no inner loop)
        shifted = candidates + columns
        running = np.maximum.accumulate(shifted)
        moves[running > shifted] = _SKIP_TGT  # compared before shifting back: exact in floating point
        best[i], move[i] = running - columns, moves
    units: list[AlignedUnit] = []
    i, j = n, m
    while i > 0 or j > 0:
        code = move[i, j] if i > 0 else _SKIP_TGT
        di, dj = _STEP[int(code)]
        units.append(scorer.unit(list(range(i - di, i)), list(range(j - dj, j))))
        i, j = i - di, j - dj
    return units[::-1]


# --- comparable: mutual best matches -----------------------------------------------------------

def matches(scorer: Scorer, threshold: float) -> list[tuple[int, int]]:
    """Mutual best (i, j) pairs whose margin reaches ``threshold``."""
    margin = scorer.margin11
    if margin.size == 0:
        return []
    best_t, best_s = margin.argmax(axis=1), margin.argmax(axis=0)
    return [(i, int(j)) for i, j in enumerate(best_t) if best_s[j] == i and margin[i, j] >= threshold]


def non_monotonic(scorer: Scorer, n: int, m: int) -> list[AlignedUnit]:
    p = scorer.params
    margin = scorer.margin11
    pairs = matches(scorer, p.match_threshold)
    src_of = {j: [i] for i, j in pairs}
    tgt_of = {i: [j] for i, j in pairs}
    # many-to-one: a neighbour of a matched sentence that prefers the same counterpart, and whose
    # merged block matches better than the single sentence did, joins the unit
    for i, j in pairs:
        for k in (i - 1, i + 1):
            if 0 <= k < n and k not in tgt_of and margin[k].argmax() == j and margin[k, j] >= p.gap:
                lo = min(i, k)
                if lo < n - 1 and scorer.margin21[lo, j] > margin[i, j]:
                    src_of[j] = sorted({i, k})
                    tgt_of[k] = [j]
                    break
        for k in (j - 1, j + 1):
            if 0 <= k < m and k not in src_of and margin[:, k].argmax() == i and margin[i, k] >= p.gap:
                lo = min(j, k)
                if lo < m - 1 and len(src_of[j]) == 1 and scorer.margin12[i, lo] > margin[i, j]:
                    src_of[k] = src_of[j]
                    tgt_of[i] = sorted({j, k})
                    break
    units = {}
    for i in range(n):
        if i in tgt_of:
            key = (tuple(src_of[tgt_of[i][0]]), tuple(tgt_of[i]))
            units[key] = None
        else:
            units[((i,), ())] = None
    placed = {j for key in units for j in key[1]}
    ordered = [scorer.unit(list(s), list(t)) for s, t in units]
    for j in range(m):  # target sentences with no counterpart go right after their predecessor
        if j not in placed:
            after = next((k for k, u in enumerate(ordered) if j - 1 in u.tgt_ids), -1)
            ordered.insert(after + 1, scorer.unit([], [j]))
            placed.add(j)
    return ordered


def monotonicity(pairs: list[tuple[int, int]]) -> float:
    """Share of matches on the longest increasing chain (1.0: perfectly in order)."""
    if not pairs:
        return 0.0
    tails: list[int] = []
    for _, j in sorted(pairs):
        k = int(np.searchsorted(tails, j))
        tails[k:k + 1] = [j]
    return len(tails) / len(pairs)


def align(src: Side, tgt: Side, embedder: Embedder, conn=None, mode: str = "auto",
          params: AlignParams = AlignParams()) -> Alignment:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    n, m = len(src.texts), len(tgt.texts)
    if n == 0 or m == 0:
        units = [AlignedUnit([i], [], 1.0) for i in range(n)] + [AlignedUnit([], [j], 1.0) for j in range(m)]
        return Alignment(units, "parallel" if mode == "auto" else mode, 0.0)
    scorer = Scorer(src, tgt, embedder, conn, params)
    strong = matches(scorer, params.strong_match)
    order = monotonicity(strong)
    if mode == "auto":  # a couple of matches are in order by chance: it takes a few to call it parallel
        mode = "parallel" if len(strong) >= 3 and order >= params.monotonic_ratio else "comparable"
    units = monotonic(scorer, src, tgt) if mode == "parallel" else non_monotonic(scorer, n, m)
    return Alignment(units, mode, order, scorer.used_english)
