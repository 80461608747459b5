"""Cross-lingual sentence alignment of two documents.

Scores: cosine similarity of multilingual embeddings of the originals (and of the English
translations where both sides have them, with a TF-IDF word overlap of those English sides; else,
for Chinese and Japanese, of their words glossed through a dictionary against the other side's
English words, or its names and cognates where it is written in Latin letters: dictionary.py),
and of word translations learned from the pair's own clear matches
(lexicon.py); without English, the originals' embeddings are also compared carried into each
other's space by linear maps those clear matches teach (space_map.py). All of single sentences
and of blocks of consecutive sentences (block vectors composed from the sentences' own, as
Vecalign's overlap embeddings but with no model call per block; where a first pass leaves a unit's
extent in doubt, also the embeddings of blocks' joined texts), made comparable with a margin
against each block's nearest neighbours of the same shape (margin-based bitext mining), plus a
small bonus for shared numbers and names.

Two aligners over those scores:
- parallel: a monotonic dynamic program (as Vecalign/Bertalign) with units of up to six
  sentences a side (a + b <= 7: 1-1 ... 1-6, 2-5, ...) and omissions. A unit earns its local
  margin (its similarity less that of the sentences just outside it, as Bertalign's: what
  decides a unit's boundaries is whether the neighbouring sentence belongs in it), a small reward
  per unit (minimal units are preferred), less a Gale-Church length penalty where lengths are
  trusted and penalties where one side's last sentence closes a quotation and the other's does
  not, one side ends inside a quotation and the other outside, or one side holds a quotation
  and the other none (dialogue turns survive translation), and where a sentence just beyond the
  unit matches the opening or closing clause of the other side's edge sentence better than the
  unit's own edge sentence does (clauses are embedded only where a first pass leaves an edge in
  doubt: not inside runs of strong 1-1 links).
  Omitting a sentence costs what the data says: a first pass estimates this pair's omission
  rate, the cost falls as that rate rises (-log of it, as a prior would), and a sentence with a
  clear counterpart somewhere (one not already the clear match of another) costs more to omit
  than one with none; where the rate is high, weak units holding no mutual best match pay for
  their weakness, and so does a unit with a sentence at its edge that does not match the other
  side's block. Each DP row is vectorised; omissions of target sentences are a running maximum
  over cumulative costs.
- comparable: reordered, partially overlapping reports; mutual best matches above a margin
  threshold that go forward together on both sides are a passage both reports tell, wherever
  each placed it; each passage, with its unmatched neighbours, goes through the monotonic DP.
``auto`` takes comparable where the clear matches are in no more order than chance puts them,
parallel where the strong matches are in order; where they are too few or out of order, it runs
both aligners and keeps comparable only if its links are clearly better supported
(``Alignment.mode_reason``).
A parallel pair too long for the DP's memory (two books) is cut at runs of strong matches into
pieces aligned one by one (as Bertalign's anchors bound its DP).
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy import sparse

from .anchors import Anchors, anchor_bonus, anchors, number_flags
from .dictionary import gloss_view
from .embed import MAX_EMBED_CHARS, Embedder, embed_cached
from .language import script_of_language
from .lexicon import lexicon_vectors
from .records import AlignedUnit
from .space_map import carried, fit_map

MODES = ("auto", "parallel", "comparable")
# The parallel DP holds ~500 bytes per sentence pair at its peak (1.96 GB for 1,809 x 1,792 FLORES
# sentences, measured): a longer pair (two books) is cut at strong matches into pieces of at least
# PIECE_CELLS pairs, each aligned alone (cut into two pieces there: 0.77 GB, strict F1 0.978
# against 0.979 whole).
MAX_DP_CELLS = 4_000_000
PIECE_CELLS = 1_000_000
# auto: with fewer clear matches their order says nothing (the seed articles' comparable pairs have
# 7-15 at margin >= 0.01, 29-57% in order; MAC-Dev's chapters 34-171, 88-98% in order)
MIN_ORDER_EVIDENCE = 5
_NO_SPACE_LANGS = {"ja", "zh", "th"}
_CLOSING_QUOTES = frozenset("”’\"'»」』›")
# Quotation marks by what they do: « „ 「 『 ‹ always open and ” » 」 』 › always close; “ opens
# before a word (English, Chinese) and closes after one (Bulgarian and German „...“); straight and
# single marks open at the start or after a space or bracket, before a word; " closes after a word,
# before a space or punctuation; single marks close only after the sentence's punctuation
# (elsewhere they are apostrophes: "the boy's", "the boys' room").
_OPENING_MARK = re.compile(r"[«„「『‹]|“(?=\w)|(?:^|(?<=[\s(\[]))['\"‘’](?=\S)")
_CLOSING_MARK = re.compile(r"[”»」』›]|“(?!\w)|(?<=\S)\"(?=[\s.,;:!?)\]…]|$)|(?<=[.!?,;:…—–-])['’]")


@dataclass(frozen=True)
class AlignParams:
    knn: int = 4  # neighbours in the (kNN) margin of comparable mode, strong matches and confidences
    # Parallel DP. Units of up to max_block sentences a side with a + b <= max_block + 1 (MAC-Dev's
    # gold has 1-5 and 1-6 links); each earns its local margin + unit_reward - length penalty.
    # Values from a search on MAC-Dev and FLORES-200 dev together (benchmarks/RESULTS.md).
    max_block: int = 6
    unit_reward: float = 0.03
    # Gale-Church: a unit whose character lengths (L1 scaled by the pair's ratio, L2, counted in the
    # longer-written language) disagree loses length_weight * (L2 - L1)^2 / mean(L1, L2); English
    # lengths where both sides have English (one language: proportions far tighter). Only where the
    # mutual best matches show lengths are kept: rewrites (RMS log-ratio ~0.8 on the seed ja-fr) do
    # not, translations do (~0.2-0.25 on FLORES; more on MAC-Dev's novels, whose best matches are
    # noisier); full weight up to length_spread_full, none from length_spread_none (MAC-Dev 0.828 ->
    # 0.868 without English from 0.25/0.5 to 0.5/0.8).
    length_weight: float = 0.0007
    length_spread_full: float = 0.5
    length_spread_none: float = 0.8
    # Omitting a sentence costs omission_offset + omission_scale * -log(rate + 0.01), the rate
    # estimated by a first pass (MAC-Dev's novels ~2%, FLORES with 30% deleted ~15%), plus
    # omission_evidence * the sentence's best kNN margin against the other side.
    omission_offset: float = -0.132
    omission_scale: float = 0.06
    omission_evidence: float = 0.5
    # ... the best margin among counterparts not already claimed by another sentence's mutual best
    # match of at least claim_margin: a sentence whose best counterpart is a clear match of its
    # neighbour is an omission beside that link, not a part of it (FLORES's merges put it in a 1-2
    # unit, whose composed block is more similar than the link alone). FLORES dev parallel mean /
    # worst 0.971 / 0.942 -> 0.974 / 0.945, each merge-1to4-both +0.002..+0.015; MAC-Dev 0.901 /
    # 0.908 -> 0.901 / 0.909. At 0.03 / 0.07 / 0.1: FLORES dev ar-bg merge 0.949 / 0.948 / 0.942,
    # MAC-Dev with zh .trans 0.908 / 0.910 / 0.908; any mutual best match claiming: 0.947, 0.898.
    claim_margin: float = 0.05
    # ... never below this: where the rate is high (rewrites, 30% deletions) omitting may earn a
    # little, never enough to leave a clear 1-1 link unmade
    omission_floor: float = -0.02
    # Where the first pass omits much, two left-over sentences side by side are likely both
    # omissions, not a link: a unit holding no mutual best match whose kNN margin is below
    # weak_link_margin loses weak_link_weight x the shortfall, in full from an omission rate of
    # weak_link_rate_full, not at all up to weak_link_rate_none (MAC-Dev's novels: 1-7%, where a
    # weak margin is a hard link, not an orphan). FLORES dev, all pairs: parallel worst 0.920 ->
    # 0.930, comparable worst 0.904 -> 0.921; MAC-Dev unchanged. Units with a mutual best match are
    # exempt: the seed ja-fr rewrite (20% omitted) lost 6 of its 18 links without that.
    weak_link_weight: float = 2.0
    weak_link_margin: float = 0.02
    weak_link_rate_none: float = 0.08
    weak_link_rate_full: float = 0.12
    # ... and where it omits much, a unit loses edge_fit_weight x how far below 0 the margin of a
    # sentence at one end of a side falls against the other side's block (much_omitted_costs: a
    # sentence next to a link whose counterpart was left out joins it, as the block of the two
    # scores higher than the link alone). The seed ja-fr rewrite against hand gold 0.481 -> 0.529;
    # FLORES dev parallel mean / worst 0.974 / 0.945 -> 0.974 / 0.946, comparable 0.950 / 0.921 ->
    # 0.951 / 0.924; MAC-Dev unchanged (its rates are below weak_link_rate_none). At 1.0: parallel
    # 0.975 / 0.946, but ar-en shuffle-del10-merge4 0.942 -> 0.930 (merged parts match weakly).
    edge_fit_weight: float = 0.5
    omission_percentile: float = 20.0  # auto: margins above this percentile count as support
    lexical_weight: float = 0.1  # TF-IDF overlap of the two English sides, beside the embeddings
    # ... and of the originals where they share a script and not both have English: names, numbers
    # and cognates (FLORES dev fr-en, six recipes: parallel mean / worst 0.971 / 0.955 -> 0.975 /
    # 0.958, comparable 0.960 / 0.956 -> 0.965 / 0.959; at 0.05 / 0.2: 0.973 / 0.976 parallel mean;
    # pairs of two scripts gain nothing from it: all five FLORES ones identical with it)
    shared_script_weight: float = 0.1
    # Word translations learned from this pair's own clear mutual best matches (lexicon.py), beside
    # the embeddings, with or without English. MAC-Dev 0.879 -> 0.883 embeddings only, 0.901 ->
    # 0.906 with zh .trans; FLORES dev parallel 0.965 / 0.930 -> 0.966 / 0.933 (mean / worst),
    # comparable 0.944 / 0.920 -> 0.947 / 0.921. At 0.02 / 0.05 / 0.1: MAC-Dev 0.881 / 0.904, 0.882 /
    # 0.906, 0.876 / 0.894 (a novel's loose translation teaches a noisier table than FLORES's).
    lexicon_weight: float = 0.03
    # Without English, each side's vectors are also compared carried into the other's space by a map
    # fitted on the pair's mutual best matches (space_map.py), ridge-regressed towards the identity
    # with this weight (0: no map). MAC-Dev without English 0.913 -> 0.917 (either document first);
    # FLORES dev parallel mean / worst 0.976 / 0.946 -> 0.978 / 0.949, devtest 0.973 / 0.937 ->
    # 0.976 / 0.940. Ridge 0.3 / 0.5 / 2 / 4: MAC-Dev 0.907 / 0.913 / 0.915 / 0.917. With English on
    # both sides a map of the originals cost MAC-Dev with zh .trans 0.923 -> 0.915-0.920: none there.
    space_map_ridge: float = 1.0
    # Blocks of up to joined_size sentences a side are also scored by the embedding of their joined
    # text (Vecalign's overlap embeddings), at joined_share of the originals' weight, the composed
    # block vectors keeping the rest. A composed block barely loses similarity when it takes in an
    # unrelated neighbour of the same story; the joined text's embedding does (FLORES dev, a line
    # against its translation with and without the next line joined: the block scores higher for
    # 42% of ar-bg lines with composed vectors, 2% with joined texts). Told apart from true 2-1
    # merges, 1 - AUC falls from 0.013 / 0.018 (ar-bg / ja-fr, composed) to 0.006 / 0.010 (the two
    # halves summed). Embedded only for the blocks holding a sentence a first pass leaves in doubt
    # near a unit it made other than 1-1 (doubtful_sentences, joined_reach). MAC-Dev without English 0.917 -> 0.922 (shares 0.4 / 0.6: 0.920 /
    # 0.921; sizes 2 / 3 with every block embedded: 0.918 / 0.917), with zh .trans 0.923 (the same);
    # FLORES dev parallel mean 0.978 -> 0.980, comparable 0.954 -> 0.957, 23 of 36 rows up, 3 down.
    joined_share: float = 0.5
    joined_size: int = 4
    # Where a side with no English attached has a dictionary (dictionary.py: CC-CEDICT for Chinese,
    # JMdict for Japanese) and the other has English words (it is English, has English attached, has
    # a dictionary too, or is written in Latin letters: its names and the words it shares with
    # English, dictionary.cognate_words): its words glossed into English, against the other side's,
    # weighted by the dictionary's own weight (Dictionary.weight) times this factor (0: none). MAC-Dev
    # embeddings only 0.883 -> 0.897 (either document first; 0.913 with CC-CEDICT's weight at 0.2,
    # dictionary.cc_cedict; this factor at 2.0: ja-fr merge-1to4-both -0.006). FLORES devtest ja-fr with the French
    # side's English attached, CC-CEDICT for the kanji: parallel mean / worst 0.956 / 0.937 -> 0.959 /
    # 0.940, comparable 0.943 / 0.935 -> 0.954 / 0.947.
    dictionary_scale: float = 1.0
    # A unit of which one side ends by closing a quotation and the other does not loses this:
    # translators keep dialogue turns (punctuation as an alignment criterion: Chuang & Yeh 2005).
    # Only where both documents close quotations at all (Wang Anyi's dialogue has none). MAC-Dev
    # 0.869 -> 0.886 without English, 0.889 -> 0.899 with; a like penalty for question vs
    # statement endings was tried and dropped (+0.003 on dialogue, -0.014 on a chapter without).
    quote_weight: float = 0.015
    # ... and one of which one side ends inside a quotation and the other outside (a reply split
    # over several English sentences ends where the Chinese one closes; an English "'...,' said
    # X." ends outside as the Chinese "X道：“...”" does, though only one closes a quotation).
    # MAC-Dev 0.901 / 0.909 -> 0.904 / 0.911 (without / with zh .trans, either document first; at
    # 0.01 / 0.02 / 0.03: 0.903 / 0.908, 0.901 / 0.911, 0.896 / 0.906); FLORES dev parallel as before,
    # two comparable rows -0.002 (deletions and shuffles cut quotations).
    inside_quote_weight: float = 0.015
    # ... and a unit of which one side holds a quotation and the other none loses this: a line of
    # dialogue and the narration beside it are separate units in both (the short reply "'On guard!'"
    # joined the narration after it). MAC-Dev 0.897 -> 0.901 without English, 0.906 -> 0.908 with,
    # either document first (0.015 / 0.02 / 0.03 / 0.05: 0.900 / 0.900 / 0.901 / 0.893 without English);
    # FLORES dev parallel mean / worst 0.969 / 0.933 -> 0.970 / 0.936, comparable 0.949 / 0.921 as before.
    dialogue_weight: float = 0.025
    # A unit's first sentence on one side should match the opening clause of the other side's first
    # sentence at least as well as the sentence just before the unit does; its last sentence, the
    # closing clause of the other side's last sentence, as well as the sentence just after. Each
    # shortfall costs clause_weight x the difference (clause_shortfalls). Where a translator splits
    # a sentence, the boundary falls where the clauses say: "Okay, that's done." opens the unit of
    # "好了，从现在起……", not closes the one before. MAC-Dev without / with zh .trans 0.904 / 0.911 ->
    # 0.907 / 0.923 (English first 0.907 / 0.923); at 0.1 / 0.2 / 0.3: 0.906 / 0.9195, 0.907 / 0.922,
    # 0.901 / 0.924. Charging and rewarding alike (signed differences) at 0.05 / 0.1 / 0.2: 0.909 /
    # 0.918, 0.909 / 0.917, 0.906 / 0.916. FLORES dev parallel mean 0.974 -> 0.976; devtest parallel
    # mean / worst 0.971 / 0.924 -> 0.973 / 0.937. The embedder's extra work: the edge clauses of the
    # sentences a first pass leaves in doubt (doubtful_sentences), those of at most CLAUSE_SHARE of
    # their sentence; cached like sentences. align-all on 1,000 generated articles 1.77x -> 1.30x
    # the time without the rule (benchmarks/RESULTS.md).
    clause_weight: float = 0.15
    match_threshold: float = 0.01  # comparable mode: margin of the matches that seed passages
    # Comparable mode: matches at most run_step sentences apart on both sides are one passage, which
    # takes in up to run_reach unmatched sentences either side; omissions priced as if 30% of the
    # sentences had no counterpart (0.3 and 0.6 alike on FLORES dev: the cost floor decides).
    run_step: int = 4
    run_reach: int = 3
    comparable_omission_rate: float = 0.3
    english_weight: float = 0.5  # weight of the English-side similarity when both sides have one
    anchor_weight: float = 0.03
    strong_match: float = 0.03  # auto: margin of the matches whose order decides the mode
    monotonic_ratio: float = 0.8  # auto: share of strong matches in order that settles "parallel"
    # auto, where the strong matches are too few or look reordered: both aligners run, and comparable
    # is kept only with this many times the parallel result's support. FLORES-200 dev (three pairs x
    # six recipes): comparable / parallel support <= 1.10 on every parallel document, >= 1.52 on
    # every shuffled one; MAC-Dev's chapters <= 0.97. A few spurious strong matches out of order (a
    # small model on literary text) must not turn a translation into comparable reports.
    comparable_support: float = 1.25
    # logistic calibration of margin -> confidence, fitted on the 24,519 linked units of FLORES-200
    # dev's six perturbation recipes (2026-12-05, after joined blocks; benchmarks/alignment_eval.py
    # prints the refit and the expected calibration error). Held out: devtest 0.0043 (0.0168 with
    # the fit before, 0.004 / 0.012); MAC-Dev 0.157 (0.167): literary translations' margins are
    # lower throughout, so their confidences say less than the links deserve (RESULTS.md)
    confidence_center: float = -0.0001
    confidence_scale: float = 0.0173

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


@dataclass
class Alignment:
    units: list[AlignedUnit]  # positions are indices into Side.texts
    mode: str
    monotonicity: float
    used_english: bool = False  # both sides' English translations were part of the score
    mode_reason: str = ""  # why auto mode chose this mode, in words
    dictionary: str = ""  # the dictionary whose glosses were part of the score (dictionary.py)


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


def _cosines(a, b) -> np.ndarray:
    """Every row of ``a`` against every row of ``b`` (rows normalised), dense or sparse."""
    product = a @ b.T
    return product.toarray() if sparse.issparse(product) else np.asarray(product, np.float64)


def _neighbour_dots(vectors, distance: int) -> np.ndarray:
    """The dot product of each sentence's vector with that of the sentence ``distance`` after it."""
    count = vectors.shape[0] - distance
    if sparse.issparse(vectors):
        return np.asarray(vectors[:count].multiply(vectors[distance:]).sum(axis=1), np.float64).ravel()
    return np.einsum("ij,ij->i", vectors[:count], vectors[distance:], dtype=np.float64)


