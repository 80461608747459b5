"""Analyst review of aligned units: decisions, notes and relinks, persisted as they are made.

A decision names its sentences by content (``store.sentence_keys``: a hash of the text and its
occurrence number), never by position: when a file changes it follows its sentences wherever they
still are, and where a sentence it names is gone or changed it is *orphaned* (kept, listed with
the texts it was made on, never shown on other text).

Relinks (merge, split, move) are proposals: their units are ``edited``, still unreviewed, until
someone accepts them. Every decision, note and relink is an event in the review log (who, when,
before and after), and the last one can be undone.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from . import store
from .anchors import unit_flags

STATUSES = ("accepted", "rejected", "edited")  # edited: relinked by an analyst, a proposal until accepted
DECIDED = ("accepted", "rejected")


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

    @property
    def reviewed(self) -> bool:
        """Accepted or rejected; a relinked (edited) unit still waits for a decision."""
        return self.status in DECIDED


@dataclass
class DocumentKeys:
    """A stored document's sentences by position: their content keys and texts."""
    keys: dict[int, str]
    texts: dict[int, str]

    @classmethod
    def load(cls, conn: sqlite3.Connection, doc_id: int) -> DocumentKeys:
        rows = store.sentence_texts(conn, doc_id)
        return cls(dict(zip([i for i, _ in rows], store.sentence_keys([t for _, t in rows]))), dict(rows))


@dataclass
class PairReview:
    alignment_id: int
    src_doc: int
    tgt_doc: int
    mode: str
    signature: dict
    src: DocumentKeys
    tgt: DocumentKeys
    units: list[ReviewUnit] = field(default_factory=list)

    def key(self, src_ids: list[int], tgt_ids: list[int]) -> tuple[str, str]:
        """The content key of a unit: its sentences' keys, in reading order, on each side."""
        return (json.dumps([self.src.keys[i] for i in sorted(src_ids)]),
                json.dumps([self.tgt.keys[j] for j in sorted(tgt_ids)]))


def load_pair(conn: sqlite3.Connection, src_doc: int, tgt_doc: int) -> PairReview | None:
    stored = store.alignment(conn, src_doc, tgt_doc)
    if stored is None:
        return None
    pair = PairReview(stored["id"], src_doc, tgt_doc, stored["mode"], stored["signature"],
                      DocumentKeys.load(conn, src_doc), DocumentKeys.load(conn, tgt_doc))
    decisions = {(r["src_keys"], r["tgt_keys"]): r for r in store.decisions(conn, src_doc, tgt_doc)}
    for u in stored["units"]:
        unit = ReviewUnit(u["position"], u["src_ids"], u["tgt_ids"], u["score"], u["flags"])
        decision = decisions.get(pair.key(unit.src_ids, unit.tgt_ids))
        if decision is not None:
            unit.status, unit.note = decision["status"], decision["note"]
            unit.reviewer, unit.updated_at = decision["reviewer"], decision["updated_at"]
        pair.units.append(unit)
    return pair


aligned_pairs = store.aligned_pairs


def unit_of(conn: sqlite3.Connection, doc_id: int, index: int,
            other_id: int | None = None) -> tuple[int, int, int] | None:
    """Where sentence ``index`` of a document is reviewed: (source, target, unit position) in its
    aligned pair with ``other_id``, or in the first aligned pair that holds it; None if none."""
    for src, tgt in aligned_pairs(conn, involving=doc_id):
        if other_id is not None and other_id not in (src, tgt):
            continue
        stored = store.alignment(conn, src, tgt)
        side = "src_ids" if src == doc_id else "tgt_ids"
        for unit in stored["units"] if stored else []:
            if index in unit[side]:
                return src, tgt, unit["position"]
    return None


def compare_link(conn: sqlite3.Connection, doc_id: int, index: int, other_id: int | None = None) -> str | None:
    """The Compare page's address with the cursor on the unit that holds the sentence."""
    where = unit_of(conn, doc_id, index, other_id)
    return None if where is None else f"compare?src={where[0]}&tgt={where[1]}&unit={where[2]}"


# --- decisions and the log -----------------------------------------------------------------

