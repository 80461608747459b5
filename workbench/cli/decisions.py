"""`review`: analysts' decisions from the command line, for scripting and bulk work."""
from __future__ import annotations

import argparse
import getpass
import os

from rich.table import Table

from .. import review, store
from .common import EXIT_OK, AddCommand, UsageError, console, out, print_json, shown, write_jsonl

REVIEWER_HELP = "who decides (default: $WORKBENCH_REVIEWER, else your login name); stored with every decision"


def reviewer_of(args) -> str:
    name = args.reviewer or os.environ.get("WORKBENCH_REVIEWER") or getpass.getuser()
    if not name.strip():
        raise UsageError("no reviewer name: pass --reviewer NAME or set WORKBENCH_REVIEWER")
    return name.strip()


def _pair(conn, args) -> review.PairReview:
    docs = []
    for ref in (args.src, args.tgt):
        doc = store.document(conn, ref)
        if doc is None:
            raise UsageError(f"no document {ref!r} in the workspace (see `python -m workbench documents`)")
        docs.append(doc)
    pair = review.load_pair(conn, docs[0].id, docs[1].id) or review.load_pair(conn, docs[1].id, docs[0].id)
    if pair is None:
        raise UsageError(f"{args.src} and {args.tgt} are not aligned: run `python -m workbench align "
                         f"{args.src} {args.tgt}` first")
    return pair


def cmd_list(args) -> int:
    conn = store.connect(args.workspace)
    pair = _pair(conn, args)
    rows: list[dict] = [{"unit": u.position, "kind": u.kind, "src_ids": u.src_ids, "tgt_ids": u.tgt_ids,
             "src_text": " ".join(pair.src.texts[i] for i in u.src_ids),
             "tgt_text": " ".join(pair.tgt.texts[j] for j in u.tgt_ids),
             "confidence": u.score, "flags": u.flags, "status": u.status or "unreviewed",
             "reviewer": u.reviewer, "note": u.note} for u in pair.units]
    if args.json:
        print_json(rows)
        return EXIT_OK
    table = Table(title=f"{len(rows)} units, {sum(u.reviewed for u in pair.units)} reviewed")
    for column in ("unit", "kind", "source", "target", "conf.", "flags", "status", "reviewer", "note"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["unit"]), r["kind"], shown(r["src_text"][:60]), shown(r["tgt_text"][:60]),
                      f"{r['confidence']:.2f}", ", ".join(r["flags"]), r["status"], shown(r["reviewer"]),
                      shown(r["note"]))
    out.print(table)
    return EXIT_OK


def cmd_decide(args) -> int:
    conn = store.connect(args.workspace)
    pair = _pair(conn, args)
    reviewer = reviewer_of(args)
    status = {"accept": "accepted", "reject": "rejected", "reset": ""}[args.action]
    if args.min_confidence is not None or args.unflagged:
        if args.action != "accept" or args.units:
            raise UsageError("--min-confidence and --unflagged select units for `review accept` without UNIT ids")
        count = review.accept_where(conn, pair, args.min_confidence or 0.0, args.unflagged, reviewer)
        console.print(f"accepted {count} unit(s)")
        return EXIT_OK
    if not args.units:
        raise UsageError("give the UNIT ids to decide (see `review list`), or --min-confidence for accept")
    by_position = {u.position: u for u in pair.units}
    missing = [n for n in args.units if n not in by_position]
    if missing:
        raise UsageError(f"no unit {', '.join(map(str, missing))} in this pair (units 0-{len(pair.units) - 1})")
    for number in args.units:
        review.decide(conn, pair.src_doc, pair.tgt_doc, by_position[number], status, args.note, reviewer)
    console.print(f"{args.action}: {len(args.units)} unit(s) by {shown(reviewer)}")
    return EXIT_OK


def cmd_undo(args) -> int:
    conn = store.connect(args.workspace)
    try:
        event = review.undo(conn, reviewer_of(args))
    except ValueError as error:
        raise UsageError(str(error)) from None
    console.print(f"undone: {event['action']} by {shown(event['reviewer'])} at {event['at']}")
    return EXIT_OK


def cmd_orphaned(args) -> int:
    conn = store.connect(args.workspace)
    rows = review.orphaned(conn)
    if args.json:
        print_json(rows)
        return EXIT_OK
    for r in rows:
        out.print(f"{r['status'] or 'note'} by {shown(r['reviewer'])} ({r['updated_at']}): "
                  f"{shown(r['src_path'])} {shown(' '.join(r['src_texts']))!r} <-> {shown(r['tgt_path'])} "
                  f"{shown(' '.join(r['tgt_texts']))!r}" + (f" note: {shown(r['note'])}" if r["note"] else ""),
                  soft_wrap=True)
    console.print(f"{len(rows)} orphaned decision(s): made on sentences that have since changed or gone")
    return EXIT_OK


def cmd_log(args) -> int:
    write_jsonl(args.out, review.log(store.connect(args.workspace)))
    return EXIT_OK


def cmd_review(args) -> int:
    raise UsageError("give an action: list, accept, reject, reset, undo, orphaned or log (see --help)")


def register(add: AddCommand, sub, common: argparse.ArgumentParser) -> None:
    """Add the `review` command and its subcommands to the parser."""
    p = add("review", cmd_review, "list, decide, undo and audit review decisions",
            "Analysts' decisions from the command line. UNIT is the unit number shown by `review list`.\n"
            "Decisions name their sentences by content: they follow them when files change, and become\n"
            "orphaned (kept, listed by `review orphaned`) when a sentence they name is changed or gone.\n\n"
            "example: python -m workbench review accept ja-rebels-enter-damascus.txt "
            "fr-rebelles-damas-statue.txt --min-confidence 0.9 --unflagged")
    actions = p.add_subparsers(dest="review_command", metavar="ACTION")

    def action(name: str, func, help_text: str) -> argparse.ArgumentParser:
        q = actions.add_parser(name, parents=[common], help=help_text, description=help_text)
        q.set_defaults(func=func)
        return q

    q = action("list", cmd_list, "the units of an aligned pair with status, reviewer and note")
    q.add_argument("src")
    q.add_argument("tgt")
    q.add_argument("--json", action="store_true", help="print a JSON array")
    for name in ("accept", "reject", "reset"):
        q = action(name, cmd_decide, "set units of an aligned pair back to unreviewed" if name == "reset"
                   else f"{name} units of an aligned pair")
        q.set_defaults(action=name)
        q.add_argument("src")
        q.add_argument("tgt")
        q.add_argument("units", nargs="*", type=int, metavar="UNIT")
        q.add_argument("--note", help="a note stored with the decision")
        q.add_argument("--reviewer", help=REVIEWER_HELP)
        q.add_argument("--min-confidence", type=float, help="accept every unreviewed linked unit at or above this")
        q.add_argument("--unflagged", action="store_true", help="with --min-confidence: only units without flags")
    q = action("undo", cmd_undo, "undo the last review action (a decision, note, bulk accept or relink)")
    q.add_argument("--reviewer", help=REVIEWER_HELP)
    q = action("orphaned", cmd_orphaned, "decisions whose sentences have changed or gone, with their old texts")
    q.add_argument("--json", action="store_true", help="print a JSON array")
    q = action("log", cmd_log, "write the review log (every decision, note, relink and undo) as JSONL")
    q.add_argument("--out", required=True, metavar="FILE")