def _block_norms(vectors, weights: np.ndarray, max_block: int) -> list[np.ndarray]:
    """Norms of the weighted sums of every run of 1 .. max_block consecutive sentence vectors
    (index: run length), from each sentence's dot products with its next max_block - 1."""
    pair_terms = [weights[:len(weights) - d] * weights[d:] * _neighbour_dots(vectors, d)
                  for d in range(min(max_block, len(weights)))]
    norms = [np.zeros(0)]
    for size in range(1, max_block + 1):
        squared = _window_sum(pair_terms[0], size)
        for d in range(1, min(size, len(pair_terms))):
            squared = squared + 2 * _window_sum(pair_terms[d], size - d)
        norms.append(np.maximum(np.sqrt(np.maximum(squared, 0)), 1e-12))
    return norms


class JoinedCosines:
    """Cosines of the embeddings of joined texts for blocks of up to ``len(src_windows)`` a side,
    else of the composed blocks."""

    def __init__(self, src_windows: list[np.ndarray], tgt_windows: list[np.ndarray],
                 composed: BlockCosines | JoinedCosines):
        self._src, self._tgt, self._composed = src_windows, tgt_windows, composed
        self.shape: tuple[int, int] = composed.shape

    def __call__(self, a: int, b: int) -> np.ndarray:
        if a <= len(self._src) and b <= len(self._tgt):
            if a > self.shape[0] or b > self.shape[1]:
                return np.zeros((max(self.shape[0] - a + 1, 0), max(self.shape[1] - b + 1, 0)))
            return _cosines(self._src[a - 1], self._tgt[b - 1])
        return self._composed(a, b)


