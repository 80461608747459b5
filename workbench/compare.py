"""Alignment of stored documents: pairs, story groups across the workspace, cross-document links.

Turns documents into ``align.Side``s (content sentences, with English where translated), maps
aligned positions back to sentence indices and character spans, and stores the results.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

import numpy as np

from . import __version__, store
from .align import AlignParams, Alignment, Scorer, Side, align, margins
from .anchors import anchors, number_flags
from .embed import Embedder, embed_cached
from .records import AlignedUnit, Document, Link
from .translate import english_of


@dataclass
class DocumentSide:
    doc: Document
    side: Side
    indices: list[int]  # position in side -> sentence index in the document
    models: set[str]  # translation models behind the English side


def document_side(conn: sqlite3.Connection, doc: Document) -> DocumentSide:
    content = [s for s in doc.sentences if not s.boilerplate]
    english = english_of(conn, doc.id)
    # an English sentence is its own English, translated or not
    english_texts = [english[s.index][0] if s.index in english else s.text if s.lang == "en" else None
                     for s in content]
    return DocumentSide(doc, Side([s.text for s in content], doc.lang, english_texts),
                        [s.index for s in content], {model for _, model in english.values() if model})


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
        """One JSON-ready object per aligned unit, with sentence ids and character spans."""
        return [unit_record(self.src, self.tgt, unit, self.signature) for unit in self.result.units]


def unit_record(src: DocumentSide, tgt: DocumentSide, unit: AlignedUnit, signature: dict | None = None) -> dict:
    def side(ds: DocumentSide, positions: list[int]):
        ids = [ds.indices[p] for p in positions]
        sentences = [ds.doc.sentences[i] for i in ids]
        english = [ds.side.english[p] for p in positions]
        en = " ".join(english) if english and all(e is not None for e in english) else None
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


def inputs_digest(src: DocumentSide, tgt: DocumentSide, embedder: Embedder, params: AlignParams, mode: str) -> str:
    """Everything an alignment depends on, hashed: texts, English, embedder, parameters, mode."""
    payload = [__version__, embedder.name, params.signature(), mode,
               src.side.texts, src.side.english, tgt.side.texts, tgt.side.english]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]


def is_current(conn: sqlite3.Connection, a: Document, b: Document, embedder: Embedder, mode: str = "auto",
               params: AlignParams = AlignParams()) -> bool:
    """Whether the stored alignment of ``a`` and ``b`` was made from the same inputs (so aligning
    again would give the same units, and would only undo an analyst's relinks)."""
    row = conn.execute("SELECT signature FROM alignments WHERE src_doc = ? AND tgt_doc = ?", (a.id, b.id)).fetchone()
    if row is None:
        return False
    digest = inputs_digest(document_side(conn, a), document_side(conn, b), embedder, params, mode)
    return json.loads(row[0]).get("inputs") == digest


def align_documents(conn: sqlite3.Connection, a: Document, b: Document, embedder: Embedder, mode: str = "auto",
                    params: AlignParams = AlignParams()) -> DocumentAlignment:
    """Align two stored documents and store the units (analysts' reviews are kept by content)."""
    src, tgt = document_side(conn, a), document_side(conn, b)
    result = align(src.side, tgt.side, embedder, conn, mode, params)
    sig = signature(embedder, params, [src, tgt], result.mode)
    sig["aligner"].update(monotonicity=round(result.monotonicity, 3), english_used=result.used_english)
    sig["inputs"] = inputs_digest(src, tgt, embedder, params, mode)
    aligned = DocumentAlignment(src, tgt, result, sig)
    save_alignment(conn, aligned)
    return aligned


def save_alignment(conn: sqlite3.Connection, aligned: DocumentAlignment) -> None:
    with store.transaction(conn):
        conn.execute("DELETE FROM alignments WHERE src_doc = ? AND tgt_doc = ?",
                     (aligned.src.doc.id, aligned.tgt.doc.id))
        alignment_id = conn.execute(
            "INSERT INTO alignments (src_doc, tgt_doc, mode, signature, created_at) VALUES (?,?,?,?,?)",
            (aligned.src.doc.id, aligned.tgt.doc.id, aligned.result.mode, json.dumps(aligned.signature),
             store.now())).lastrowid
        conn.executemany("INSERT INTO units VALUES (?,?,?,?,?,?)", [
            (alignment_id, position, json.dumps([aligned.src.indices[p] for p in unit.src_ids]),
             json.dumps([aligned.tgt.indices[p] for p in unit.tgt_ids]), unit.score, json.dumps(unit.flags))
            for position, unit in enumerate(aligned.result.units)])


# --- stories ------------------------------------------------------------------------------
# Two documents report the same events when some of their sentences match closely: the mean of
# the best few cosines plus, weighted, the best few margins. Sentences of one language resemble
# each other whatever the topic, so same-language pairs are discounted. Fitted on the seed
# corpus against FLORES articles (tests/test_align.py); a heuristic, not a classifier.
STORY_THRESHOLD = 0.885
SAME_LANGUAGE_DISCOUNT = 0.03
_TOP = 5


def story_similarity(conn: sqlite3.Connection, a: Document, b: Document, embedder: Embedder,
                     params: AlignParams = AlignParams()) -> float:
    texts_a = [s.text for s in a.sentences if not s.boilerplate]
    texts_b = [s.text for s in b.sentences if not s.boilerplate]
    if not texts_a or not texts_b:
        return 0.0
    sim = embed_cached(conn, embedder, texts_a) @ embed_cached(conn, embedder, texts_b).T
    top_sim = np.sort(sim.ravel())[-_TOP:].mean()
    top_margin = np.sort(margins(sim, params.knn).ravel())[-_TOP:].mean()
    return float(top_sim + 2 * top_margin - (SAME_LANGUAGE_DISCOUNT if a.lang == b.lang else 0.0))


def story_groups(conn: sqlite3.Connection, docs: list[Document], embedder: Embedder,
                 threshold: float = STORY_THRESHOLD) -> tuple[list[list[Document]], dict[tuple[int, int], float]]:
    """Documents that report the same events: connected components of story similarity."""
    similarity: dict[tuple[int, int], float] = {}
    parent = {d.id: d.id for d in docs}

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for i, a in enumerate(docs):
        for b in docs[i + 1:]:
            value = story_similarity(conn, a, b, embedder)
            similarity[(a.id, b.id)] = value
            if value >= threshold:
                parent[find(a.id)] = find(b.id)
    groups: dict[int, list[Document]] = {}
    for d in docs:
        groups.setdefault(find(d.id), []).append(d)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0].path))
    return ordered, similarity