def _decision(pair: PairReview, unit: ReviewUnit, status: str, note: str, reviewer: str) -> dict:
    src_keys, tgt_keys = pair.key(unit.src_ids, unit.tgt_ids)
    return {"src_doc": pair.src_doc, "tgt_doc": pair.tgt_doc, "src_keys": src_keys, "tgt_keys": tgt_keys,
            "src_texts": json.dumps([pair.src.texts[i] for i in sorted(unit.src_ids)], ensure_ascii=False),
            "tgt_texts": json.dumps([pair.tgt.texts[j] for j in sorted(unit.tgt_ids)], ensure_ascii=False),
            "status": status, "note": note, "reviewer": reviewer, "updated_at": store.now()}


def _apply(conn: sqlite3.Connection, pair: PairReview, action: str, reviewer: str,
           changes: list[tuple[ReviewUnit, dict | None]], units: list[ReviewUnit] | None = None) -> None:
    """One logged, atomic review action: decisions written (a row, or None to remove one) and,
    for a relink, the pair's new units."""
    before: dict = {"decisions": {}}
    after: dict = {"decisions": {}}
    with store.transaction(conn):
        if units is not None:
            before.update(alignment_id=pair.alignment_id, units=[_unit_row(u) for u in pair.units])
            after.update(alignment_id=pair.alignment_id, units=[_unit_row(u) for u in units])
            store.write_units(conn, pair.alignment_id, after["units"])
        for unit, row in changes:
            key = pair.key(unit.src_ids, unit.tgt_ids)
            name = json.dumps(key)
            before["decisions"].setdefault(name, store.decision(conn, pair.src_doc, pair.tgt_doc, key))
            store.write_decision(conn, pair.src_doc, pair.tgt_doc, key, row)
            after["decisions"][name] = row
        store.append_review_event(conn, pair.src_doc, pair.tgt_doc, action, reviewer, before, after)


def _unit_row(unit: ReviewUnit) -> dict:
    return {"src_ids": unit.src_ids, "tgt_ids": unit.tgt_ids, "score": unit.score, "flags": unit.flags}


def decide(conn: sqlite3.Connection, src_doc: int, tgt_doc: int, unit: ReviewUnit, status: str | None = None,
           note: str | None = None, reviewer: str = "") -> None:
    """Record a decision ("" sets the unit back to unreviewed) and/or a note on one unit, at once
    (one committed, logged write)."""
    if status is not None and status not in STATUSES + ("",):
        raise ValueError(f"status must be one of {', '.join(STATUSES)} or '' (unreviewed)")
    pair = aligned_pair(conn, src_doc, tgt_doc)
    status = unit.status if status is None else status
    note = unit.note if note is None else note
    action = "note" if status == unit.status else (status or "reset")
    row = _decision(pair, unit, status, note, reviewer) if status or note else None
    _apply(conn, pair, action, reviewer, [(unit, row)])
    unit.status, unit.note, unit.reviewer = status, note, reviewer


def aligned_pair(conn: sqlite3.Connection, src_doc: int, tgt_doc: int) -> PairReview:
    """The review of a pair known to be aligned (ValueError if it is not)."""
    pair = load_pair(conn, src_doc, tgt_doc)
    if pair is None:
        raise ValueError("these two documents are not aligned")
    return pair


def accept_all_above(conn: sqlite3.Connection, pair: PairReview, position: int, reviewer: str = "") -> int:
    """Accept the unreviewed pairs before ``position`` that carry no flag (one logged action);
    units without a counterpart and flagged ones are left for a look. Returns how many."""
    todo = [u for u in pair.units if u.position < position and not u.reviewed and u.src_ids and u.tgt_ids
            and not u.flags]
    if todo:
        _apply(conn, pair, "accept-above", reviewer,
               [(u, _decision(pair, u, "accepted", u.note, reviewer)) for u in todo])
    for unit in todo:
        unit.status, unit.reviewer = "accepted", reviewer
    return len(todo)


def accept_where(conn: sqlite3.Connection, pair: PairReview, min_confidence: float, unflagged: bool,
                 reviewer: str = "") -> int:
    """Bulk review: accept the unreviewed linked units at or above a confidence (and without flags)."""
    todo = [u for u in pair.units if not u.reviewed and u.src_ids and u.tgt_ids and u.score >= min_confidence
            and not (unflagged and u.flags)]
    if todo:
        _apply(conn, pair, "accept-bulk", reviewer,
               [(u, _decision(pair, u, "accepted", u.note, reviewer)) for u in todo])
    return len(todo)


