"""Alignment of stored documents: pairs, story groups across the workspace, cross-document links.

Turns documents into ``align.Side``s (content sentences, with English where translated), maps
aligned positions back to sentence indices and character spans, and stores the results.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields, replace

import numpy as np

from . import __version__, dictionary, store
from .align import Alignment, AlignParams, Scorer, Side, align, edge_clauses, margins
from .align.scale import on_reference_scale, similarity_scale
from .anchors import unit_flags
from .boilerplate import is_boilerplate_sentence
from .embed import Embedder, embed_cached
from .records import AlignedUnit, Link, Sentence, StoredDocument
from .segment import as_read
from .translate import english_of


@dataclass
class DocumentSide:
    doc: StoredDocument
    side: Side
    indices: list[int]  # position in side -> sentence index in the document
    models: set[str]  # translation models behind the English side


def document_side(conn: sqlite3.Connection, doc: StoredDocument, keep: Collection[int] = ()) -> DocumentSide:
    """``doc``'s content sentences, and the boilerplate ones whose indices are in ``keep``."""
    content = [s for s in doc.sentences if not s.boilerplate or s.index in keep]
    english = english_of(conn, doc.id)
    # an English sentence is its own English, translated or not
    english_texts = [english[s.index][0] if s.index in english else s.text if s.lang == "en" else None
                     for s in content]
    # scored as models read them (a hard-wrapped sentence's numbers and names whole); output keeps the spans' text
    return DocumentSide(doc, Side([as_read(s.text) for s in content], doc.lang,
                                  [None if text is None else as_read(text) for text in english_texts]),
                        [s.index for s in content], {model for _, model in english.values() if model})


def translated_furniture(conn: sqlite3.Connection, a: StoredDocument, b: StoredDocument, embedder: Embedder,
                         params: AlignParams = AlignParams()) -> tuple[set[int], set[int]]:
    """The boilerplate sentences of ``a`` and of ``b`` whose translation the other document holds as
    text of its own: a content sentence there is its mutual best match, with a kNN margin of at
    least strong_match. A translated article keeps its source's promo line ("Subscribe to our
    newsletter ..." / "订阅我们的电子报 ..."), and the furniture rules know one language's form and
    not the other's; marked on one side only, the line could be linked to nothing. Only lines that
    are furniture by their own text qualify (a visitor's comment below a comments header matched
    a line of another report by chance on the seed articles), and two marked lines stay marked:
    two outlets' own promos are not a passage they share."""
    candidates = [{s.index for s in d.sentences if s.boilerplate and is_boilerplate_sentence(s.text)} for d in (a, b)]
    if not any(candidates):
        return set(), set()
    vectors = [embed_cached(conn, embedder, [s.text for s in d.sentences]) for d in (a, b)]
    if not all(len(v) for v in vectors):
        return set(), set()
    margin = margins(on_reference_scale(vectors[0] @ vectors[1].T, embedder, conn), params.knn)
    best_in_b, best_in_a = margin.argmax(axis=1), margin.argmax(axis=0)
    kept: tuple[set[int], set[int]] = (set(), set())
    for i, j in enumerate(best_in_b):
        x, y = a.sentences[i], b.sentences[j]
        if best_in_a[j] != i or margin[i, j] < params.strong_match or x.boilerplate == y.boilerplate:
            continue
        marked, side = (x, 0) if x.boilerplate else (y, 1)
        if marked.index in candidates[side]:
            kept[side].add(marked.index)
    return kept


def pair_sides(conn: sqlite3.Connection, a: StoredDocument, b: StoredDocument, embedder: Embedder,
               params: AlignParams = AlignParams()) -> tuple[DocumentSide, DocumentSide]:
    """The two documents as the aligner reads them: content sentences, and each one's boilerplate
    sentences that the other translates (translated_furniture)."""
    keep_a, keep_b = translated_furniture(conn, a, b, embedder, params)
    return document_side(conn, a, keep_a), document_side(conn, b, keep_b)


def signature(embedder: Embedder, params: AlignParams, sides: list[DocumentSide], mode: str | None = None) -> dict:
    return {"workbench": __version__, "embedder": embedder.name,
            "translation_models": sorted(set().union(*(s.models for s in sides))),
            "aligner": {"mode": mode, **params.signature()}}


