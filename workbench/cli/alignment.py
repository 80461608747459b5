"""Alignment commands: align, align-all, links, score."""
from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.table import Table

from .. import align_eval, cluster, compare, ingest, review, store
from ..align import MODES, AlignParams
from ..segment import SegmentOptions
from ..visible import printable
from .common import (
    EXIT_OK,
    AddCommand,
    UsageError,
    add_embedder_arguments,
    add_ray_arguments,
    add_segment_options,
    console,
    embedder_of,
    out,
    progress_bar,
    shown,
    write_jsonl,
    write_text,
)

# what `align --format` writes: a JSON object per unit, or Vecalign's link lines (as its gold files
# and its output are written, so Vecalign's and Bertalign's scorers read them, and `score` does)
FORMATS = ("jsonl", "vecalign")


def _document_or_ingest(conn, ref: str, options: SegmentOptions = SegmentOptions()):
    """A file (ingested on the fly, labelled by its path from here, so de/005 and fr/005 stay two
    documents), else a stored document by id or label."""
    path = Path(ref)
    if path.is_file():
        path = Path(os.path.abspath(path))
        root = Path.cwd() if path.is_relative_to(Path.cwd()) else path.parent
        try:
            new = ingest.read_document(path, root, options=options)
        except ingest.IngestError as error:
            raise UsageError(f"{ref}: {error}") from None
        return store.save_document(conn, new)[1]
    doc = store.document(conn, ref)
    if doc is None:
        raise UsageError(f"no document {ref!r} in the workspace and no such file")
    return doc


def _report_lost_decisions(conn, a, b) -> None:
    lost = review.decisions_not_kept(conn, a.id, b.id)
    if lost:
        console.print(f"[yellow]{len(lost)} review decision(s) on {shown(a.path)} <-> {shown(b.path)} were on units this "
                      f"alignment no longer has (kept in the store, not shown):[/]", soft_wrap=True)
        for row in lost:
            console.print(f"  {row['status']}: {printable(' '.join(row['src_texts']))[:80]!r} <-> "
                          f"{printable(' '.join(row['tgt_texts']))[:80]!r}"
                          + (f" note: {printable(row['note'])}" if row["note"] else ""), soft_wrap=True, markup=False)


def read_pairs(path: str) -> list[tuple[int, str, str, str | None]]:
    """Rows of a pairs file, each with its line number: DOC_A <tab> DOC_B [<tab> OUT.jsonl]; blank
    lines and # comments skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the pairs file: {error}") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) not in (2, 3) or not all(fields):
            raise UsageError(f"{path}, line {number}: expected DOC_A<tab>DOC_B or DOC_A<tab>DOC_B<tab>OUT, "
                             f"found {len(fields)} field(s)")
        rows.append((number, fields[0], fields[1], fields[2] if len(fields) == 3 else None))
    if not rows:
        raise UsageError(f"{path}: no pairs in the file")
    return rows


def aligner_params(args) -> AlignParams:
    """The aligner's settings the command line asks for (`start` runs align-all without the options)."""
    params = AlignParams(dictionary_scale=0) if getattr(args, "no_dictionary", False) else AlignParams()
    return params if getattr(args, "joined_blocks", False) else replace(params, joined_share=0.0)


def add_dictionary_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-dictionary", action="store_true",
                        help="score without a dictionary's glosses (the signature names the dictionary used)")


def add_joined_blocks_option(parser: argparse.ArgumentParser, default: bool | None, default_text: str) -> None:
    parser.add_argument("--joined-blocks", action=argparse.BooleanOptionalAction, default=default,
                        help="where a first pass leaves a unit's extent in doubt, embed the joined text of the "
                             "blocks of 2-4 sentences there too (MAC-Dev's six chapters: strict F1 0.918 -> 0.925, "
                             f"46 s -> 140 s from nothing embedded; default: {default_text})")


