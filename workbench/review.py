"""Analyst review of aligned units: decisions, notes and relinks, persisted as they are made.

Decisions are keyed by a unit's content (document pair + sentence ids), not by its position, so
they survive a re-alignment wherever the aligner produces the same unit again.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from . import store
from .anchors import anchors, number_flags

STATUSES = ("accepted", "rejected", "edited")


@dataclass
class ReviewUnit:
    position: int
    src_ids: list[int]
    tgt_ids: list[int]
    score: float
    flags: list[str]
    status: str = ""  # "" = not reviewed yet
    note: str = ""
    reviewer: str = ""
    updated_at: str = ""

    @property
    def kind(self) -> str:
        return f"{len(self.src_ids)}-{len(self.tgt_ids)}"


@dataclass
class PairReview:
    alignment_id: int
    src_doc: int
    tgt_doc: int
    mode: str
    signature: dict
    units: list[ReviewUnit] = field(default_factory=list)


def _key(src_ids: list[int], tgt_ids: list[int]) -> tuple[str, str]:
    return json.dumps(sorted(src_ids)), json.dumps(sorted(tgt_ids))


def load_pair(conn: sqlite3.Connection, src_doc: int, tgt_doc: int) -> PairReview | None:
    row = conn.execute("SELECT * FROM alignments WHERE src_doc = ? AND tgt_doc = ?", (src_doc, tgt_doc)).fetchone()
    if row is None:
        return None
    reviews = {(r["src_ids"], r["tgt_ids"]): r for r in conn.execute(
        "SELECT * FROM reviews WHERE src_doc = ? AND tgt_doc = ?", (src_doc, tgt_doc))}
    pair = PairReview(row["id"], src_doc, tgt_doc, row["mode"], json.loads(row["signature"]))
    for u in conn.execute("SELECT * FROM units WHERE alignment_id = ? ORDER BY position", (row["id"],)):
        src_ids, tgt_ids = json.loads(u["src_ids"]), json.loads(u["tgt_ids"])
        review = reviews.get(_key(src_ids, tgt_ids))
        unit = ReviewUnit(u["position"], src_ids, tgt_ids, u["score"], json.loads(u["flags"]))
        if review is not None:
            unit.status, unit.note = review["status"], review["note"]
            unit.reviewer, unit.updated_at = review["reviewer"], review["updated_at"]
        pair.units.append(unit)
    return pair


def aligned_pairs(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    return [(r[0], r[1]) for r in conn.execute("SELECT src_doc, tgt_doc FROM alignments ORDER BY id")]


def decide(conn: sqlite3.Connection, src_doc: int, tgt_doc: int, unit: ReviewUnit, status: str | None = None,
           note: str | None = None, reviewer: str = "") -> None:
    """Record a decision and/or a note on one unit, at once (one committed write)."""
    if status is not None and status not in STATUSES + ("",):
        raise ValueError(f"status must be one of {STATUSES}")
    src_key, tgt_key = _key(unit.src_ids, unit.tgt_ids)
    status = unit.status if status is None else status
    note = unit.note if note is None else note
    with store.transaction(conn):
        conn.execute(
            "INSERT INTO reviews VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (src_doc, tgt_doc, src_ids, tgt_ids) "
            "DO UPDATE SET status = excluded.status, note = excluded.note, reviewer = excluded.reviewer, "
            "updated_at = excluded.updated_at",
            (src_doc, tgt_doc, src_key, tgt_key, status, note, reviewer, store.now()))
    unit.status, unit.note, unit.reviewer = status, note, reviewer


def accept_all_above(conn: sqlite3.Connection, pair: PairReview, position: int, reviewer: str = "") -> int:
    """Accept every unreviewed unit before ``position``; returns how many."""
    todo = [u for u in pair.units if u.position < position and not u.status]
    for unit in todo:
        decide(conn, pair.src_doc, pair.tgt_doc, unit, "accepted", reviewer=reviewer)
    return len(todo)


def next_unreviewed(pair: PairReview, after: int = -1) -> ReviewUnit | None:
    return next((u for u in pair.units if u.position > after and not u.status), None)


# --- relinks -----------------------------------------------------------------------------

def _rewrite(conn: sqlite3.Connection, pair: PairReview, units: list[ReviewUnit], edited: list[ReviewUnit],
             texts: tuple[dict[int, str], dict[int, str]], reviewer: str) -> None:
    src_text, tgt_text = texts
    for unit in edited:
        a = anchors(" ".join(src_text[i] for i in unit.src_ids))
        b = anchors(" ".join(tgt_text[j] for j in unit.tgt_ids))
        unit.flags = number_flags(a, b) if unit.src_ids and unit.tgt_ids else []
    with store.transaction(conn):
        conn.execute("DELETE FROM units WHERE alignment_id = ?", (pair.alignment_id,))
        conn.executemany("INSERT INTO units VALUES (?,?,?,?,?,?)", [
            (pair.alignment_id, position, json.dumps(u.src_ids), json.dumps(u.tgt_ids), u.score, json.dumps(u.flags))
            for position, u in enumerate(units)])
    for unit in edited:
        decide(conn, pair.src_doc, pair.tgt_doc, unit, "edited", reviewer=reviewer)
    for position, unit in enumerate(units):
        unit.position = position
    pair.units = units


def _texts(conn: sqlite3.Connection, pair: PairReview) -> tuple[dict[int, str], dict[int, str]]:
    def of(doc: int) -> dict[int, str]:
        return dict(conn.execute("SELECT idx, text FROM sentences WHERE doc_id = ?", (doc,)).fetchall())
    return of(pair.src_doc), of(pair.tgt_doc)


def merge_with_next(conn: sqlite3.Connection, pair: PairReview, position: int, reviewer: str = "") -> None:
    """Join a unit and the one after it into one unit (e.g. a 1-1 and a 0-1 into a 1-2)."""
    if not 0 <= position < len(pair.units) - 1:
        raise ValueError("no next unit to merge with")
    a, b = pair.units[position], pair.units[position + 1]
    merged = ReviewUnit(position, sorted(a.src_ids + b.src_ids), sorted(a.tgt_ids + b.tgt_ids),
                        round(min(a.score, b.score), 4), [])
    units = pair.units[:position] + [merged] + pair.units[position + 2:]
    _rewrite(conn, pair, units, [merged], _texts(conn, pair), reviewer)


def split(conn: sqlite3.Connection, pair: PairReview, position: int, reviewer: str = "") -> None:
    """Break an n:m unit into 1-1 pairs in reading order; what is left over becomes omissions."""
    unit = pair.units[position]
    pieces = [ReviewUnit(position, [s], [t], unit.score, []) for s, t in zip(unit.src_ids, unit.tgt_ids)]
    k = len(pieces)
    pieces += [ReviewUnit(position, [s], [], unit.score, []) for s in unit.src_ids[k:]]
    pieces += [ReviewUnit(position, [], [t], unit.score, []) for t in unit.tgt_ids[k:]]
    if len(pieces) < 2:
        raise ValueError("a unit with one sentence per side cannot be split")
    units = pair.units[:position] + pieces + pair.units[position + 1:]
    _rewrite(conn, pair, units, pieces, _texts(conn, pair), reviewer)


def move_sentence(conn: sqlite3.Connection, pair: PairReview, position: int, side: str, direction: int,
                  reviewer: str = "") -> None:
    """Move the first (direction -1) or last (+1) sentence of one side into the neighbouring unit."""
    if side not in ("src", "tgt") or direction not in (-1, 1):
        raise ValueError("side is 'src' or 'tgt', direction -1 (up) or +1 (down)")
    neighbour_position = position + direction
    if not 0 <= neighbour_position < len(pair.units):
        raise ValueError("no neighbouring unit in that direction")
    unit, neighbour = pair.units[position], pair.units[neighbour_position]
    ids = getattr(unit, f"{side}_ids")
    if not ids:
        raise ValueError(f"the unit has no {side} sentence to move")
    moved = ids[0] if direction < 0 else ids[-1]
    setattr(unit, f"{side}_ids", [i for i in ids if i != moved])
    setattr(neighbour, f"{side}_ids", sorted(getattr(neighbour, f"{side}_ids") + [moved]))
    units = [u for u in pair.units if u.src_ids or u.tgt_ids]
    _rewrite(conn, pair, units, [u for u in (unit, neighbour) if u in units], _texts(conn, pair), reviewer)


def decisions_not_kept(conn: sqlite3.Connection, src_doc: int, tgt_doc: int) -> list[dict]:
    """Reviews on units that the current alignment no longer has (after a re-alignment)."""
    pair = load_pair(conn, src_doc, tgt_doc)
    present = {_key(u.src_ids, u.tgt_ids) for u in pair.units} if pair else set()
    rows = conn.execute("SELECT * FROM reviews WHERE src_doc = ? AND tgt_doc = ?", (src_doc, tgt_doc))
    return [dict(r) for r in rows if (r["src_ids"], r["tgt_ids"]) not in present and r["status"]]