@dataclass
class DocumentAlignment:
    src: DocumentSide
    tgt: DocumentSide
    result: Alignment
    signature: dict

    def records(self) -> list[dict]:
        """One JSON-ready object per aligned unit, with sentence ids and character spans, and one
        per boilerplate sentence (kind "boilerplate", not aligned) where it stands in its document,
        so that every sentence of both documents is in the output."""
        records = [unit_record(self.src, self.tgt, unit, self.signature) for unit in self.result.units]
        for side, ds in (("src", self.src), ("tgt", self.tgt)):
            aligned = set(ds.indices)
            for sentence in (s for s in ds.doc.sentences if s.boilerplate and s.index not in aligned):
                before = [k for k, r in enumerate(records) if any(i < sentence.index for i in r[f"{side}_ids"])]
                records.insert(before[-1] + 1 if before else 0,
                               boilerplate_record(self.src, self.tgt, side, sentence, self.signature))
        return records


def unit_record(src: DocumentSide, tgt: DocumentSide, unit: AlignedUnit, signature: dict | None = None) -> dict:
    def side(ds: DocumentSide, positions: list[int]):
        ids = [ds.indices[p] for p in positions]
        sentences = [ds.doc.sentences[i] for i in ids]
        english = [e for e in (ds.side.english[p] for p in positions) if e is not None]
        en = " ".join(english) if english and len(english) == len(positions) else None
        text = ds.side.separator.join(s.text for s in sentences)
        return ids, [[s.start, s.end] for s in sentences], text, en

    src_ids, src_spans, src_text, src_en = side(src, unit.src_ids)
    tgt_ids, tgt_spans, tgt_text, tgt_en = side(tgt, unit.tgt_ids)
    record = {"src_doc": src.doc.path, "tgt_doc": tgt.doc.path, "src_ids": src_ids, "tgt_ids": tgt_ids,
              "src_spans": src_spans, "tgt_spans": tgt_spans, "src_text": src_text, "tgt_text": tgt_text,
              "src_en": src_en, "tgt_en": tgt_en, "kind": f"{len(src_ids)}-{len(tgt_ids)}",
              "score": unit.score, "flags": unit.flags}
    if signature is not None:
        record["signature"] = signature
    return record


def boilerplate_record(src: DocumentSide, tgt: DocumentSide, side: str, sentence: Sentence,
                       signature: dict | None = None) -> dict:
    """A boilerplate sentence as an output unit of its own: nothing on the other side, no score."""
    ids = {"src": [], "tgt": [], side: [sentence.index]}
    spans = {"src": [], "tgt": [], side: [[sentence.start, sentence.end]]}
    text = {"src": "", "tgt": "", side: sentence.text}
    record: dict = {"src_doc": src.doc.path, "tgt_doc": tgt.doc.path, "src_ids": ids["src"], "tgt_ids": ids["tgt"],
                    "src_spans": spans["src"], "tgt_spans": spans["tgt"], "src_text": text["src"],
                    "tgt_text": text["tgt"], "src_en": None, "tgt_en": None, "kind": "boilerplate", "score": None,
                    "flags": []}
    if signature is not None:
        record["signature"] = signature
    return record


def inputs_digest(src: DocumentSide, tgt: DocumentSide, embedder: Embedder, params: AlignParams, mode: str) -> str:
    """Everything an alignment depends on, hashed: texts, English, embedder, parameters, mode and
    the dictionaries installed for the two languages."""
    payload = [__version__, embedder.name, params.signature(), mode, dictionary.installed([src.side.lang, tgt.side.lang]),
               src.side.texts, src.side.english, tgt.side.texts, tgt.side.english]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]


def is_current(conn: sqlite3.Connection, a: StoredDocument, b: StoredDocument, embedder: Embedder, mode: str = "auto",
               params: AlignParams = AlignParams()) -> bool:
    """Whether the stored alignment of ``a`` and ``b`` was made from the same inputs (so aligning
    again would give the same units, and would only undo an analyst's relinks)."""
    stored = store.alignment_signature(conn, a.id, b.id)
    if stored is None:
        return False
    return stored.get("inputs") == inputs_digest(*pair_sides(conn, a, b, embedder, params), embedder, params, mode)


