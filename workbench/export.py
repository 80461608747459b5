"""Export aligned (and reviewed) units to CSV, JSONL and TMX 1.4, with the run signature."""
from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pandas as pd

from . import __version__, store
from .compare import DocumentSide, document_side, unit_record
from .records import AlignedUnit
from .review import aligned_pairs, load_pair

FORMATS = ("csv", "jsonl", "tmx")


def export_rows(conn: sqlite3.Connection, reviewed_only: bool = False) -> list[dict]:
    """Every stored unit as a record (texts, spans, English, review), in document-pair order."""
    rows = []
    sides: dict[int, DocumentSide] = {}
    for src_id, tgt_id in aligned_pairs(conn):
        pair = load_pair(conn, src_id, tgt_id)
        for doc_id in (src_id, tgt_id):
            if doc_id not in sides:
                sides[doc_id] = document_side(conn, store.document(conn, doc_id))
        src, tgt = sides[src_id], sides[tgt_id]
        position_src = {index: p for p, index in enumerate(src.indices)}
        position_tgt = {index: p for p, index in enumerate(tgt.indices)}
        for unit in pair.units:
            if reviewed_only and unit.status not in ("accepted", "edited"):
                continue
            aligned = AlignedUnit([position_src[i] for i in unit.src_ids], [position_tgt[j] for j in unit.tgt_ids],
                                  unit.score, unit.flags)
            record = unit_record(src, tgt, aligned)
            record.update(src_lang=src.doc.lang, tgt_lang=tgt.doc.lang, status=unit.status or "unreviewed",
                          note=unit.note, reviewer=unit.reviewer, reviewed_at=unit.updated_at,
                          mode=pair.mode, signature=pair.signature)
            rows.append(record)
    return rows


def render(rows: list[dict], fmt: str) -> bytes:
    """The rows in ``fmt`` (csv, jsonl or tmx), as UTF-8 bytes."""
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    if fmt == "csv":
        frame = pd.DataFrame([{k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                               for k, v in row.items()} for row in rows])
        return frame.to_csv(index=False).encode()
    if fmt == "tmx":
        return ET.tostring(tmx(rows), encoding="utf-8", xml_declaration=True)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


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
                ET.SubElement(tu, "prop", type=name).text = value
        if row["note"]:
            ET.SubElement(tu, "note").text = row["note"]
        for lang, text in ((row["src_lang"], row["src_text"]), (row["tgt_lang"], row["tgt_text"])):
            tuv = ET.SubElement(tu, "tuv", {"xml:lang": lang})
            ET.SubElement(tuv, "seg").text = text
    return root