def next_unreviewed(pair: PairReview, after: int = -1) -> ReviewUnit | None:
    return next((u for u in pair.units if u.position > after and not u.reviewed), None)


def undo(conn: sqlite3.Connection, reviewer: str = "", src_doc: int | None = None,
         tgt_doc: int | None = None) -> dict:
    """Undo the last review action not undone yet (of one pair, if given); returns its log row."""
    events = store.review_events(conn, src_doc, tgt_doc, undoable=True, newest_first=True, limit=1)
    if not events:
        raise ValueError("nothing to undo")
    event = events[0]
    pair = aligned_pair(conn, event["src_doc"], event["tgt_doc"])
    before = event["before"]
    if "units" in before and before["alignment_id"] != pair.alignment_id:
        raise ValueError(f"the {event['action']} of {event['at']} cannot be undone: the pair has been aligned "
                         "again since")
    with store.transaction(conn):
        if "units" in before:
            store.write_units(conn, pair.alignment_id, before["units"])
        for name, row in before["decisions"].items():
            src_keys, tgt_keys = json.loads(name)
            store.write_decision(conn, pair.src_doc, pair.tgt_doc, (src_keys, tgt_keys), row)
        store.mark_undone(conn, event["id"])
        store.append_review_event(conn, pair.src_doc, pair.tgt_doc, "undo", reviewer, {},
                                  {"event": event["id"], "action": event["action"]})
    return event


def log(conn: sqlite3.Connection) -> list[dict]:
    """The review log, oldest first: the audit trail of a review."""
    return store.review_events(conn)


# --- relinks -----------------------------------------------------------------------------

def _relink(conn: sqlite3.Connection, pair: PairReview, action: str, units: list[ReviewUnit],
            edited: list[ReviewUnit], reviewer: str) -> None:
    for unit in edited:
        unit.flags = unit_flags([pair.src.texts[i] for i in unit.src_ids], [pair.tgt.texts[j] for j in unit.tgt_ids])
    _apply(conn, pair, action, reviewer,
           [(u, _decision(pair, u, "edited", u.note, reviewer)) for u in edited], units)
    for position, unit in enumerate(units):
        unit.position = position
    for unit in edited:
        unit.status, unit.reviewer = "edited", reviewer
    pair.units = units


def merge_with_next(conn: sqlite3.Connection, pair: PairReview, position: int, reviewer: str = "") -> None:
    """Join a unit and the one after it into one unit (e.g. a 1-1 and a 0-1 into a 1-2)."""
    if not 0 <= position < len(pair.units) - 1:
        raise ValueError("no next unit to merge with")
    a, b = pair.units[position], pair.units[position + 1]
    merged = ReviewUnit(position, sorted(a.src_ids + b.src_ids), sorted(a.tgt_ids + b.tgt_ids),
                        round(min(a.score, b.score), 4), [])
    _relink(conn, pair, "merge", pair.units[:position] + [merged] + pair.units[position + 2:], [merged], reviewer)


def split(conn: sqlite3.Connection, pair: PairReview, position: int, reviewer: str = "") -> None:
    """Undo a merge: a unit made by merging two units becomes those two again, with their own
    decisions. Any other unit of several sentences becomes one unit per sentence, each without a
    counterpart: a split never invents a link (merge or move sentences to pair them)."""
    unit = pair.units[position]
    merged_from = _merged_from(conn, pair, unit)
    if merged_from is not None:
        pieces = [ReviewUnit(position, r["src_ids"], r["tgt_ids"], r["score"], r["flags"]) for r in merged_from]
        units = pair.units[:position] + pieces + pair.units[position + 1:]
        _apply(conn, pair, "split", reviewer, [(unit, None)], units)
        restored = aligned_pair(conn, pair.src_doc, pair.tgt_doc)
        pair.units = restored.units
        return
    if len(unit.src_ids) + len(unit.tgt_ids) < 2:
        raise ValueError("a unit of one sentence cannot be split")
    pieces = ([ReviewUnit(position, [s], [], unit.score, []) for s in unit.src_ids]
              + [ReviewUnit(position, [], [t], unit.score, []) for t in unit.tgt_ids])
    _relink(conn, pair, "split", pair.units[:position] + pieces + pair.units[position + 1:], pieces, reviewer)


