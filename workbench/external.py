"""English an analyst already holds for a document (a colleague's translation, another MT
system's output, the outlet's own English edition), attached as the document's English side.

Stored like model output, under the model id ``external:<file name>:<content hash>``, so
alignment, Compare, exports and signatures use and name it as they do model English, and
``translate`` leaves it alone unless ``--redo``. A document ingested one sentence per line gets
line i of the file as sentence i's English; any other document gets the file's sentences aligned
to its own with the parallel aligner, and each attachment keeps the aligner's confidence.
"""
from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import store
from .align import Side, align
from .embed import Embedder
from .ingest import IngestError, decode
from .records import StoredDocument
from .segment import SegmentOptions, as_read, segment

EXTERNAL_PREFIX = "external:"


class ExternalEnglishError(ValueError):
    """The file cannot be the document's English; the message says why, naming both."""


@dataclass(frozen=True)
class Attached:
    model: str  # the model id the English is stored under
    by_line: bool  # matched line by line (True) or aligned (False)
    sentences: int  # sentences of the document that received English
    unmatched: int  # sentences the aligner found no English for (left to translate)


def is_external(model: str | None) -> bool:
    return bool(model) and str(model).startswith(EXTERNAL_PREFIX)


def one_sentence_per_line(doc: StoredDocument) -> bool:
    """Whether the document was ingested with --one-sentence-per-line: its sentences are exactly
    its non-blank lines, in order."""
    lines = [line.strip() for line in doc.text.splitlines() if line.strip()]
    return bool(lines) and [s.text for s in doc.sentences] == lines


def attach_english(conn: sqlite3.Connection, doc: StoredDocument, path: Path, embedder: Embedder | None) -> Attached:
    """Attach the English in ``path`` to ``doc`` (see the module's docstring); ``embedder`` is
    needed only where the English is aligned, not matched line by line."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ExternalEnglishError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        text = decode(data).text
    except IngestError as error:
        raise ExternalEnglishError(f"{path}: {error}") from None
    model = f"{EXTERNAL_PREFIX}{path.name}:{hashlib.sha256(data).hexdigest()[:12]}"
    if one_sentence_per_line(doc):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) != len(doc.sentences):
            raise ExternalEnglishError(
                f"{path} has {len(lines)} non-blank lines but {doc.path} has {len(doc.sentences)} sentences "
                "(it was ingested one sentence per line, so line i must be sentence i's English)")
        store.save_external_english(conn, doc.id, model, [(s.index, en, None) for s, en in zip(doc.sentences, lines)])
        return Attached(model, True, len(lines), 0)
    english = [as_read(s.text) for s in segment(text, "en", SegmentOptions(keep_boilerplate=True)) if s.text.strip()]
    if not english:
        raise ExternalEnglishError(f"{path}: no English sentences in it")
    content = [s for s in doc.sentences if not s.boilerplate]
    if embedder is None:
        raise ValueError("aligning English to a document of prose needs an embedder")
    result = align(Side([as_read(s.text) for s in content], content[0].lang if content else doc.lang, [None] * len(content)),
                   Side(english, "en", list[str | None](english)), embedder, conn, "parallel")
    rows: list[tuple[int, str, float | None]] = []
    for unit in result.units:
        if unit.src_ids and unit.tgt_ids:
            # a unit of several source sentences shares its English: it cannot be cut by sentence
            passage = " ".join(english[j] for j in unit.tgt_ids)
            rows.extend((content[i].index, passage, unit.score) for i in unit.src_ids)
    store.save_external_english(conn, doc.id, model, rows)
    return Attached(model, False, len(rows), len(content) - len(rows))
