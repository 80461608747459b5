"""Small typed records that flow one way through the pipeline.

ingest -> Document + Sentence; translate -> English per sentence;
align -> AlignedUnit; links -> Link.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int  # [start, end) into Document.text, the text as decoded from the file
    end: int
    paragraph: int
    lang: str
    text: str
    boilerplate: bool = False


@dataclass
class Document:
    """A document as read from a file, not stored in a workspace yet."""
    path: str  # its label: the path under the ingested folder, longer where two files share it
    source: str  # absolute path it was read from: the document's identity in a workspace
    sha256: str
    size: int
    encoding: str
    lang: str
    title: str
    text: str
    sentences: list[Sentence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class StoredDocument(Document):
    """A document in a workspace: it has an id (stable while its file is edited)."""
    id: int


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class AlignedUnit:
    src_ids: list[int]
    tgt_ids: list[int]
    score: float  # calibrated confidence in [0, 1]
    flags: list[str] = field(default_factory=list)
    margin: float | None = None  # the raw evidence behind score (pairs only)


@dataclass(frozen=True)
class Link:
    doc: int
    index: int
    other_doc: int
    other_index: int
    score: float
    flags: tuple[str, ...] = ()