def aligned_with(signature: dict) -> AlignParams:
    """The aligner's parameters recorded in an alignment's signature (defaults for any it predates),
    so that a pair aligned with `align --no-dictionary` is checked and aligned again as it was."""
    recorded = dict(signature.get("aligner", {}))
    if "dictionary_weight" in recorded and "dictionary_scale" not in recorded:
        # recorded before each dictionary had its own weight (2026-12-04): the view's weight itself,
        # 0 where aligned with --no-dictionary; read as the factor on the dictionary's weight
        recorded["dictionary_scale"] = 0.0 if recorded["dictionary_weight"] == 0 else 1.0
    return AlignParams(**{f.name: recorded[f.name] for f in fields(AlignParams) if f.name in recorded})


def align_documents(conn: sqlite3.Connection, a: StoredDocument, b: StoredDocument, embedder: Embedder, mode: str = "auto",
                    params: AlignParams = AlignParams()) -> DocumentAlignment:
    """Align two stored documents and store the units (analysts' reviews are kept by content)."""
    src, tgt = pair_sides(conn, a, b, embedder, params)
    result = align(src.side, tgt.side, embedder, conn, mode, params)
    sig = signature(embedder, params, [src, tgt], result.mode)
    # requested_mode: what is_current needs to recompute "inputs"
    sig["aligner"].update(monotonicity=round(result.monotonicity, 3), english_used=result.used_english,
                          dictionary=result.dictionary or None, mode_reason=result.mode_reason,
                          requested_mode=mode, similarity_scale=round(similarity_scale(embedder, conn), 4))
    sig["inputs"] = inputs_digest(src, tgt, embedder, params, mode)
    aligned = DocumentAlignment(src, tgt, result, sig)
    save_alignment(conn, aligned)
    return aligned


def save_alignment(conn: sqlite3.Connection, aligned: DocumentAlignment) -> None:
    """Store the units with sentence indices of the documents (the aligner's are positions among
    the content sentences)."""
    store.replace_alignment(conn, aligned.src.doc.id, aligned.tgt.doc.id, aligned.result.mode, aligned.signature, [
        ([aligned.src.indices[p] for p in unit.src_ids], [aligned.tgt.indices[p] for p in unit.tgt_ids],
         unit.score, unit.flags) for unit in aligned.result.units])


# --- stories ------------------------------------------------------------------------------
# Two documents report the same events when some of their sentences match closely: the mean of
# the best few cosines plus, weighted, the best few margins. Sentences of one language resemble
# each other whatever the topic, so same-language pairs are discounted. Fitted on the seed
# corpus against FLORES articles (tests/test_align.py); a heuristic, not a classifier.
STORY_THRESHOLD = 0.885
SAME_LANGUAGE_DISCOUNT = 0.03
_TOP = 5


EXHAUSTIVE_BELOW = 200  # documents; in larger workspaces only candidate pairs are scored
# Nearest sentences (in other documents) that make two documents candidates. 1,000 FLORES-built
# articles (benchmarks/scale.py, 2026-12-03): 10 -> 32,834 pairs, 6.2 s, pairwise precision 0.990
# recall 0.961, 181 of 200 stories exact; 20 -> 55,470 pairs, 8.5 s, 0.993 / 0.975, 188 exact;
# 40 -> 84,398 pairs, 13.1 s, 0.981 / 0.986, 192 exact.
CANDIDATE_NEIGHBOURS = 20
CANDIDATE_BLOCK_CELLS = 2**24  # similarities computed at once in the candidate search


def _content_vectors(conn: sqlite3.Connection, docs: list[StoredDocument], embedder: Embedder) -> list[np.ndarray]:
    """Embeddings of each document's content sentences (one cache pass, one model call for all)."""
    texts = [[s.text for s in d.sentences if not s.boilerplate] for d in docs]
    flat = embed_cached(conn, embedder, [t for doc_texts in texts for t in doc_texts])
    bounds = np.cumsum([0] + [len(doc_texts) for doc_texts in texts])
    return [flat[bounds[k]:bounds[k + 1]] for k in range(len(docs))]


