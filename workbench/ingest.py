"""Read a folder of articles: decode any encoding, extract HTML text, detect language, segment.

Bad files never stop a folder: each becomes a ``Skipped`` with the reason.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
from bs4 import BeautifulSoup

from . import language, store
from .records import Document, Skipped
from .segment import segment

SUPPORTED_SUFFIXES = {".txt", ".md", ".html", ".htm"}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_MAX_CONTROL_RATIO = 0.01  # decoded "text" with more control characters than this is binary
_BOMS = {b"\xef\xbb\xbf": "utf_8", b"\xff\xfe": "utf_16", b"\xfe\xff": "utf_16"}


class IngestError(Exception):
    """A file that cannot be ingested; the message says why."""


def safe_upload_name(name: str) -> str | None:
    """A file name that cannot leave the folder it is written to, or None for unsupported types."""
    base = re.sub(r"[^\w.\-]+", "_", Path(name.replace("\\", "/")).name).lstrip(".")
    if not base or Path(base).suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    return base


def find_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def decode(data: bytes) -> tuple[str, str]:
    """Decoded text (BOM removed) and the encoding's name."""
    if not data.strip():
        raise IngestError("empty file")
    for bom, encoding in _BOMS.items():
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff"), encoding if bom != b"\xef\xbb\xbf" else "utf_8_sig"
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "utf_8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data and not _looks_like_utf16(data):
        raise IngestError("binary file (contains NUL bytes)")
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise IngestError("encoding could not be determined")
    text = str(best).lstrip("\ufeff")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > _MAX_CONTROL_RATIO * len(text):
        raise IngestError("binary file (control characters)")
    return text, best.encoding


def _looks_like_utf16(data: bytes) -> bool:
    # UTF-16 without BOM: NULs sit on every other byte for Latin text
    even, odd = data[0::2].count(0), data[1::2].count(0)
    return max(even, odd) > 0.3 * (len(data) // 2) and min(even, odd) < 0.05 * (len(data) // 2)


def html_to_text(markup: str) -> tuple[str, str]:
    """Visible text (one block per line, no scripts or styles) and the page title."""
    soup = BeautifulSoup(markup, "html.parser")
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    lines = [" ".join(line.split()) for line in soup.get_text("\n").splitlines()]
    text = "\n".join(line for line in lines if line)
    return text, title


def read_document(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    relative = path.relative_to(root).as_posix()
    size = path.stat().st_size
    if size > max_bytes:
        raise IngestError(f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.1f} MB limit (--max-mb)")
    data = path.read_bytes()
    text, encoding = decode(data)
    title = ""
    if path.suffix.lower() in {".html", ".htm"}:
        text, title = html_to_text(text)
        if not text.strip():
            raise IngestError("HTML page has no visible text")
    warnings = []
    doc_lang, _ = language.detect(text)
    if doc_lang == language.UNDETERMINED:
        warnings.append("language could not be determined; stored as 'und'")
    sentences = segment(text, doc_lang)
    if not title:
        title = next((s.text for s in sentences), "")[:200]
    return Document(
        path=relative,
        source=str(path.resolve()),
        sha256=hashlib.sha256(data).hexdigest(),
        size=size,
        encoding=encoding,
        lang=doc_lang,
        title=title,
        text=text,
        sentences=sentences,
        warnings=warnings,
    )


def read_folder(folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Document | Skipped]:
    for path in find_files(folder):
        try:
            yield read_document(path, folder, max_bytes)
        except IngestError as error:
            yield Skipped(path.relative_to(folder).as_posix(), str(error))
        except OSError as error:
            yield Skipped(path.relative_to(folder).as_posix(), f"cannot read: {error.strerror or error}")


@dataclass(frozen=True)
class IngestResult:
    path: str
    status: str  # new | changed | unchanged | skipped
    lang: str = ""
    encoding: str = ""
    sentences: int = 0
    reason: str = ""
    doc_id: int | None = None


def ingest_folder(conn: sqlite3.Connection, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                  on_file: Callable[[str], None] | None = None) -> list[IngestResult]:
    """Read every supported file under ``folder`` into the workspace; unchanged files are not touched."""
    results = []
    for item in read_folder(folder, max_bytes):
        if isinstance(item, Skipped):
            results.append(IngestResult(item.path, "skipped", reason=item.reason))
        else:
            status = store.save_document(conn, item)
            results.append(IngestResult(item.path, status, item.lang, item.encoding, len(item.sentences),
                                        "; ".join(item.warnings), item.id))
        if on_file:
            on_file(item.path)
    return results