class BlockCosines:
    """In one view (embeddings of the originals, of the English, or word vectors), the cosine of
    every block of ``a`` consecutive source sentences with every block of ``b`` target ones, a
    block's vector being its sentences' vectors summed with sqrt-length weights (Vecalign's overlap
    embeddings, but with no model call per block: embeddings of the joined texts instead did worse,
    MAC-Dev strict F1 0.859 against 0.886 without English, 0.901 against 0.904 with, RESULTS.md;
    beside these, where a unit is in doubt, they do better: JoinedCosines, AlignParams.joined_share;
    weights of length^0.3 .. length^1 lose up to 0.007). No block vector is formed: the dot product of two blocks
    is a window sum of the weighted sentence-pair similarities (a 2-D prefix sum), a block's norm a
    window sum of its sentences' products with their neighbours, so a unit shape costs a few array
    slices whatever the vectors' dimension (word vectors have tens of thousands)."""

    def __init__(self, src: Any, tgt: Any, src_weights: np.ndarray, tgt_weights: np.ndarray, max_block: int):
        weighted = src_weights[:, None] * _cosines(src, tgt) * tgt_weights[None, :]
        self.shape: tuple[int, int] = weighted.shape
        self._prefix = np.zeros((weighted.shape[0] + 1, weighted.shape[1] + 1))
        self._prefix[1:, 1:] = weighted.cumsum(axis=0).cumsum(axis=1)
        self._src_norms = _block_norms(src, src_weights, max_block)
        self._tgt_norms = _block_norms(tgt, tgt_weights, max_block)

    def __call__(self, a: int, b: int) -> np.ndarray:
        n, m = self.shape
        if a > n or b > m:
            return np.zeros((max(n - a + 1, 0), max(m - b + 1, 0)))
        total = self._prefix
        dots = total[a:, b:] - total[:n + 1 - a, b:] - total[a:, :m + 1 - b] + total[:n + 1 - a, :m + 1 - b]
        return dots / self._src_norms[a][:, None] / self._tgt_norms[b][None, :]