def cmd_align(args) -> int:
    if args.pairs and (args.doc_a or args.doc_b):
        raise UsageError("give either two documents or --pairs FILE, not both")
    if not args.pairs and not (args.doc_a and args.doc_b):
        raise UsageError("give two documents to align (or --pairs FILE)")
    rows = read_pairs(args.pairs) if args.pairs else [(0, args.doc_a, args.doc_b, None)]
    if args.format == "vecalign" and args.pairs and not all(target for _, _, _, target in rows):
        raise UsageError(f"{args.pairs}: with --format vecalign every pair needs its own output file "
                         "(DOC_A<tab>DOC_B<tab>OUT): one file of links holds one pair")
    write: Callable[[str | None, list], None] = write_jsonl if args.format == "jsonl" else write_links
    conn = store.connect(args.workspace)
    options = SegmentOptions(args.one_sentence_per_line, args.keep_boilerplate)
    docs = []
    for line, a, b, target in rows:  # every file is checked before the model loads
        try:
            docs.append((_document_or_ingest(conn, a, options), _document_or_ingest(conn, b, options), target))
        except UsageError as error:
            if not args.pairs:
                raise
            raise UsageError(f"{args.pairs}, line {line}: {error}") from None
    embedder = embedder_of(args)
    params = aligner_params(args)
    collected: list = []  # units (jsonl) or links (vecalign)
    for number, (a, b, target) in enumerate(docs, 1):
        # a pair of novel chapters takes half a minute (embedding, then the DP): on a terminal, a
        # spinner says which pair is under way
        with console.status(f"aligning pair {number} of {len(docs)}: {shown(a.path)} <-> {shown(b.path)}"):
            aligned = compare.align_documents(conn, a, b, embedder, args.mode, params)
        _report_lost_decisions(conn, a, b)
        records = aligned.records()
        console.print(f"{shown(a.path)} ({a.lang}) <-> {shown(b.path)} ({b.lang}): mode {aligned.result.mode} "
                      f"({shown(aligned.result.mode_reason)}), {len(records)} units, "
                      f"{sum(1 for r in records if r['src_ids'] and r['tgt_ids'])} pairs, "
                      f"{sum(1 for r in records if r['flags'])} flagged", soft_wrap=True)
        output = records if args.format == "jsonl" else align_eval.line_links(
            [(r["src_spans"], r["tgt_spans"]) for r in records], a.text, b.text)
        if target:
            write(target, output)
        else:
            collected.extend(output)
    if collected or not args.pairs:
        write(args.out, collected)
    return EXIT_OK


def write_links(path: str | None, links: list[align_eval.Link]) -> None:
    """Links over the files' lines (align_eval.line_links), as Vecalign's, ``[0,1]:[2]`` a line."""
    write_text(path, "".join(align_eval.format_link(link) + "\n" for link in links), f"{len(links)} links")


def cmd_score(args) -> int:
    pairs = _scored_files(Path(args.gold), Path(args.test))
    table = Table(title=f"Alignment scores (strict and lax, as Vecalign's score.py) of {shown(args.test)} "
                        f"against {shown(args.gold)}; links and unaligned sentences: gold / test")
    for column in ("document", "links", "unaligned", "strict P R F1", "lax P R F1"):
        table.add_column(column, justify="left" if column == "document" else "right")
    documents = []
    for name, gold_path, test_path in pairs:
        try:
            documents.append((name, align_eval.read_links(gold_path), align_eval.read_links(test_path)))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise UsageError(str(error)) from None
    rows = [(name, [gold], [test]) for name, gold, test in documents]
    if len(documents) > 1:  # counts summed over documents (micro average), as Vecalign pools several files
        rows.append(("pooled", [gold for _, gold, _ in documents], [test for _, _, test in documents]))
    for name, gold, test in rows:
        s = align_eval.score(gold, test)
        unaligned = [sum(map(align_eval.unaligned_sentences, links)) for links in (gold, test)]
        table.add_row(name, f"{sum(map(len, gold))} / {sum(map(len, test))}", "{} / {}".format(*unaligned),
                      f"{s.precision_strict:.3f} {s.recall_strict:.3f} {s.f1_strict:.3f}",
                      f"{s.precision_lax:.3f} {s.recall_lax:.3f} {s.f1_lax:.3f}")
    out.print(table)
    return EXIT_OK


def _scored_files(gold: Path, test: Path) -> list[tuple[str, Path, Path]]:
    """(name, gold file, test file): two files, or two folders' files paired by name less its suffix."""
    if gold.is_file() and test.is_file():
        return [(test.name, gold, test)]
    if gold.is_dir() and test.is_dir():
        golds, tests = _files_by_stem(gold), _files_by_stem(test)
        if not golds:
            raise UsageError(f"{gold}: no gold files in the folder")
        missing = [golds[stem].name for stem in golds if stem not in tests]
        if missing:
            raise UsageError(f"{test}: no test file for {len(missing)} gold file(s): {', '.join(missing[:5])}"
                             + (" ..." if len(missing) > 5 else ""))
        return [(stem, golds[stem], tests[stem]) for stem in sorted(golds)]
    raise UsageError(f"give two files or two folders of links: {gold} is "
                     f"{_kind(gold)}, {test} is {_kind(test)}")


