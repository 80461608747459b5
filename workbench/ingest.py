"""Read a folder of articles: decode any encoding, extract HTML text, detect language, segment.

Bad files never stop a folder: each becomes a ``Skipped`` with the reason.
"""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import charset_normalizer
from bs4 import BeautifulSoup
from langdetect.detector_factory import PROFILES_DIRECTORY

from . import language, store
from .records import Document, Skipped
from .segment import SegmentOptions, segment
from .visible import path_text

SUPPORTED_SUFFIXES = {".txt", ".md", ".html", ".htm"}
# Bitext and benchmark folders name plain text by its language ("europarl.de", "news.fr") or not at
# all (MAC-Dev's and Text+Berg's "zh/001", "de/005"): such files are articles too. The codes are
# those langdetect knows ("zh-cn" as ".zh").
LANGUAGE_SUFFIXES = frozenset("." + code.split("-")[0] for code in os.listdir(PROFILES_DIRECTORY))
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_MAX_JUNK_RATIO = 0.01  # decoded "text" with more junk characters than this is binary
_JUNK_CATEGORIES = {"Cc", "Cn", "Co", "Cs"}
_BOMS = {b"\xef\xbb\xbf": "utf_8", b"\xff\xfe": "utf_16", b"\xfe\xff": "utf_16"}


class IngestError(Exception):
    """A file that cannot be ingested; the message says why."""


def safe_upload_name(name: str) -> str | None:
    """A file name that cannot leave the folder it is written to, or None for unsupported types."""
    base = re.sub(r"[^\w.\-]+", "_", Path(name.replace("\\", "/")).name).lstrip(".")
    if not base or Path(base).suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    return base


def _hidden(path: Path, folder: Path) -> bool:
    """A hidden file, or one in a hidden folder (".DS_Store", ".git/HEAD")."""
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def is_article(path: Path, folder: Path) -> bool:
    """A supported suffix; or a language code as suffix, or none, for a visible file (not a folder,
    nor a link to one)."""
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return True
    return (suffix in LANGUAGE_SUFFIXES or not suffix) and not _hidden(path, folder) and not path.is_dir()


def find_files(folder: Path) -> list[Path]:
    """Files under ``folder`` whose names say they are articles (is_article), symbolic links
    and special files included (read_folder reports those it will not read). Linked folders are not
    entered."""
    return sorted(p for p in folder.rglob("*") if is_article(p, folder) and (p.is_symlink() or not p.is_dir()))


def passed_over(folder: Path) -> list[Path]:
    """The other visible files under ``folder``, which ingest does not read (images, PDFs)."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not p.is_symlink() and not is_article(p, folder) and not _hidden(p, folder))


def _refuse_unreadable(path: Path, root: Path) -> None:
    """Links that leave the folder, broken links and special files are not read."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise IngestError("broken symbolic link (missing target or a loop)") from None
        if not target.is_relative_to(root.resolve()):
            raise IngestError(f"symbolic link to {path_text(target)}, outside the folder: not followed")
    if not path.is_file():
        raise IngestError("not a regular file (a pipe, socket or device)")


@dataclass(frozen=True)
class Decoded:
    text: str  # BOM removed, line ends "\n" (as Python's open() reads a text file)
    encoding: str
    warnings: tuple[str, ...] = ()


def decode(data: bytes) -> Decoded:
    """The text of a file in any encoding, or IngestError for empty and binary files."""
    if not data.strip():
        raise IngestError("empty file")
    decoded = _decode(data)
    if not decoded.text.strip():
        raise IngestError("empty file (only whitespace)")
    # "\r\n" and "\r" read as "\n", as open() reads text: a span then indexes the text a user or
    # a benchmark's scorer gets from open(path).read() (with a CRLF file, spans into the raw text
    # drifted by one character a line)
    return replace(decoded, text=decoded.text.replace("\r\n", "\n").replace("\r", "\n"))


