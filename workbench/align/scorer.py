"""The scorer of a pair: every view's similarities of sentences and blocks, their margins, anchors and
quotation marks, and each unit's confidence."""
from __future__ import annotations

import copy
import math
from dataclasses import replace

import numpy as np

from ..anchors import Anchors, anchor_bonus, anchors, number_flags
from ..boilerplate import print_furniture
from ..dictionary import gloss_view
from ..embed import Embedder, embed_cached
from ..language import script_of_language
from ..lexicon import lexicon_vectors
from ..records import AlignedUnit
from ..space_map import carried, fit_map
from .clauses import clause_shortfalls
from .params import NO_SPACE_LANGS, AlignParams, Side
from .quotes import closes_quote, ends_inside_quotation, holds_quotation
from .scale import similarity_scale
from .views import BlockCosines, JoinedCosines, neighbourhoods, window_max, window_sum, window_vectors, word_vectors


class Scorer:
    """Margin-normalised similarities of single sentences and of blocks of up to ``max_block``
    consecutive sentences a side, over the views of the pair (BlockCosines)."""

    def __init__(self, src: Side, tgt: Side, embedder: Embedder, conn, params: AlignParams):
        self.params = params
        n, m = len(src.texts), len(tgt.texts)
        with_english = all(e is not None for e in src.english) and all(e is not None for e in tgt.english)
        self.used_english = with_english and params.english_weight > 0 and n > 0 and m > 0
        src_english = [e for e in src.english if e is not None]  # all of them where used_english
        tgt_english = [e for e in tgt.english if e is not None]
        # lengths in one language (English on both sides) keep far tighter proportions
        src_measured, tgt_measured = (src_english, tgt_english) if self.used_english else (src.texts, tgt.texts)
        self.src_lengths = np.array([len(t) for t in src_measured], float) + 1
        self.tgt_lengths = np.array([len(t) for t in tgt_measured], float) + 1
        w = params.english_weight if self.used_english else 0.0
        # the embedder's cosines brought to the scale the costs were fitted on (scale.py: 1 for e5)
        self.similarity_scale = similarity_scale(embedder, conn)
        vectors = [(embed_cached(conn, embedder, src.texts), embed_cached(conn, embedder, tgt.texts),
                    (1 - w) * self.similarity_scale)]
        if self.used_english:
            vectors.append((embed_cached(conn, embedder, src_english), embed_cached(conn, embedder, tgt_english),
                            w * self.similarity_scale))
            if params.lexical_weight > 0:
                vectors.append((*word_vectors(src_english, tgt_english), params.lexical_weight))
        elif params.shared_script_weight > 0 and (script_of_language(src.lang) == script_of_language(tgt.lang)
                                                  or src.quotes_english or tgt.quotes_english):
            vectors.append((*word_vectors(src.texts, tgt.texts), params.shared_script_weight))
        # the embedded views (texts and their vectors), whose sentences' edge clauses are embedded too
        self._embedded = [(src.texts, tgt.texts, *vectors[0])]
        if self.used_english:
            self._embedded.append((src_english, tgt_english, *vectors[1]))
        self._embedder, self._conn = embedder, conn
        # a dictionary's glosses are a poor translation: beside a real one they add nothing (MAC-Dev
        # with zh .trans: 0.903 with them, 0.906 without)
        glossed = None if self.used_english or params.dictionary_scale <= 0 else gloss_view(
            src.texts, src.lang, src.english, tgt.texts, tgt.lang, tgt.english)
        self.dictionary = glossed.name if glossed else ""
        if glossed:
            vectors.append((glossed.src, glossed.tgt, params.dictionary_scale * glossed.weight))
        src_weights, tgt_weights = np.sqrt(self.src_lengths), np.sqrt(self.tgt_lengths)
        self.views: list[tuple[BlockCosines | JoinedCosines, float]] = [
            (BlockCosines(a, b, src_weights, tgt_weights, params.max_block), weight) for a, b, weight in vectors]
        # how much thinner than a long document's the two sides' kNN neighbourhoods are, and what
        # that adds to a short document's margins, taken off by the omission costs
        # (AlignParams.small_pool_offset)
        self.thinness = (_thinness(n) + _thinness(m)) / 2
        self.knn_inflation = params.small_pool_offset * self.thinness
        self.src_anchors = [anchors(t) for t in src.texts]
        self.tgt_anchors = [anchors(t) for t in tgt.texts]
        self.bonus11 = anchor_bonus(self.src_anchors, self.tgt_anchors)
        self._rescore()
        # the views below are taught by the links the views above already make clear: the mutual
        # best matches that seed comparable passages (from all mutual best matches, the seed
        # articles' 12-23 a pair, mostly unrelated sentences, the lexicon cost 2 of 20 facts)
        clear = matches(self, params.match_threshold)
        learned = lexicon_vectors(src.texts, tgt.texts, src.lang in NO_SPACE_LANGS, tgt.lang in NO_SPACE_LANGS,
                                  clear) if params.lexicon_weight > 0 else None
        if learned:
            self.views.append((BlockCosines(*learned, src_weights, tgt_weights, params.max_block),
                               params.lexicon_weight))
        # without English, the originals' view compares each side's vectors carried into the other's
        # space by maps the clear matches teach (space_map.py), half the weight each way so that
        # neither document is privileged. The edge clauses stay in the model's own space: a map
        # fitted on whole sentences misplaces fragments (MAC-Dev without English, the map one way
        # only: 0.918 with the clauses left alone, 0.910 with the source's carried too)
        links = [] if self.used_english or params.space_map_ridge <= 0 else clear
        src_map = fit_map(vectors[0][0], vectors[0][1], links, params.space_map_ridge)
        tgt_map = fit_map(vectors[0][1], vectors[0][0], [(j, i) for i, j in links], params.space_map_ridge)
        src_vectors, tgt_vectors, weight = vectors[0]
        self._maps = [(src_map, None), (None, tgt_map)] if src_map is not None and tgt_map is not None else [(None, None)]
        self._separators, self._weights = (src.separator, tgt.separator), (src_weights, tgt_weights)
        self.views[0:1] = [(BlockCosines(carried(src_vectors, src_m), carried(tgt_vectors, tgt_m), src_weights,
                                         tgt_weights, params.max_block), weight / len(self._maps))
                           for src_m, tgt_m in self._maps]
        if learned or src_map is not None:
            self._rescore()
        self.src_quotes, self.tgt_quotes = closes_quote(src.texts), closes_quote(tgt.texts)
        self.src_furniture = np.array(print_furniture(src.texts), dtype=bool)
        self.tgt_furniture = np.array(print_furniture(tgt.texts), dtype=bool)
        self.src_dialogue, self.tgt_dialogue = holds_quotation(src.texts), holds_quotation(tgt.texts)
        self.src_inside, self.tgt_inside = ends_inside_quotation(src.texts), ends_inside_quotation(tgt.texts)

    def with_joined_windows(self, src_reach: np.ndarray, tgt_reach: np.ndarray, share: float) -> Scorer:
        """A copy in which the originals' blocks of up to ``joined_size`` sentences a side are also
        scored by the embeddings of their joined texts (``share`` of the originals' weight),
        embedded only for the blocks of k sentences that hold a sentence whose ``reach`` (per side,
        an int per sentence: joined_reach) is k or more."""
        p = self.params
        (src_texts, tgt_texts, src_vectors, tgt_vectors, _), = self._embedded[:1]
        sizes = range(2, p.joined_size + 1)
        src_windows = [src_vectors] + [window_vectors(src_texts, self._separators[0], src_vectors, self._weights[0],
                                                      k, src_reach >= k, self._embedder, self._conn) for k in sizes]
        tgt_windows = [tgt_vectors] + [window_vectors(tgt_texts, self._separators[1], tgt_vectors, self._weights[1],
                                                      k, tgt_reach >= k, self._embedder, self._conn) for k in sizes]
        views: list[tuple[BlockCosines | JoinedCosines, float]] = []
        for (composed, weight), (src_map, tgt_map) in zip(self.views, self._maps):
            joined = JoinedCosines([carried(v, src_map) for v in src_windows], [carried(v, tgt_map) for v in tgt_windows],
                                   composed)
            views += [(composed, weight * (1 - share)), (joined, weight * share)]
        scorer = copy.copy(self)
        scorer.views = views + self.views[len(self._maps):]
        scorer._rescore()
        return scorer

    def clause_shortfalls(self, doubtful_src: np.ndarray, doubtful_tgt: np.ndarray) -> list[np.ndarray]:
        """The unit edges' clause shortfalls (clause_shortfalls), the clauses embedded for the
        sentences marked doubtful on each side only (doubtful_sentences)."""
        return clause_shortfalls(self._embedded, (doubtful_src, doubtful_tgt), self._embedder, self._conn)

    def _rescore(self) -> None:
        """Sentence-pair similarities and margins over the views as they now stand."""
        self.sim11 = self.similarity(1, 1)
        self._margins: dict[tuple[int, int], np.ndarray] = {}
        self.margin11 = self.margin(1, 1)

    def similarity(self, a: int, b: int) -> np.ndarray:
        """Cosine of every block of ``a`` source sentences with every block of ``b`` target ones."""
        return np.asarray(sum(weight * cosines(a, b) for cosines, weight in self.views))

    def margin(self, a: int, b: int) -> np.ndarray:
        """Similarity minus the mean of each block's nearest neighbours among blocks of the same
        shape (composed blocks are smoother than sentences: each shape has its own baseline), plus
        the best anchor agreement inside."""
        if (a, b) not in self._margins:
            sim = self.similarity(a, b)
            rows, columns = neighbourhoods(sim, self.params.knn)
            bonus = self.params.anchor_weight * window_max(self.bonus11, a, b)
            self._margins[(a, b)] = sim - (rows[:, None] + columns[None, :]) / 2 + bonus
        return self._margins[(a, b)]

    def local_margins(self, shapes: list[tuple[int, int]]) -> dict[tuple[int, int], np.ndarray]:
        """For each a x b unit shape, the similarity of every unit less the mean similarity of each
        block with the sentences just outside the other block (before and after it), plus the
        anchor bonus: the parallel DP's score, which asks whether a neighbouring sentence belongs in
        the unit. Over the views' weighted sum: which sentences are outside a unit is the same in
        every view. Blocks against single sentences are computed once for all shapes."""
        edges: dict[tuple[int, int], np.ndarray] = {}

        def edge(a: int, b: int) -> np.ndarray:
            if (a, b) not in edges:
                edges[(a, b)] = self.similarity(a, b)
            return edges[(a, b)]

        found = {}
        for a, b in shapes:
            neighbours = np.stack(_outside(edge(a, 1), b, axis=1) + _outside(edge(1, b), a, axis=0))
            present = (~np.isnan(neighbours)).sum(axis=0)
            outside = np.nansum(neighbours, axis=0) / np.maximum(present, 1)
            if not present.all():  # a unit with no sentence outside it on either side (all of two
                # short documents) is measured against the mean of all sentence pairs, not nothing
                outside[present == 0] = self.sim11.mean()
            found[(a, b)] = self.similarity(a, b) - outside + self.params.anchor_weight * window_max(self.bonus11, a, b)
        return found

    def quote_penalty(self, a: int, b: int) -> np.ndarray | float:
        """For every a x b unit, quote_weight where one side's last sentence closes a quotation
        and the other's does not, inside_quote_weight where one side ends inside a quotation and
        the other outside, plus dialogue_weight where one side holds a quotation and the other none
        (0 where a document closes none)."""
        if not (self.src_quotes.any() and self.tgt_quotes.any()):
            return 0.0
        p = self.params
        closing = self.src_quotes[a - 1:][:, None] != self.tgt_quotes[b - 1:][None, :]
        inside = self.src_inside[a - 1:][:, None] != self.tgt_inside[b - 1:][None, :]
        src_dialogue = window_sum(self.src_dialogue.astype(float), a) > 0
        tgt_dialogue = window_sum(self.tgt_dialogue.astype(float), b) > 0
        return (p.quote_weight * closing + p.inside_quote_weight * inside
                + p.dialogue_weight * (src_dialogue[:, None] != tgt_dialogue[None, :]))

    def unit_margin(self, src_ids: list[int], tgt_ids: list[int]) -> float:
        return float(self.margin(len(src_ids), len(tgt_ids))[src_ids[0], tgt_ids[0]])

    def confidence(self, margin: float) -> float:
        return margin_confidence(margin, self.params)

    def unit(self, src_ids: list[int], tgt_ids: list[int]) -> AlignedUnit:
        if src_ids and tgt_ids:
            margin = self.unit_margin(src_ids, tgt_ids)
            a = _merge_anchors([self.src_anchors[i] for i in src_ids])
            b = _merge_anchors([self.tgt_anchors[j] for j in tgt_ids])
            return AlignedUnit(src_ids, tgt_ids, round(self.confidence(margin), 4), number_flags(a, b), margin)
        # an omission is as certain as the best counterpart the sentence could have had is poor
        best = self.margin11[src_ids[0]].max() if src_ids else self.margin11[:, tgt_ids[0]].max()
        return AlignedUnit(src_ids, tgt_ids, round(1 - self.confidence(float(best)), 4), [])