def _files_by_stem(folder: Path) -> dict[str, Path]:
    """A folder's files by name less its last suffix (gold/001.align pairs with out/001 or out/001.align)."""
    found: dict[str, Path] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.stem in found:
            raise UsageError(f"{folder}: {found[path.stem].name} and {path.name} would both be document {path.stem}")
        found[path.stem] = path
    return found


def _kind(path: Path) -> str:
    return "a folder" if path.is_dir() else "a file" if path.is_file() else "not there"


def cmd_align_all(args) -> int:
    try:
        return _align_all(args)
    finally:
        if getattr(args, "ray", None):  # `start` runs this without Ray options
            cluster.disconnect()


def _align_all(args) -> int:
    conn = store.connect(args.workspace)
    embedder = embedder_of(args)
    table = Table(title="Aligned pairs")
    for column in ("pair", "mode", "units", "pairs", "mean confidence", "flagged", ""):
        table.add_column(column)
    kept = 0

    def show(done: int, total: int, a, b, was_kept: bool) -> None:
        nonlocal kept
        kept += was_kept
        if not was_kept:
            _report_lost_decisions(conn, a, b)
        stored = review.aligned_pair(conn, a.id, b.id)
        paired = [u for u in stored.units if u.src_ids and u.tgt_ids]
        mean = sum(u.score for u in paired) / len(paired) if paired else 0.0
        table.add_row(f"{shown(a.path)} <-> {shown(b.path)}", stored.mode, str(len(stored.units)), str(len(paired)),
                      f"{mean:.2f}", str(sum(1 for u in stored.units if u.flags)), "kept" if was_kept else "")
        bar.update(task, completed=done, total=total)

    with progress_bar() as bar:
        task = bar.add_task("align", total=None, rate="")
        groups, pairs = compare.align_stories(conn, store.documents(conn), embedder, args.mode, args.redo, show,
                                              params=aligner_params(args),
                                              keep_joined=getattr(args, "joined_blocks", None) is None)
    for number, group in enumerate(groups, 1):
        console.print(f"story {number}: " + ", ".join(f"{shown(d.path)} ({d.lang})" for d in group), soft_wrap=True)
    out.print(table)
    if kept:
        console.print(f"{kept} of {len(pairs)} pairs were already aligned from the same inputs and kept "
                      "(with any relinks made in review); --redo aligns them again")
    if not pairs:
        console.print("no cross-language pairs in a story group: ingest articles in more languages")
    return EXIT_OK


def cmd_links(args) -> int:
    conn = store.connect(args.workspace)
    embedder = embedder_of(args)
    docs = store.documents(conn)
    found = compare.compute_links(conn, docs, embedder)
    path_of = {d.id: d.path for d in docs}
    sig = compare.signature(embedder, compare.AlignParams(), [compare.document_side(conn, d) for d in docs])
    write_jsonl(args.out, [{"doc": path_of[k.doc], "index": k.index, "other_doc": path_of[k.other_doc],
                             "other_index": k.other_index, "score": k.score, "flags": list(k.flags),
                             "signature": sig} for k in found])
    return EXIT_OK