def window_vectors(texts: list[str], separator: str, vectors: np.ndarray, weights: np.ndarray, size: int,
                   doubtful: np.ndarray, embedder: Embedder, conn) -> np.ndarray:
    """A vector for each run of ``size`` consecutive sentences: the embedding of its joined text
    where it holds a ``doubtful`` sentence, else its sentences' vectors composed as BlockCosines
    composes them."""
    count = len(texts) - size + 1
    if count <= 0:
        return np.zeros((0, vectors.shape[1]), np.float32)
    composed = sum(weights[k:k + count, None] * vectors[k:k + count] for k in range(size))
    composed = composed / np.maximum(np.linalg.norm(composed, axis=1, keepdims=True), 1e-12)
    held = np.flatnonzero(_window_sum(doubtful.astype(float), size) > 0)
    if held.size:
        composed[held] = embed_cached(conn, embedder, [separator.join(texts[i:i + size]) for i in held])
    return composed.astype(np.float32)


def _window_sum(values: np.ndarray, size: int) -> np.ndarray:
    count = len(values) - size + 1
    if count <= 0:
        return np.zeros(0)
    return np.sum([values[k:k + count] for k in range(size)], axis=0)


def _window_max(matrix: np.ndarray, rows: int, columns: int) -> np.ndarray:
    n, m = matrix.shape[0] - rows + 1, matrix.shape[1] - columns + 1
    out = np.full((max(n, 0), max(m, 0)), -np.inf)
    for a in range(rows):
        for b in range(columns):
            out = np.maximum(out, matrix[a:a + n, b:b + m])
    return out


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
        vectors = [(embed_cached(conn, embedder, src.texts), embed_cached(conn, embedder, tgt.texts), 1 - w)]
        if self.used_english:
            vectors.append((embed_cached(conn, embedder, src_english), embed_cached(conn, embedder, tgt_english), w))
            if params.lexical_weight > 0:
                vectors.append((*word_vectors(src_english, tgt_english), params.lexical_weight))
        elif params.shared_script_weight > 0 and script_of_language(src.lang) == script_of_language(tgt.lang):
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
        self.src_anchors = [anchors(t) for t in src.texts]
        self.tgt_anchors = [anchors(t) for t in tgt.texts]
        self.bonus11 = anchor_bonus(self.src_anchors, self.tgt_anchors)
        self._rescore()
        # the views below are taught by the links the views above already make clear: the mutual
        # best matches that seed comparable passages (from all mutual best matches, the seed
        # articles' 12-23 a pair, mostly unrelated sentences, the lexicon cost 2 of 20 facts)
        clear = matches(self, params.match_threshold)
        learned = lexicon_vectors(src.texts, tgt.texts, src.lang in _NO_SPACE_LANGS, tgt.lang in _NO_SPACE_LANGS,
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
        self.src_dialogue, self.tgt_dialogue = holds_quotation(src.texts), holds_quotation(tgt.texts)
        self.src_inside, self.tgt_inside = ends_inside_quotation(src.texts), ends_inside_quotation(tgt.texts)

    def with_joined_windows(self, src_reach: np.ndarray, tgt_reach: np.ndarray) -> Scorer:
        """A copy in which the originals' blocks of up to ``joined_size`` sentences a side are also
        scored by the embeddings of their joined texts (``joined_share`` of the originals' weight),
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
            views += [(composed, weight * (1 - p.joined_share)), (joined, weight * p.joined_share)]
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
            bonus = self.params.anchor_weight * _window_max(self.bonus11, a, b)
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
            found[(a, b)] = self.similarity(a, b) - outside + self.params.anchor_weight * _window_max(self.bonus11, a, b)
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
        src_dialogue = _window_sum(self.src_dialogue.astype(float), a) > 0
        tgt_dialogue = _window_sum(self.tgt_dialogue.astype(float), b) > 0
        return (p.quote_weight * closing + p.inside_quote_weight * inside
                + p.dialogue_weight * (src_dialogue[:, None] != tgt_dialogue[None, :]))

    def unit_margin(self, src_ids: list[int], tgt_ids: list[int]) -> float:
        return float(self.margin(len(src_ids), len(tgt_ids))[src_ids[0], tgt_ids[0]])

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


def holds_quotation(texts: list[str]) -> np.ndarray:
    """Per sentence: does it hold a quotation mark (told from apostrophes as _OPENING_MARK says)?"""
    return np.array([bool(_OPENING_MARK.search(text) or _CLOSING_MARK.search(text)) for text in texts], bool)


# A quotation whose closing mark is lost (a mark the rules above miss, a sentence left out) must
# not make everything after it quoted: novels' replies run over a few sentences, and a new
# paragraph of one reopens it. MAC-Dev without / with zh .trans: 0.902 / 0.910 after 1 sentence,
# 0.905 / 0.910 after 2, 0.904 / 0.911 after 3, 0.905 / 0.911 after 5 or none.
MAX_UNMARKED_QUOTED = 3


def ends_inside_quotation(texts: list[str]) -> np.ndarray:
    """Per sentence: does the text go on inside a quotation after it (its last quotation mark opens
    one; a sentence with no mark is where the one before it left off, "'You did well today." /
    "At least you won." / "Were they suspicious?'", for up to MAX_UNMARKED_QUOTED sentences)."""
    inside, found, carried = False, [], 0
    for text in texts:
        marks = [(m.start(), True) for m in _OPENING_MARK.finditer(text)]
        marks += [(m.start(), False) for m in _CLOSING_MARK.finditer(text)]
        if marks:
            inside = max(marks)[1]
            carried = 0
        else:
            carried += 1
            if carried > MAX_UNMARKED_QUOTED:
                inside = False
        found.append(inside)
    return np.array(found, bool)


def closes_quote(texts: list[str]) -> np.ndarray:
    """Per sentence: does it end by closing a quotation (after its own punctuation)?"""
    return np.array([text.rstrip()[-1:] in _CLOSING_QUOTES for text in texts], bool)


def word_vectors(src: list[str], tgt: list[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """TF-IDF vectors of the character 4-grams inside words (rows L2-normalised) of two lists of
    sentences (two English sides, or originals in one script), fitted on both: the words a machine
    translation shares with a human one (names, objects, actions, and 'twisted' with 'twist') say
    which sentences are one passage more sharply than a small embedding model does. MAC-Dev with zh .trans: 0.904 against 0.899 with
    whole words cut to five letters (n = 3 or 5: 0.903, 0.902). Each text's head only, as the
    embedder reads it: a 200,000-character line would cost seconds in every block holding it."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # 1.4 s to import: only where it is used

    src, tgt = [text[:MAX_EMBED_CHARS] for text in src], [text[:MAX_EMBED_CHARS] for text in tgt]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True)
    try:
        vectorizer.fit(src + tgt)
    except ValueError:  # not one word of three letters or more on either side: no 4-gram to share
        return sparse.csr_matrix((len(src), 1)), sparse.csr_matrix((len(tgt), 1))
    return sparse.csr_matrix(vectorizer.transform(src)), sparse.csr_matrix(vectorizer.transform(tgt))