def suggested_pairs(conn: sqlite3.Connection, docs: list[Document],
                    embedder: Embedder) -> list[tuple[Document, Document, float]]:
    """Cross-language pairs inside a story group, most similar first: the pairs worth aligning."""
    groups, similarity = story_groups(conn, docs, embedder)
    pairs = []
    for group in groups:
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a.lang != b.lang:
                    value = similarity.get((a.id, b.id), similarity.get((b.id, a.id), 0.0))
                    pairs.append((a, b, value))
    return sorted(pairs, key=lambda p: -p[2])


# --- cross-document links ------------------------------------------------------------------------

def links_between(conn: sqlite3.Connection, a: Document, b: Document, embedder: Embedder,
                  params: AlignParams = AlignParams()) -> list[Link]:
    """For each content sentence of ``a``, its best counterpart in ``b`` with confidence and flags."""
    src, tgt = document_side(conn, a), document_side(conn, b)
    if not src.side.texts or not tgt.side.texts:
        return []
    scorer = Scorer(src.side, tgt.side, embedder, conn, params)
    found = []
    for p, row in enumerate(scorer.margin11):
        q = int(row.argmax())
        flags = number_flags(anchors(src.side.texts[p]), anchors(tgt.side.texts[q]))
        found.append(Link(a.id, src.indices[p], b.id, tgt.indices[q], round(scorer.confidence(float(row[q])), 4),
                          tuple(flags)))
    return found


def compute_links(conn: sqlite3.Connection, docs: list[Document], embedder: Embedder,
                  params: AlignParams = AlignParams()) -> list[Link]:
    """Links from every document to every other document in another language; stored."""
    found: list[Link] = []
    for a in docs:
        for b in docs:
            if a.id != b.id and a.lang != b.lang:
                found.extend(links_between(conn, a, b, embedder, params))
    with store.transaction(conn):
        conn.execute("DELETE FROM links")
        conn.executemany("INSERT INTO links VALUES (?,?,?,?,?,?)",
                         [(k.doc, k.index, k.other_doc, k.other_index, k.score, json.dumps(list(k.flags)))
                          for k in found])
    return found
