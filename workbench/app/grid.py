"""The review grid of Compare, a Streamlit custom component (components v2: plain HTML/JS/CSS in
``static/``, no build step, rendered in the page itself rather than an iframe so that keys reach
it without a click).

``grid_rows`` shapes a pair's units for it; the grid sends back actions ``{id, page, op,
position, src_ids, tgt_ids, ...}`` as a list of every action Python has not acknowledged yet, so
a key pressed while the page reruns is never lost. None is applied twice: the session skips ids
it has acknowledged, and the workspace records each (page, id) it applied, for a page whose
acknowledgement never arrived.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from workbench import review, store
from workbench.app.common import RTL_LANGS, doc_label, flag_words, segments
from workbench.numbers import numbers
from workbench.records import StoredDocument
from workbench.review import PairReview, ReviewUnit
from workbench.visible import printable

STATIC = Path(__file__).parent / "static"
_component = st.components.v2.component(
    "workbench.review_grid",
    css=(STATIC / "grid.css").read_text(encoding="utf-8"),
    js=(STATIC / "grid.js").read_text(encoding="utf-8"),
)


def band(unit: ReviewUnit) -> str:
    """The confidence band: a gap is not a low-confidence pair, and a flag outranks a high score."""
    if not (unit.src_ids and unit.tgt_ids):
        return "gap"
    if unit.flags:
        return "flagged"
    return "high" if unit.score >= 0.7 else "mid" if unit.score >= 0.4 else "low"


MT_FLAG_WORDS = {"mt_low_similarity": "MT: meaning may differ", "mt_untranslated": "MT: not translated",
                 "mt_degenerate": "MT: garbled"}


def _side(doc: StoredDocument, ids: list[int], english: dict[int, tuple[str, str | None]],
          marked: set[float], mt_flags: dict[int, dict[str, str]]) -> dict | None:
    if not ids:
        return None
    text = " ".join(doc.sentences[i].text for i in ids)
    translated = [english[i] for i in ids if i in english]
    # the English's quality flags, each with its reasons (sentence numbers where a unit has several)
    reasons: dict[str, list[str]] = {}
    for i in ids:
        for name, reason in mt_flags.get(i, {}).items():
            reasons.setdefault(name, []).append(reason if len(ids) == 1 else f"#{i}: {reason}")
    side: dict = {"text": segments(text, marked), "english": None, "english_is_original": False,
                  "mt_flags": [{"words": MT_FLAG_WORDS.get(name, name), "reason": printable("; ".join(why))}
                               for name, why in reasons.items()]}
    if len(translated) == len(ids):
        side["english"] = segments(" ".join(en for en, _ in translated), marked)
        side["english_is_original"] = all(model is None for _, model in translated)
    return side


def _header(doc: StoredDocument, english: dict) -> dict:
    """A side's column header; ``translated``: whether any of its sentences has English yet."""
    return {"label": doc_label(doc), "lang": doc.lang, "dir": "rtl" if doc.lang in RTL_LANGS else "auto",
            "translated": bool(english)}


def grid_headers(src_doc: StoredDocument, tgt_doc: StoredDocument, src_en: dict, tgt_en: dict) -> dict:
    return {"left": _header(src_doc, src_en), "right": _header(tgt_doc, tgt_en)}


def grid_rows(pair: PairReview, shown: list[ReviewUnit], src_doc: StoredDocument, tgt_doc: StoredDocument,
              src_en: dict[int, tuple[str, str | None]], tgt_en: dict[int, tuple[str, str | None]],
              src_mt: dict[int, dict[str, str]], tgt_mt: dict[int, dict[str, str]]) -> list[dict]:
    """The grid's rows for the ``shown`` units of ``pair`` (all of them, or a filter's); ``src_mt``
    and ``tgt_mt`` are each side's English quality flags (store.translation_flags)."""
    above, acceptable = {}, 0  # how many pairs "accept all above" would take, at each position
    for unit in pair.units:
        above[unit.position] = acceptable
        acceptable += bool(not unit.reviewed and unit.src_ids and unit.tgt_ids and not unit.flags)
    rows = []
    for unit in shown:
        src_text = " ".join(src_doc.sentences[i].text for i in unit.src_ids)
        tgt_text = " ".join(tgt_doc.sentences[j].text for j in unit.tgt_ids)
        src_numbers, tgt_numbers = numbers(src_text), numbers(tgt_text)
        disagree = bool(unit.flags and unit.src_ids and unit.tgt_ids)
        rows.append({
            "position": unit.position, "src_ids": unit.src_ids, "tgt_ids": unit.tgt_ids,
            "score": unit.score, "band": band(unit), "gap": not (unit.src_ids and unit.tgt_ids),
            "shape": "left only" if not unit.tgt_ids else "right only" if not unit.src_ids else unit.kind,
            "flags": [flag_words(flag) for flag in unit.flags],
            "status": unit.status, "note": printable(unit.note), "reviewer": printable(unit.reviewer),
            "updated_at": unit.updated_at, "above": above[unit.position],
            "can_split": len(unit.src_ids) + len(unit.tgt_ids) > 1,
            "left": _side(src_doc, unit.src_ids, src_en, src_numbers - tgt_numbers if disagree else set(), src_mt),
            "right": _side(tgt_doc, unit.tgt_ids, tgt_en, tgt_numbers - src_numbers if disagree else set(), tgt_mt),
        })
    return rows