def register(add: AddCommand, sub, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    p = add("align", cmd_align, "align the sentences of two documents",
            "Pair the sentences of two documents that report the same thing. DOC is a document id, a\n"
            "path in the workspace, or a file (ingested on the fly). Modes: parallel (translations: monotonic,\n"
            "with 1-2/2-1 merges and omissions), comparable (different outlets: reordered, partial overlap),\n"
            "auto (default: comparable where the clear matches are in no more order than chance; parallel\n"
            "where 30 or more strong matches are in order; otherwise both run, and comparable is kept only if it\n"
            "links clearly more). One JSON object per unit.\n\n"
            "Scores: multilingual sentence embeddings, the English of both sides where both have it\n"
            "(translate, or `english DOC FILE`), numbers and names; a Chinese or Japanese side with no\n"
            "English: its words glossed through a dictionary (CC-CEDICT, JMdict; `models list` names them)\n"
            "against the other side's English words, its own or attached (--no-dictionary leaves them out).\n"
            "Without English, each side's embeddings are also carried into the other's space by a linear map\n"
            "learned from the pair's own clearest matches (20 or more), which corrects how the model places\n"
            "the two languages for this text. Where a first pass leaves a unit's extent in doubt, blocks of\n"
            "2-4 sentences there are also scored by the embedding of their joined text, which tells a\n"
            "neighbour that belongs in a unit from one that does not better than their vectors summed\n"
            "(--no-joined-blocks: fewer model calls; align-all leaves them off unless asked).\n"
            "Where a unit begins and ends follows the clauses: its first and last sentences on one side are\n"
            "checked against the opening and closing clauses of the other side's (the edge clauses of\n"
            "sentences whose place a first pass leaves in doubt are embedded too, and cached).\n\n"
            "Files given here are ingested on the fly, labelled by their path from the current folder.\n"
            "Boilerplate sentences are not aligned; they are in the output as units of kind \"boilerplate\"\n"
            "(a furniture line that the other document translates as text is aligned with it).\n\n"
            "example: python -m workbench align ja-rebels-enter-damascus.txt fr-rebelles-damas-statue.txt \\\n"
            "             --out pairs.jsonl\n"
            "example: python -m workbench align zh/001 en/001 --one-sentence-per-line --mode parallel\n"
            "example: python -m workbench align zh/001 en/001 --one-sentence-per-line --format vecalign \\\n"
            "             --out 001.align && python -m workbench score gold/001.align 001.align")
    p.add_argument("doc_a", nargs="?")
    p.add_argument("doc_b", nargs="?")
    p.add_argument("--pairs", metavar="FILE",
                   help="align many pairs in one run (the model loads once): one pair per line, "
                        "DOC_A<tab>DOC_B, optionally <tab>OUT for that pair's units (as --format says)")
    p.add_argument("--mode", choices=MODES, default="auto")
    p.add_argument("--out", metavar="FILE", help="write the units here (default: standard output)")
    p.add_argument("--format", choices=FORMATS, default="jsonl",
                   help="jsonl (default): one JSON object per unit, with spans, texts, English, confidence and "
                        "signature; vecalign: one link per line, [0,1]:[2], over the files' line numbers as "
                        "Vecalign's and Bertalign's gold files (`score` compares them): units sharing a line "
                        "are one link, a blank line is an omission")
    add_dictionary_option(p)
    add_joined_blocks_option(p, True, "on")
    add_embedder_arguments(p)
    add_segment_options(p)

    p = add("align-all", cmd_align_all, "group documents into stories and align every cross-language pair",
            "Group the workspace's documents into stories (documents reporting the same events) and align\n"
            "every pair of documents in different languages within a story. A pair already aligned from the\n"
            "same texts, translations, embedder and settings is kept as stored, with the analysts' relinks:\n"
            "an interrupted run resumes where it stopped. --redo aligns every pair again.\n\n"
            "example: python -m workbench align-all")
    p.add_argument("--mode", choices=MODES, default="auto")
    p.add_argument("--redo", action="store_true", help="align pairs again even when their inputs have not changed")
    add_dictionary_option(p)
    add_joined_blocks_option(p, None, "off, but a pair `align` aligned with them keeps them")
    add_embedder_arguments(p)
    add_ray_arguments(p, "the embedding model")

    p = add("score", cmd_score, "score alignments against gold links (strict and lax precision, recall, F1)",
            "Compare test links with gold links, both in Vecalign's format (one [0,1]:[2] a line, an optional\n"
            "cost after a third colon ignored): the files `align --format vecalign` writes, Vecalign's and\n"
            "Bertalign's output, and their benchmarks' gold. Strict: a test link counts when gold has exactly\n"
            "it; lax: when it overlaps a gold link on both sides. Precision is over the test links, omissions\n"
            "included; recall over the gold links that are not omissions (Vecalign's score.py). Two folders:\n"
            "their files are paired by name less its suffix (gold/001.align with out/001), each is scored,\n"
            "and all are pooled (counts summed). Beside the scores: how many sentences each leaves\n"
            "unaligned (those of its omissions), gold's against the test's: too many shows an aligner\n"
            "that omits what it should link.\n\n"
            "example: python -m workbench score gold/001.align 001.align\n"
            "example: python -m workbench score mac-dev/gold aligned/")
    p.add_argument("gold", help="gold links: a file, or a folder of files")
    p.add_argument("test", help="the links to score: a file, or a folder with a file of the same name (less its "
                                "suffix) for each gold one")

    p = add("links", cmd_links,
            "link every sentence to its best counterpart in each other-language document of its story")
    p.add_argument("--out", metavar="FILE", help="write JSONL here (default: standard output)")
    add_embedder_arguments(p)