def _merge_anchors(items: list[Anchors]) -> Anchors:
    return Anchors(frozenset().union(*(a.numbers for a in items)), frozenset().union(*(a.names for a in items)))


# --- parallel: monotonic DP ------------------------------------------------------------------

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


# where a sentence's clauses part: commas, semicolons and colons of Latin, Chinese, Japanese and
# Arabic script, and the ideographic enumeration comma
_CLAUSE_BREAK = re.compile(r"[,;:，；：、،؛]")
_CLAUSE_EDGE = " \"'“”‘’「」『』«»„()（）"


def opening_and_closing_clause(text: str) -> tuple[str, str]:
    """A sentence's first and last clause (the whole sentence for both where it has one)."""
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c.strip(_CLAUSE_EDGE)]
    return (clauses[0], clauses[-1]) if len(clauses) > 1 else (text, text)


# An edge clause is embedded where it is at most this share of its sentence's characters; a longer
# one is close enough to the sentence to stand for it (MAC-Dev with zh .trans: 0.9228 at 1.0, 0.8
# and 0.67, 0.9217 at 0.6, 0.9202 at 0.5). FLORES dev: the clauses embedded hold 0.40-0.54 of the
# sentences' characters at 0.67, 0.55-0.68 at 1.0.
CLAUSE_SHARE = 0.67