def _decode(data: bytes) -> Decoded:
    for bom, encoding in _BOMS.items():
        if data.startswith(bom):
            try:
                text = data.decode(encoding).lstrip("\ufeff")
                return Decoded(text, encoding if bom != b"\xef\xbb\xbf" else "utf_8_sig")
            except UnicodeDecodeError:
                break
    try:
        return Decoded(data.decode("utf-8"), "utf_8")
    except UnicodeDecodeError as error:
        damaged = _damaged_utf8(data, error.start)
        if damaged:
            return damaged
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise IngestError("binary file (contains NUL bytes)")
        return utf16
    # charset-normalizer judges a few chunks of the file (5 of 512 bytes), and one chunk of a Chinese
    # novel's dialogue read as GB18030 can pass its chaos threshold: MAC-Dev's chapter 002 in GB18030
    # or GBK had no match. Judged on up to 100 chunks at a threshold of 0.3 it is read right; the
    # control-character test below still turns away binary data.
    best = (charset_normalizer.from_bytes(data).best()
            or charset_normalizer.from_bytes(data, steps=min(max(len(data) // 512, 5), 100), threshold=0.3).best())
    if best is None:
        raise IngestError("encoding could not be determined")
    text = str(best).lstrip("\ufeff")
    if _junk_ratio(text) > _MAX_JUNK_RATIO:
        raise IngestError("binary file (control characters)")
    return Decoded(text, best.encoding)


def _damaged_utf8(data: bytes, first_error: int) -> Decoded | None:
    """UTF-8 with a few invalid byte sequences (a bad copy, a cut multi-byte character).

    When valid multi-byte characters far outnumber the invalid sequences the file is UTF-8:
    the bad bytes become U+FFFD and the document says so. Otherwise (a legacy code page read
    as UTF-8 fails at every accented letter) it is left to charset-normalizer.
    """
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    valid_multibyte = sum(1 for ch in text if ord(ch) > 127) - invalid
    if valid_multibyte < 10 * invalid:
        return None
    return Decoded(text.lstrip("\ufeff"), "utf_8", (
        f"{invalid} invalid UTF-8 byte sequence(s) replaced by U+FFFD, the first at byte {first_error}",))


def _utf16_without_bom(data: bytes) -> Decoded | None:
    """UTF-16 text without a byte-order mark, or None when the bytes are not text.

    The byte order that gives real line breaks and spaces wins (the other turns them into
    unassigned code points); the text must be almost all assigned, printable characters.
    """
    candidates = []
    for encoding in ("utf_16_le", "utf_16_be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _junk_ratio(text) <= _MAX_JUNK_RATIO:
            candidates.append((text.count("\n") + text.count(" "), encoding, text))
    if not candidates:
        return None
    _, encoding, text = max(candidates)
    return Decoded(text, encoding)


def _junk_ratio(text: str) -> float:
    """Share of control, unassigned, private-use and surrogate characters: high for binary data."""
    junk = sum(1 for ch in text if unicodedata.category(ch) in _JUNK_CATEGORIES and ch not in "\t\n\r\f")
    return junk / max(len(text), 1)


def html_to_text(markup: str) -> tuple[str, str]:
    """Visible text (one block per line, no scripts or styles) and the page title."""
    soup = BeautifulSoup(markup, "html.parser")
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    # Nothing that a browser would run or embed is text: scripts, frames, plug-ins, drawings.
    for tag in soup(["script", "style", "noscript", "template", "head", "iframe", "frame", "object", "embed",
                     "applet", "svg", "math", "canvas"]):
        tag.decompose()
    lines = [" ".join(line.split()) for line in soup.get_text("\n").splitlines()]
    text = "\n".join(line for line in lines if line)
    return text, title


def read_document(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                  options: SegmentOptions = SegmentOptions()) -> Document:
    """One file as a document; its label is its path under ``root``."""
    _refuse_unreadable(path, root)
    size = path.stat().st_size
    if size > max_bytes:
        raise IngestError(f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.1f} MB limit (--max-mb)")
    data = path.read_bytes()
    decoded = decode(data)
    text, encoding = decoded.text, decoded.encoding
    title = ""
    if path.suffix.lower() in {".html", ".htm"}:
        text, title = html_to_text(text)
        if not text.strip():
            raise IngestError("HTML page has no visible text")
    warnings = list(decoded.warnings)
    doc_lang, _ = language.detect(text)
    if doc_lang == language.UNDETERMINED:
        warnings.append("language could not be determined; stored as 'und'")
    sentences = segment(text, doc_lang, options)
    if not title:
        title = next((s.text for s in sentences), "")[:200]
    return Document(
        path=path_text(path.relative_to(root).as_posix()),
        source=path_text(os.path.abspath(path)),  # as named: a link is a document of its own
        sha256=hashlib.sha256(data).hexdigest(),
        size=size,
        encoding=encoding,
        lang=doc_lang,
        title=title,
        text=text,
        sentences=sentences,
        warnings=warnings,
    )


def read_folder(folder: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                options: SegmentOptions = SegmentOptions()) -> Iterator[Document | Skipped]:
    for path in find_files(folder):
        try:
            yield read_document(path, folder, max_bytes, options)
        except IngestError as error:
            yield Skipped(path_text(path.relative_to(folder).as_posix()), str(error))
        except OSError as error:
            yield Skipped(path_text(path.relative_to(folder).as_posix()), f"cannot read: {error.strerror or error}")


@dataclass(frozen=True)
class IngestResult:
    path: str
    status: str  # new | changed | unchanged | skipped
    lang: str = ""
    encoding: str = ""
    sentences: int = 0
    reason: str = ""
    doc_id: int | None = None
    # sentences in languages other than the document's, most first: ("en", 19) for the English
    # tweets a Bulgarian article quotes
    other_languages: tuple[tuple[str, int], ...] = ()


def ingest_folder(conn: sqlite3.Connection, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES,
                  on_file: Callable[[str], None] | None = None,
                  options: SegmentOptions = SegmentOptions()) -> list[IngestResult]:
    """Read every supported file under ``folder`` into the workspace; unchanged files are not touched."""
    results = []
    for item in read_folder(folder, max_bytes, options):
        if isinstance(item, Skipped):
            results.append(IngestResult(item.path, "skipped", reason=item.reason))
        else:
            status, stored = store.save_document(conn, item)
            others = Counter(s.lang for s in item.sentences if s.lang != item.lang and not s.boilerplate)
            results.append(IngestResult(stored.path, status, item.lang, item.encoding, len(item.sentences),
                                        "; ".join(item.warnings), stored.id, tuple(others.most_common())))
        if on_file:
            on_file(item.path)
    return results
