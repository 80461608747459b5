"""Find a term or phrase across the corpus: literally in the originals and the English, and by meaning."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from . import store
from .align.scale import on_reference_scale
from .embed import Embedder, embed_cached

# e5 cosine (unrelated sentences sit around 0.78); another model's cosines are put on e5's scale
# before they are compared with it (align/scale.py)
MIN_SIMILARITY = 0.84


@dataclass(frozen=True)
class Hit:
    doc_id: int
    path: str
    index: int
    text: str
    en: str | None
    score: float  # 1.0 for a literal match, else the model's cosine similarity
    how: str  # "text", "english" or "meaning"


def search(conn: sqlite3.Connection, embedder: Embedder | None, query: str, limit: int = 50) -> list[Hit]:
    """Literal matches first (original or English), then the closest sentences by embedding."""
    query = query.strip()
    if not query:
        return []
    rows = store.content_sentences(conn)
    needle = query.casefold()
    hits: dict[tuple[int, int], Hit] = {}
    for doc_id, path, idx, text, en in rows:
        if needle in text.casefold():
            hits[(doc_id, idx)] = Hit(doc_id, path, idx, text, en, 1.0, "text")
        elif en and needle in en.casefold():
            hits[(doc_id, idx)] = Hit(doc_id, path, idx, text, en, 1.0, "english")
    if embedder is not None and rows:
        vectors = embed_cached(conn, embedder, [r[3] for r in rows])
        similarity = vectors @ embed_cached(conn, embedder, [query])[0]
        close_enough = on_reference_scale(similarity, embedder, conn) >= MIN_SIMILARITY
        for k in np.argsort(-similarity)[:limit]:
            doc_id, path, idx, text, en = rows[k]
            if close_enough[k] and (doc_id, idx) not in hits:
                hits[(doc_id, idx)] = Hit(doc_id, path, idx, text, en, round(float(similarity[k]), 4), "meaning")
    return sorted(hits.values(), key=lambda h: (-h.score, h.path, h.index))[:limit]