def _clauses_to_embed(text: str) -> list[tuple[int, str]]:
    """The edges (0 opening, 1 closing) of ``text`` whose clause is embedded: short enough to differ
    from the sentence (CLAUSE_SHARE)."""
    return [(edge, clause) for edge, clause in enumerate(opening_and_closing_clause(text))
            if len(clause) <= CLAUSE_SHARE * len(text)]


def edge_clauses(texts: list[str]) -> list[str]:
    """Every clause of ``texts`` that clause_shortfalls may embed: to embed many documents' in one
    call before aligning them pair by pair (compare.align_stories)."""
    return [clause for text in texts for _, clause in _clauses_to_embed(text)]


def clause_shortfalls(embedded: list[tuple[list[str], list[str], np.ndarray, np.ndarray, float]],
                      doubtful: tuple[np.ndarray, np.ndarray], embedder: Embedder, conn) -> list[np.ndarray]:
    """Four n x m arrays, each how far (<= 0) a unit starting or ending at a sentence pair falls
    short at one edge (AlignParams.clause_weight), for a unit starting at source i and target j:
    [0] target j against the opening clause of source i, less the target sentence before it;
    [2] source i against the opening clause of target j, less the source sentence before it;
    and for a unit ending at source i and target j: [1] target j against the closing clause of
    source i, less the target sentence after it; [3] likewise with the sides swapped. An edge
    with no sentence beyond it costs nothing. Cosines are summed over the ``embedded`` views of
    the pair (source texts, target texts, their vectors, weight: the originals, and the English
    where both sides have it), as the sentences' are. Only the ``doubtful`` sentences (source,
    target masks) have their clauses embedded (CLAUSE_SHARE); any other sentence stands for its
    own opening and closing clause, as one with a single clause does."""
    wanted = [(view, side, edge, int(k), clause)  # (view, side, 0 opening / 1 closing, sentence, clause)
              for view, (src_texts, tgt_texts, *_) in enumerate(embedded)
              for side, texts in enumerate((src_texts, tgt_texts))
              for k in np.flatnonzero(doubtful[side]) for edge, clause in _clauses_to_embed(texts[k])]
    # one embedder call for the pair: calls of a few clauses each keep one of the engine's replicas
    # busy, not all (align-all on 200 generated articles spent more on clauses than on sentences)
    found = embed_cached(conn, embedder, [clause for *_, clause in wanted]) if wanted else np.zeros((0, 1))
    shape = (len(embedded[0][0]), len(embedded[0][1]))
    cosines = {(side, edge): np.zeros(shape) for side in (0, 1) for edge in (0, 1)}
    for view, (_, _, src_vectors, tgt_vectors, weight) in enumerate(embedded):
        for side, (own, other) in enumerate(((src_vectors, tgt_vectors), (tgt_vectors, src_vectors))):
            for edge in (0, 1):
                clauses = own.copy()
                rows = [(k, n) for n, (v, s, e, k, _) in enumerate(wanted) if (v, s, e) == (view, side, edge)]
                if rows:
                    clauses[[k for k, _ in rows]] = found[[n for _, n in rows]]
                against = _cosines(clauses, other)
                cosines[(side, edge)] += weight * (against if side == 0 else against.T)
    src_opening, src_closing, tgt_opening, tgt_closing = (cosines[key] for key in ((0, 0), (0, 1), (1, 0), (1, 1)))
    differences = [np.zeros_like(src_opening) for _ in range(4)]
    differences[0][:, 1:] = src_opening[:, 1:] - src_opening[:, :-1]
    differences[1][:, :-1] = src_closing[:, :-1] - src_closing[:, 1:]
    differences[2][1:, :] = tgt_opening[1:, :] - tgt_opening[:-1, :]
    differences[3][:-1, :] = tgt_closing[:-1, :] - tgt_closing[1:, :]
    return [np.minimum(d, 0.0) for d in differences]