def _similarity(va: np.ndarray, vb: np.ndarray, same_language: bool, params: AlignParams,
                on_scale: Callable[[np.ndarray], np.ndarray]) -> float:
    """The story score of two documents' sentence vectors, their cosines first put ``on_scale``
    (e5's, where STORY_THRESHOLD was set: align/scale.py)."""
    if not len(va) or not len(vb):
        return 0.0
    sim = on_scale(va @ vb.T)
    top_sim = np.sort(sim.ravel())[-_TOP:].mean()
    top_margin = np.sort(margins(sim, params.knn).ravel())[-_TOP:].mean()
    return float(top_sim + 2 * top_margin - (SAME_LANGUAGE_DISCOUNT if same_language else 0.0))


def candidate_pairs(vectors: list[np.ndarray], neighbours: int = CANDIDATE_NEIGHBOURS) -> set[tuple[int, int]]:
    """StoredDocument pairs (k < l) where a sentence of one is among the ``neighbours`` nearest sentences,
    in other documents, of a sentence of the other. Documents about the same events share close
    sentences, so scoring only these pairs finds the stories at a fraction of all n^2/2 pairs."""
    if len(vectors) < 2 or not any(len(v) for v in vectors):
        return set()
    owner = np.concatenate([np.full(len(v), k) for k, v in enumerate(vectors)])
    every = np.vstack([v for v in vectors if len(v)])
    k = min(neighbours, len(every) - 1)
    pairs: set[tuple[int, int]] = set()
    # a block of rows x N similarities at a time, ~16 bytes each with the sort indices: about 256 MB
    # whatever N (1,024 rows x 67,746 sentences, 10,000 articles, came to 1.1 GB of floats and indices)
    step = max(16, min(1024, CANDIDATE_BLOCK_CELLS // len(every)))
    for start in range(0, len(every), step):
        sim = every[start:start + step] @ every.T
        rows = owner[start:start + step]
        sim[rows[:, None] == owner[None, :]] = -np.inf  # a document's own sentences are not neighbours
        nearest = np.argpartition(-sim, k - 1, axis=1)[:, :k] if k > 0 else np.zeros((len(rows), 0), int)
        for row, others in zip(rows, owner[nearest]):
            pairs.update((min(row, other), max(row, other)) for other in set(others.tolist()) if other != row)
    return pairs


def story_groups(conn: sqlite3.Connection, docs: list[StoredDocument], embedder: Embedder,
                 threshold: float = STORY_THRESHOLD, params: AlignParams = AlignParams(),
                 exhaustive_below: int = EXHAUSTIVE_BELOW,
                 ) -> tuple[list[list[StoredDocument]], dict[tuple[int, int], float]]:
    """Documents that report the same events, by average-linkage clustering of story similarity.

    Pairs above ``threshold`` are taken most similar first; two groups merge only when their
    documents' mean similarity across the groups stays above it. (Joining on any one pair, as
    connected components do, chains unrelated stories through chance resemblances: among 200
    FLORES articles about 1% of unrelated pairs pass the threshold.) Every pair is scored in a
    workspace of fewer than ``exhaustive_below`` documents; beyond that, the candidate pairs
    only, and a pair that is not a candidate counts 0 in the mean. Returns the groups and the
    scores of the pairs scored; the groups are recorded in the workspace (``store.stories``),
    where listings read them without the model.
    """
    vectors = _content_vectors(conn, docs, embedder)

    def on_scale(cosines: np.ndarray) -> np.ndarray:
        return on_reference_scale(cosines, embedder, conn)

    if len(docs) < exhaustive_below:
        scored = [(k, other) for k in range(len(docs)) for other in range(k + 1, len(docs))]
    else:
        scored = sorted(candidate_pairs(vectors))
    values: dict[tuple[int, int], float] = {}

    def value(k: int, other: int) -> float:
        key = (min(k, other), max(k, other))
        if key not in values:
            a, b = docs[key[0]], docs[key[1]]
            values[key] = _similarity(vectors[key[0]], vectors[key[1]], a.lang == b.lang, params, on_scale)
        return values[key]

    ranked = sorted(((value(k, other), k, other) for k, other in scored), reverse=True)
    # Average linkage over the scored pairs: between[g][h] sums the scores of the scored pairs
    # across groups g and h, a pair never scored counting 0 (neither document has a sentence among
    # the other's nearest). Merging adds neighbour sums, so each merge costs the groups' scored
    # pairs; scoring every pair across two groups at each merge grew with the square of the
    # groups (10,000 FLORES-built articles: still grouping after 15 minutes, RSS rising past 1.8 GB).
    between: dict[int, dict[int, float]] = defaultdict(dict)
    for v, k, other in ranked:
        between[k][other] = between[other][k] = v
    members = {k: [k] for k in range(len(docs))}
    group_of = list(range(len(docs)))
    for v, k, other in ranked:
        if v < threshold:
            break
        first, second = group_of[k], group_of[other]
        if first == second or between[first].get(second, 0.0) / (len(members[first]) * len(members[second])) < threshold:
            continue
        for x in members[second]:
            group_of[x] = first
        members[first] += members.pop(second)
        for neighbour, total in between.pop(second).items():
            del between[neighbour][second]
            if neighbour != first:
                between[first][neighbour] = between[neighbour][first] = between[first].get(neighbour, 0.0) + total
        between[first].pop(first, None)
    groups = [[docs[k] for k in sorted(group)] for group in members.values()]
    similarity = {(docs[k].id, docs[other].id): v for (k, other), v in values.items()}
    store.save_stories(conn, groups)
    return sorted(groups, key=lambda g: (-len(g), g[0].path)), similarity


def suggested_pairs(groups: list[list[StoredDocument]],
                    similarity: dict[tuple[int, int], float]) -> list[tuple[StoredDocument, StoredDocument, float]]:
    """Cross-language pairs inside a story group, most similar first: the pairs worth aligning."""
    pairs = []
    for group in groups:
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a.lang != b.lang:
                    value = similarity.get((a.id, b.id), similarity.get((b.id, a.id), 0.0))
                    pairs.append((a, b, value))
    return sorted(pairs, key=lambda p: -p[2])


# What align-all aligns with unless asked otherwise: it aligns many pairs of short reports, where
# the joined texts of blocks (AlignParams.joined_share) would take most of the model's time (200
# generated articles, 400 pairs: align-all 39.6 s -> 99.0 s), so blocks are scored from their
# sentences' own vectors (`align-all --joined-blocks` joins them; `align` of chosen pairs does).
STORY_PARAMS = AlignParams(joined_share=0.0)


def params_for_pair(conn: sqlite3.Connection, a: StoredDocument, b: StoredDocument, params: AlignParams,
                    keep_joined: bool) -> AlignParams:
    """``params``, with the joined blocks of the pair's stored alignment where ``keep_joined`` and
    ``params`` has none."""
    recorded = (store.alignment_signature(conn, a.id, b.id) or {}).get("aligner", {})
    share = recorded.get("joined_share", 0.0)  # none before joined blocks
    if not keep_joined or params.joined_share > 0 or not share:
        return params
    return replace(params, joined_share=share, joined_size=recorded.get("joined_size", params.joined_size))


def align_stories(conn: sqlite3.Connection, docs: list[StoredDocument], embedder: Embedder, mode: str = "auto",
                  redo: bool = False, on_pair: Callable[[int, int, StoredDocument, StoredDocument, bool], None] | None = None,
                  involving: set[int] | None = None, params: AlignParams = STORY_PARAMS, keep_joined: bool = True,
                  ) -> tuple[list[list[StoredDocument]], list[tuple[StoredDocument, StoredDocument]]]:
    """Group ``docs`` into stories and align every cross-language pair in a story. A pair already
    aligned from the same inputs is kept as stored (with the analysts' relinks) unless ``redo``;
    with ``keep_joined``, a pair that `align` scored with joined blocks keeps them where ``params``
    has none (it is not aligned again only to lose them).
    ``on_pair(done, total, a, b, kept)`` follows progress. With ``involving``, only the pairs that
    include one of those documents are aligned (new articles joining stories of the workspace).
    Returns the groups and the pairs, most similar first."""
    groups, similarity = story_groups(conn, docs, embedder)
    # a pair already aligned the other way round (`align B A`) keeps that order: aligned again in
    # this one it would be stored as a second alignment of the same two documents
    pairs = [(b, a) if store.alignment_signature(conn, b.id, a.id) is not None else (a, b)
             for a, b, _ in suggested_pairs(groups, similarity) if involving is None or a.id in involving or b.id in involving]
    used = [params_for_pair(conn, a, b, params, keep_joined) for a, b in pairs]
    kept = [not redo and is_current(conn, a, b, embedder, mode, p) for (a, b), p in zip(pairs, used)]
    # the English sides of the pairs to align and the clauses the aligner may weigh, in one call up
    # front (the originals are embedded by the grouping): a model call per chunk instead of per
    # pair, spread over the workers on Ray (align-all on 200 generated articles, under cProfile:
    # 48.8 s with clauses embedded pair by pair, 12.9 s of it theirs; 45.0 s with all of them here,
    # 9.3 s, though settled links need none: align.refine.doubtful_sentences)
    involved = {d.id: d for (a, b), was_kept in zip(pairs, kept) if not was_kept for d in (a, b)}.values()
    sides = [document_side(conn, d).side for d in involved]
    english = [e for side in sides for e in side.english if e is not None]
    clauses = edge_clauses([t for side in sides for t in side.texts] + english) if params.clause_weight > 0 else []
    embed_cached(conn, embedder, english + clauses)
    for done, ((a, b), was_kept, pair_params) in enumerate(zip(pairs, kept, used), 1):
        if not was_kept:
            align_documents(conn, a, b, embedder, mode, pair_params)
        if on_pair:
            on_pair(done, len(pairs), a, b, was_kept)
    return groups, pairs


# --- cross-document links ------------------------------------------------------------------------

# A link's counterpart is chosen by its own margin plus this share of the margin of the passages of
# LINK_CONTEXT sentences centred on both: a fact comes with its context where two reports share a
# passage, and where they share none every candidate's passage margin is near zero alike. Hand-made
# seed facts (tests/data/seed-gold): top-1 right for 17 of 28 without, 19 with 0.5 x 3 sentences
# (0.25: 17, 1.0: 19; passages of 2: 17).
LINK_CONTEXT_WEIGHT = 0.5
LINK_CONTEXT = 3


def context_margins(scorer: Scorer) -> np.ndarray:
    """For every sentence pair, the margin of the passages of LINK_CONTEXT sentences centred on its
    two sentences (moved inwards at a document's edges; the whole document where it is shorter)."""
    n, m = scorer.margin11.shape
    a, b = min(LINK_CONTEXT, n), min(LINK_CONTEXT, m)
    passages = scorer.margin(a, b)
    rows = np.clip(np.arange(n) - a // 2, 0, passages.shape[0] - 1)
    columns = np.clip(np.arange(m) - b // 2, 0, passages.shape[1] - 1)
    return passages[np.ix_(rows, columns)]


def links_between(conn: sqlite3.Connection, a: StoredDocument, b: StoredDocument, embedder: Embedder,
                  params: AlignParams = AlignParams()) -> list[Link]:
    """For each content sentence of ``a``, its best counterpart in ``b`` (by its margin and its
    passage's, ``context_margins``) with confidence (of its own margin) and flags."""
    src, tgt = document_side(conn, a), document_side(conn, b)
    if not src.side.texts or not tgt.side.texts:
        return []
    scorer = Scorer(src.side, tgt.side, embedder, conn, params)
    chosen = scorer.margin11 + LINK_CONTEXT_WEIGHT * context_margins(scorer)
    found = []
    for p, row in enumerate(scorer.margin11):
        q = int(chosen[p].argmax())
        flags = unit_flags([src.side.texts[p]], [tgt.side.texts[q]])
        found.append(Link(a.id, src.indices[p], b.id, tgt.indices[q], round(scorer.confidence(float(row[q])), 4),
                          tuple(flags)))
    return found


def compute_links(conn: sqlite3.Connection, docs: list[StoredDocument], embedder: Embedder,
                  params: AlignParams = AlignParams()) -> list[Link]:
    """Links from every document to every other-language document of its story; stored."""
    groups, _ = story_groups(conn, docs, embedder)
    found: list[Link] = []
    for group in groups:
        for a in group:
            for b in group:
                if a.id != b.id and a.lang != b.lang:
                    found.extend(links_between(conn, a, b, embedder, params))
    store.replace_links(conn, found)
    return found