def confidences_in_context(units: list[AlignedUnit], params: AlignParams) -> list[AlignedUnit]:
    """``units`` with each linked unit's confidence read from its margin (Scorer.confidence's curve)
    and the share of the context_reach units either side of it that are links too: a link among
    links is likelier right than one among omissions at the same margin (a translation's links come
    in runs, a loose rewrite's stand alone). Omissions keep theirs."""
    found = []
    for unit, share in zip(units, linked_shares(units, params.context_reach)):
        if unit.margin is None or not (unit.src_ids and unit.tgt_ids):
            found.append(unit)
            continue
        context = params.context_weight * (share - 1) + params.context_bonus
        found.append(replace(unit, score=round(margin_confidence(unit.margin, params, context), 4)))
    return found


def margin_confidence(margin: float, params: AlignParams, shift: float = 0.0) -> float:
    """The logistic calibration of a margin (confidence_center, confidence_scale), its logit moved
    by ``shift`` (confidences_in_context)."""
    return 1 / (1 + math.exp(-((margin - params.confidence_center) / params.confidence_scale + shift)))


def linked_shares(units: list[AlignedUnit], reach: int) -> list[float]:
    """For each unit, the share of the ``reach`` units before and after it that link both sides
    (1 where it has none around it)."""
    linked = [bool(u.src_ids and u.tgt_ids) for u in units]
    shares = []
    for k in range(len(units)):
        around = linked[max(k - reach, 0):k] + linked[k + 1:k + 1 + reach]
        shares.append(sum(around) / len(around) if around else 1.0)
    return shares