def clause_misfit(shortfalls: list[np.ndarray], a: int, b: int) -> np.ndarray:
    """For every a x b unit, the sum of its four edges' clause ``shortfalls`` (clause_shortfalls)."""
    src_opening, src_closing, tgt_opening, tgt_closing = shortfalls
    n, m = src_opening.shape
    starts = (slice(0, n - a + 1), slice(0, m - b + 1))
    ends = (slice(a - 1, n), slice(b - 1, m))
    return src_opening[starts] + tgt_opening[starts] + src_closing[ends] + tgt_closing[ends]


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
    extent = [(len(s), len(t)) for s, t in path]
    k = 0
    while k < len(path):
        end = k
        while end < len(path) and not (path[end][0] and path[end][1]):
            end += 1
        run = path[k:end]
        extent[k:end] = [(sum(len(s) for s, _ in run), sum(len(t) for _, t in run))] * len(run)
        k = max(end, k + 1)
    reach = [np.zeros(n, int), np.zeros(m, int)]
    for k, unit in enumerate(path):
        nearby = range(max(k - 1, 0), min(k + 2, len(path)))
        if all(extent[x] == (1, 1) for x in nearby):
            continue
        for side, ids in enumerate(unit):
            reach[side][list(ids)] = max(2, 1 + max(extent[x][side] for x in nearby))
    return reach[0], reach[1]


def unit_shapes(max_block: int) -> list[tuple[int, int]]:
    """Linked unit shapes (a source, b target sentences) with a + b <= max_block + 1."""
    return [(a, b) for a in range(1, max_block + 1) for b in range(1, max_block + 1) if a + b <= max_block + 1]


def omission_threshold(scorer: Scorer) -> float:
    """A percentile of the margins of all sentence pairs, nearly all pairs of unrelated sentences:
    what a link must beat to count as support in auto mode's comparison of the two aligners."""
    return float(np.percentile(scorer.margin11, scorer.params.omission_percentile))


def unit_gains(scorer: Scorer) -> dict[tuple[int, int], np.ndarray]:
    """What each unit shape earns at every position: local margin + unit reward - length penalty -
    quotation penalty."""
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
        src_len = _window_sum(scorer.src_lengths, a)[:, None] * ratio
        tgt_len = _window_sum(scorer.tgt_lengths, b)[None, :]
        deviation = (tgt_len - src_len) ** 2 / ((src_len + tgt_len) / 2)
        gains[(a, b)] += p.unit_reward - length_weight * deviation - scorer.quote_penalty(a, b)
    return gains


def unclaimed_best(scorer: Scorer) -> tuple[np.ndarray, np.ndarray]:
    """Each source and each target sentence's best margin against the other side's sentences,
    leaving out those already claimed by another sentence's clear mutual best match (claim_margin):
    the evidence that it has a counterpart of its own (a sentence left with none: the pair's
    weakest margin)."""
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
    return unclaimed.max(axis=1), unclaimed.max(axis=0)


