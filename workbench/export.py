"""Export aligned (and reviewed) units to CSV, JSONL and TMX 1.4, with the run signature.

JSONL and TMX keep the text exactly. XML 1.0 cannot hold some characters (most C0 controls,
U+FFFE, U+FFFF, surrogates): in a TMX segment each becomes ``<ph type="x-xml-char">U+0007</ph>``,
and ``segment_text`` reads it back. In CSV, a text cell starting with ``= + - @`` gets a leading
apostrophe so that a spreadsheet shows it instead of running it as a formula.
"""
from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Collection
from datetime import datetime, timezone

import pandas as pd

from . import __version__, store
from .compare import DocumentSide, document_side, unit_record
from .records import AlignedUnit
from .review import aligned_pair, aligned_pairs

FORMATS = ("csv", "jsonl", "tmx")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ILLEGAL_CHAR_TYPE = "x-xml-char"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


STATUSES = ("accepted", "rejected", "edited", "unreviewed")  # edited: relinked, not yet accepted


def export_rows(conn: sqlite3.Connection, reviewed_only: bool = False, statuses: Collection[str] | None = None,
                pairs: Collection[tuple[int, int]] | None = None,
                languages: Collection[str] | None = None) -> list[dict]:
    """Stored units as records (texts, spans, English, review), in document-pair order: every
    unit, or those with one of ``statuses`` (``reviewed_only``: accepted), of ``pairs`` (source,
    target ids), with either side in one of ``languages``."""
    if reviewed_only:
        statuses = ("accepted",)
    rows = []
    sides: dict[int, DocumentSide] = {}
    for src_id, tgt_id in aligned_pairs(conn):
        if pairs is not None and (src_id, tgt_id) not in pairs:
            continue
        pair = aligned_pair(conn, src_id, tgt_id)
        for doc_id in (src_id, tgt_id):
            if doc_id not in sides:
                doc = store.stored_document(conn, doc_id)  # every sentence: a unit may hold a boilerplate one
                sides[doc_id] = document_side(conn, doc, keep=range(len(doc.sentences)))
        src, tgt = sides[src_id], sides[tgt_id]
        position_src = {index: p for p, index in enumerate(src.indices)}
        position_tgt = {index: p for p, index in enumerate(tgt.indices)}
        if languages is not None and src.doc.lang not in languages and tgt.doc.lang not in languages:
            continue
        for unit in pair.units:
            if statuses is not None and (unit.status or "unreviewed") not in statuses:
                continue  # (relinks are "edited" proposals until accepted)
            aligned = AlignedUnit([position_src[i] for i in unit.src_ids], [position_tgt[j] for j in unit.tgt_ids],
                                  unit.score, unit.flags)
            record = unit_record(src, tgt, aligned)
            record.update(src_lang=src.doc.lang, tgt_lang=tgt.doc.lang, status=unit.status or "unreviewed",
                          note=unit.note, reviewer=unit.reviewer, reviewed_at=unit.updated_at,
                          mode=pair.mode, signature=pair.signature)
            rows.append(record)
    return rows


def translation_units(rows: list[dict]) -> int:
    """How many of ``rows`` TMX can hold: a <tu> needs both sides (a unit without a counterpart
    has nothing to pair; CSV and JSONL keep it)."""
    return sum(1 for row in rows if row["src_ids"] and row["tgt_ids"])


def render(rows: list[dict], fmt: str) -> bytes:
    """The rows in ``fmt`` (csv, jsonl or tmx), as UTF-8 bytes."""
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    if fmt == "csv":
        frame = pd.DataFrame([{k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else _cell(v)
                               for k, v in row.items()} for row in rows])
        return frame.to_csv(index=False).encode()
    if fmt == "tmx":
        # A parser turns a literal carriage return into a line feed; a character reference survives.
        return ET.tostring(tmx(rows), encoding="utf-8", xml_declaration=True).replace(b"\r", b"&#13;")
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def _cell(value):
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _set_segment(seg: ET.Element, text: str) -> None:
    """``text`` into ``seg``, characters XML 1.0 cannot hold as <ph> placeholders."""
    pieces = XML_ILLEGAL.split(text)
    seg.text = pieces[0]
    for match, tail in zip(XML_ILLEGAL.finditer(text), pieces[1:]):
        ph = ET.SubElement(seg, "ph", type=ILLEGAL_CHAR_TYPE)
        ph.text = f"U+{ord(match.group()):04X}"
        ph.tail = tail


def segment_text(seg: ET.Element) -> str:
    """The text of a TMX <seg> written by this module, placeholders turned back into characters."""
    parts = [seg.text or ""]
    for child in seg:
        if child.tag == "ph" and child.get("type") == ILLEGAL_CHAR_TYPE:
            parts.append(chr(int((child.text or "U+FFFD")[2:], 16)))
        parts.append(child.tail or "")
    return "".join(parts)


def _xml_safe(text: str) -> str:
    """Metadata (notes, names) with characters XML cannot hold shown as escapes."""
    return XML_ILLEGAL.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def tmx(rows: list[dict]) -> ET.Element:
    """TMX 1.4: one <tu> per unit with both sides; n:m units joined into one <seg> per side."""
    root = ET.Element("tmx", version="1.4")
    header = ET.SubElement(root, "header", {
        "creationtool": "workbench", "creationtoolversion": __version__, "segtype": "block",
        "o-tmf": "workbench-sqlite", "adminlang": "en", "srclang": "*all*", "datatype": "plaintext",
        "creationdate": datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")})
    signatures = {json.dumps(r["signature"], sort_keys=True) for r in rows}
    for signature in sorted(signatures):
        ET.SubElement(header, "prop", type="x-signature").text = signature
    body = ET.SubElement(root, "body")
    for row in rows:
        if not row["src_ids"] or not row["tgt_ids"]:
            continue  # an omission has nothing to pair
        tu = ET.SubElement(body, "tu")
        props = {"x-score": f"{row['score']:.4f}", "x-status": row["status"], "x-src-doc": row["src_doc"],
                 "x-tgt-doc": row["tgt_doc"], "x-src-ids": " ".join(map(str, row["src_ids"])),
                 "x-tgt-ids": " ".join(map(str, row["tgt_ids"])), "x-reviewer": row["reviewer"],
                 "x-time": row["reviewed_at"], "x-flags": " ".join(row["flags"])}
        for name, value in props.items():
            if value:
                ET.SubElement(tu, "prop", type=name).text = _xml_safe(value)
        if row["note"]:
            ET.SubElement(tu, "note").text = _xml_safe(row["note"])
        for lang, text in ((row["src_lang"], row["src_text"]), (row["tgt_lang"], row["tgt_text"])):
            tuv = ET.SubElement(tu, "tuv", {"xml:lang": lang})
            _set_segment(ET.SubElement(tuv, "seg"), text)
    return root