def review_grid(*, key: str, pair_id: str, rows: list[dict], headers: dict, last_position: int, start: int, enabled: bool, can_undo: bool, acked: int,
                error: dict | None, moved: dict | None, on_action: Callable[[], None]) -> None:
    """Mount the grid; ``on_action`` runs (before the page reruns) when it sends actions, which
    it then reads from ``st.session_state[key]["action"]``."""
    _component(key=key, on_action_change=on_action, data={
        "pair": pair_id, "rows": rows, "headers": headers,
        "last_position": last_position, "start": start, "enabled": enabled, "can_undo": can_undo,
        "acked": acked, "error": error, "moved": moved,
    })


RELINKS = ("merge", "split", "src-up", "src-down", "tgt-up", "tgt-down")


def apply_action(conn: sqlite3.Connection, pair: tuple[int, int], action: dict,
                 reviewer: str) -> tuple[str | None, int | None]:
    """Apply one grid action to the aligned ``pair`` (source, target ids). Returns a message for
    the analyst, if any, and where the cursor goes after a relink. An action whose row has changed
    since the key was pressed (a relink arrived first) is refused (ValueError), never applied to
    whatever unit has its position now. An action the workspace has applied already (its page
    and id recorded with it, in the same transaction) does nothing."""
    if not reviewer:
        raise ValueError("enter your name under Reviewer in the sidebar first: every decision records who made it")
    request = f"{action.get('page', '')}:{action['id']}"
    with store.transaction(conn):
        if store.request_applied(conn, *pair, request):
            return None, None
        outcome = _apply_action(conn, pair, action, reviewer)
        store.record_request(conn, *pair, request)
    return outcome


def _apply_action(conn: sqlite3.Connection, pair: tuple[int, int], action: dict,
                  reviewer: str) -> tuple[str | None, int | None]:
    current = review.aligned_pair(conn, *pair)
    op, position = action["op"], action["position"]
    if op == "undo":
        event = review.undo(conn, reviewer, *pair)
        return f"Undone: {event['action']} by {event['reviewer'] or 'no name'} at {event['at']}", None
    unit = current.units[position] if isinstance(position, int) and 0 <= position < len(current.units) else None
    if unit is None or (unit.src_ids, unit.tgt_ids) != (action.get("src_ids"), action.get("tgt_ids")):
        raise ValueError("this row changed before the action reached it (a relink came first): nothing was done")
    if op == "decide":
        review.decide(conn, pair[0], pair[1], unit, action["status"], reviewer=reviewer)
    elif op == "note":
        review.decide(conn, pair[0], pair[1], unit, note=str(action.get("note", "")), reviewer=reviewer)
    elif op == "above":
        count = review.accept_all_above(conn, current, position, reviewer=reviewer)
        return f"Accepted {count} pair(s) above #{position}; gaps and flagged units are left for you (Z undoes).", None
    elif op == "merge":
        review.merge_with_next(conn, current, position, reviewer=reviewer)
    elif op == "split":
        review.split(conn, current, position, reviewer=reviewer)
    elif op in RELINKS:
        side, direction = op.split("-")
        review.move_sentence(conn, current, position, side, -1 if direction == "up" else 1, reviewer=reviewer)
    else:
        raise ValueError(f"unknown action {op!r}")
    return None, position if op in RELINKS else None