def omission_costs(scorer: Scorer, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """What omitting each source and each target sentence costs where a share ``rate`` of the
    sentences has no counterpart: the cost falls as the rate rises, and a sentence with a clear
    counterpart of its own (unclaimed_best) is dearer to omit than one with none."""
    p = scorer.params
    cost = p.omission_offset - p.omission_scale * math.log(rate + 0.01)
    src_evidence, tgt_evidence = (p.omission_evidence * best for best in unclaimed_best(scorer))
    return np.maximum(src_evidence + cost, p.omission_floor), np.maximum(tgt_evidence + cost, p.omission_floor)


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
      grow, so the unit's own similarity does not show it)."""
    p = scorer.params
    share = float(np.clip((rate - p.weak_link_rate_none) / (p.weak_link_rate_full - p.weak_link_rate_none), 0, 1))
    if not share:
        return gains
    best = np.zeros(scorer.margin11.shape)
    for i, j in matches(scorer, -np.inf):
        best[i, j] = 1
    costed = {}
    for (a, b), gain in gains.items():
        weak = np.minimum(scorer.margin(a, b) - p.weak_link_margin, 0) * (_window_max(best, a, b) == 0)
        costed[(a, b)] = gain + share * (p.weak_link_weight * weak - p.edge_fit_weight * edge_misfit(scorer, a, b))
    return costed


def edge_misfit(scorer: Scorer, a: int, b: int) -> np.ndarray | float:
    """For every a x b unit, how far below 0 the kNN margins of the sentences at the ends of a side
    of two or more fall against the other side's block (first and last source sentence against the
    b target sentences, first and last target sentence against the a source ones), summed."""
    misfit: np.ndarray | float = 0.0
    rows, columns = scorer.margin(a, b).shape
    if a >= 2:
        against = np.minimum(scorer.margin(1, b), 0)  # each source sentence against each target block
        misfit = misfit - against[:rows] - against[a - 1:a - 1 + rows]
    if b >= 2:
        against = np.minimum(scorer.margin(a, 1), 0)
        misfit = misfit - against[:, :columns] - against[:, b - 1:b - 1 + columns]
    return misfit


def monotonic(scorer: Scorer, gains: dict[tuple[int, int], np.ndarray], n: int, m: int) -> list[AlignedUnit]:
    """The best in-order sequence of units; omission costs set from this pair's own omission
    rate, estimated by a first pass whose costs are the evidence alone, and unit edges weighed
    against clauses where that pass leaves them in doubt. ``gains``: unit_gains."""
    p = scorer.params
    src_best, tgt_best = unclaimed_best(scorer)
    first = _best_path(gains, n, m, p.omission_evidence * src_best, p.omission_evidence * tgt_best)
    if p.clause_weight > 0 or joins(scorer):
        doubtful = doubtful_sentences(scorer, first)
        if joins(scorer):  # blocks near the units the first pass made other than 1-1 (MAC-Dev and
            # FLORES dev: the same figures as with every doubtful sentence's blocks)
            src_reach, tgt_reach = joined_reach(first, n, m)
            scorer = scorer.with_joined_windows(src_reach * doubtful[0], tgt_reach * doubtful[1])
            gains = unit_gains(scorer)
        if p.clause_weight > 0:
            gains = with_clauses(scorer, gains, *doubtful)
        first = _best_path(gains, n, m, p.omission_evidence * src_best, p.omission_evidence * tgt_best)
    omitted = sum(len(s) + len(t) for s, t in first if not s or not t) / (n + m)
    path = _best_path(much_omitted_costs(scorer, gains, omitted), n, m, *omission_costs(scorer, omitted))
    return [scorer.unit(list(s), list(t)) for s, t in path]


def unrefined(scorer: Scorer) -> Scorer:
    """``scorer``, or a copy of it that scores no joined blocks and no clause misfits (both take
    model calls) where it does."""
    p = scorer.params
    if not joins(scorer) and p.clause_weight <= 0:
        return scorer
    rough = copy.copy(scorer)
    rough.params = replace(p, joined_share=0.0, clause_weight=0.0)
    return rough


def joins(scorer: Scorer) -> bool:
    """Whether the originals' blocks are scored by their joined texts too."""
    return scorer.params.joined_share > 0 and scorer.params.joined_size >= 2


def _best_path(gains: dict[tuple[int, int], np.ndarray], n: int, m: int, src_omit: np.ndarray,
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


# --- comparable: mutual best matches -----------------------------------------------------------

def matches(scorer: Scorer, threshold: float) -> list[tuple[int, int]]:
    """Mutual best (i, j) pairs whose margin reaches ``threshold``."""
    margin = scorer.margin11
    if margin.size == 0:
        return []
    best_t, best_s = margin.argmax(axis=1), margin.argmax(axis=0)
    return [(i, int(j)) for i, j in enumerate(best_t) if best_s[j] == i and margin[i, j] >= threshold]


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
        scorer = scorer.with_joined_windows(src_reach, tgt_reach)
        gains = unit_gains(scorer)
    if p.clause_weight > 0:  # the clauses of the sentences a passage may take in
        gains = with_clauses(scorer, gains, *spans)
    gains = much_omitted_costs(scorer, gains, p.comparable_omission_rate)
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
                for s, t in _best_path(span, s1 - s0, t1 - t0, src_omit[s0:s1], tgt_omit[t0:t1])]
        paths.append(path)
        for s, t in path:
            if s and t and not (used_src & set(s) or used_tgt & set(t)):
                linked.append((list(s), list(t)))
                used_src.update(s)
                used_tgt.update(t)
    return linked, paths


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
    if mode == "auto" and unordered(clear):
        # the clear matches are in no more order than chance puts them (a few strong ones may
        # still be: three random matches are in order one time in six): different reports, which
        # parallel would link sentence by sentence into weak many-sentence units
        mode = "comparable"
        reason = (f"{evidence}; of {len(clear)} clear matches only {longest_in_order(clear)} "
                  f"in order, no more than in a random order")
    elif mode == "auto" and len(strong) >= 3 and (order >= params.monotonic_ratio or n * m > MAX_DP_CELLS):
        # in order: a translation. Out of order in a pair too long to run both aligners on: the
        # strong matches of two long documents are many, and their order is the evidence.
        mode = "parallel" if order >= params.monotonic_ratio else "comparable"
        reason = evidence
    cuts = cut_points(strong) if mode == "parallel" and n * m > MAX_DP_CELLS else []
    if cuts:
        units = aligned_in_pieces(src, tgt, embedder, conn, params, cuts)
        reason += f"; {n} x {m} sentences cut at strong matches into {len(cuts) + 1} pieces"
        return Alignment(units, mode, order, scorer.used_english, reason, scorer.dictionary)
    gains = unit_gains(scorer)  # both aligners score units alike
    if mode == "auto":  # too few strong matches, or out of order: both aligners, and comparable
        # only where it links clearly more than parallel does; compared without joined blocks and
        # clauses, whose model calls only the aligner kept needs (FLORES dev: the same modes and
        # figures, from 61% of the joined blocks' model calls)
        rough = unrefined(scorer)
        parallel, comparable = monotonic(rough, gains, n, m), non_monotonic(rough, gains, n, m)
        threshold = omission_threshold(scorer)
        in_order, reordered = support(parallel, threshold), support(comparable, threshold)
        chosen = reordered >= params.comparable_support * in_order and reordered > 0
        mode = "comparable" if chosen else "parallel"
        if rough is scorer:
            units = comparable if chosen else parallel
        else:
            units = (non_monotonic if chosen else monotonic)(scorer, gains, n, m)
        reason = (f"{evidence}: both aligners run, {mode} kept (support: parallel {in_order:.3f}, comparable "
                  f"{reordered:.3f}, without joined blocks or clauses; comparable needs {params.comparable_support:g}x "
                  "parallel's)")
        return Alignment(units, mode, order, scorer.used_english, reason, scorer.dictionary)
    aligner = monotonic if mode == "parallel" else non_monotonic
    units = aligner(scorer, gains, n, m)
    return Alignment(units, mode, order, scorer.used_english, reason, scorer.dictionary)


def unordered(pairs: list[tuple[int, int]]) -> bool:
    """At least MIN_ORDER_EVIDENCE matches, their longest in-order chain no longer than a random
    order's (2 sqrt(n): the expected longest increasing subsequence of a random permutation)."""
    return len(pairs) >= MIN_ORDER_EVIDENCE and longest_in_order(pairs) <= 2 * math.sqrt(len(pairs))


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
        piece = align(Side(src.texts[i0:i1], src.lang, src.english[i0:i1]),
                      Side(tgt.texts[j0:j1], tgt.lang, tgt.english[j0:j1]), embedder, conn, "parallel", params)
        units += [replace(u, src_ids=[i0 + i for i in u.src_ids], tgt_ids=[j0 + j for j in u.tgt_ids])
                  for u in piece.units]
    return units


def support(units: list[AlignedUnit], threshold: float) -> float:
    """How much of both documents an alignment links, and how clearly: the sentences of each
    linked unit times its margin above the omission threshold, summed."""
    return sum((len(u.src_ids) + len(u.tgt_ids)) * max((u.margin or 0.0) - threshold, 0.0)
               for u in units if u.src_ids and u.tgt_ids)