# Candidates from which a sentence's kNN neighbourhood is as full as a long document's (the kNN
# margins of FLORES documents rise below ~40 sentences a side; RESULTS.md, "Short documents").
FULL_POOL = 40


def _thinness(candidates: int) -> float:
    """How much thinner than FULL_POOL a side of ``candidates`` sentences is, as log(FULL_POOL /
    candidates), 0 from FULL_POOL up."""
    return max(math.log(FULL_POOL / max(candidates, 1)), 0.0)


def _outside(block_vs_sentences: np.ndarray, size: int, axis: int) -> list[np.ndarray]:
    """For blocks of ``size`` sentences along ``axis`` of a (blocks x sentences) similarity matrix
    taken the other way round, the similarity with the sentence before and the one after each
    block (NaN where there is none), shaped as the unit matrix."""
    matrix = block_vs_sentences if axis == 1 else block_vs_sentences.T
    count = matrix.shape[1] - size + 1
    before = np.full((matrix.shape[0], count), np.nan)
    after = np.full((matrix.shape[0], count), np.nan)
    before[:, 1:] = matrix[:, :count - 1]
    after[:, :count - 1] = matrix[:, size:]
    return [before, after] if axis == 1 else [before.T, after.T]


def _merge_anchors(items: list[Anchors]) -> Anchors:
    return Anchors(frozenset().union(*(a.numbers for a in items)), frozenset().union(*(a.names for a in items)))


def matches(scorer: Scorer, threshold: float) -> list[tuple[int, int]]:
    """Mutual best (i, j) pairs whose margin reaches ``threshold``."""
    margin = scorer.margin11
    if margin.size == 0:
        return []
    best_t, best_s = margin.argmax(axis=1), margin.argmax(axis=0)
    return [(i, int(j)) for i, j in enumerate(best_t) if best_s[j] == i and margin[i, j] >= threshold]