def _merged_from(conn: sqlite3.Connection, pair: PairReview, unit: ReviewUnit) -> list[dict] | None:
    """The two units a merge (still in effect, on this alignment) made ``unit`` from."""
    for event in store.review_events(conn, pair.src_doc, pair.tgt_doc, "merge", undoable=True, newest_first=True):
        before, after = event["before"], event["after"]
        if before["alignment_id"] != pair.alignment_id:
            continue
        made = [r for r in after["units"] if r not in before["units"]]
        if [(r["src_ids"], r["tgt_ids"]) for r in made] == [(unit.src_ids, unit.tgt_ids)]:
            return [r for r in before["units"] if r not in after["units"]]
    return None


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
    changed = [ReviewUnit(u.position, list(u.src_ids), list(u.tgt_ids), u.score, u.flags) for u in (unit, neighbour)]
    setattr(changed[0], f"{side}_ids", [i for i in ids if i != moved])
    setattr(changed[1], f"{side}_ids", sorted(getattr(neighbour, f"{side}_ids") + [moved]))
    replaced = {unit.position: changed[0], neighbour.position: changed[1]}
    units = [replaced.get(u.position, u) for u in pair.units]
    units = [u for u in units if u.src_ids or u.tgt_ids]
    _relink(conn, pair, "move", units, [u for u in changed if u in units], reviewer)


# --- decisions the current alignment does not show ------------------------------------------

def hidden_decisions(conn: sqlite3.Connection, pair: PairReview) -> tuple[list[dict], list[dict]]:
    """A pair's decisions that no unit shows: orphaned ones (a sentence they name is gone or
    changed) and ones on sentences still there, in units the current alignment no longer has."""
    present = {pair.key(u.src_ids, u.tgt_ids) for u in pair.units}
    src_keys, tgt_keys = set(pair.src.keys.values()), set(pair.tgt.keys.values())
    gone, not_kept = [], []
    for row in store.decisions(conn, pair.src_doc, pair.tgt_doc):
        if not (set(json.loads(row["src_keys"])) <= src_keys and set(json.loads(row["tgt_keys"])) <= tgt_keys):
            gone.append(_shown(row))
        elif row["status"] and (row["src_keys"], row["tgt_keys"]) not in present:
            not_kept.append(_shown(row))
    return gone, not_kept


def decisions_not_kept(conn: sqlite3.Connection, src_doc: int, tgt_doc: int) -> list[dict]:
    """Decisions on sentences the documents still hold, in units the current alignment no longer has
    (after a re-alignment). Orphaned decisions (sentences gone) are listed by ``orphaned``."""
    pair = load_pair(conn, src_doc, tgt_doc)
    return hidden_decisions(conn, pair)[1] if pair else []


def orphaned(conn: sqlite3.Connection) -> list[dict]:
    """Decisions naming a sentence that is no longer in its document (changed or deleted): kept,
    with the texts they were made on, and never shown on other text."""
    found = []
    keys: dict[int, set[str]] = {}
    paths = store.document_labels(conn)
    for row in store.decisions(conn):
        for doc in (row["src_doc"], row["tgt_doc"]):
            if doc not in keys:
                keys[doc] = set(DocumentKeys.load(conn, doc).keys.values())
        if not (set(json.loads(row["src_keys"])) <= keys[row["src_doc"]]
                and set(json.loads(row["tgt_keys"])) <= keys[row["tgt_doc"]]):
            found.append({**_shown(row), "src_path": paths.get(row["src_doc"]), "tgt_path": paths.get(row["tgt_doc"])})
    return found


def _shown(row: dict) -> dict:
    return {"src_doc": row["src_doc"], "tgt_doc": row["tgt_doc"], "src_texts": json.loads(row["src_texts"]),
            "tgt_texts": json.loads(row["tgt_texts"]), "status": row["status"], "note": row["note"],
            "reviewer": row["reviewer"], "updated_at": row["updated_at"]}
