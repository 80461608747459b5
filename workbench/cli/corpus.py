"""Commands that read articles in and show what the workspace holds: ingest, documents, sentences."""
from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.table import Table

from .. import ingest, store
from ..segment import SegmentOptions
from .common import (
    EXIT_OK,
    EXIT_PARTIAL,
    AddCommand,
    UsageError,
    add_segment_options,
    console,
    out,
    print_json,
    progress_bar,
    shown,
)


def run_ingest(conn, folder: Path, max_mb: float,
               options: SegmentOptions = SegmentOptions()) -> tuple[list[ingest.IngestResult], int]:
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    files = ingest.find_files(folder)
    with progress_bar() as bar:
        task = bar.add_task("ingest", total=len(files), rate="")
        results = ingest.ingest_folder(conn, folder, int(max_mb * 1024 * 1024),
                                       on_file=lambda path: bar.advance(task), options=options)
    table = Table(title=f"Ingested {folder}")
    for column in ("file", "language", "encoding", "sentences", "status"):
        table.add_column(column)
    for r in results:
        status = f"skipped: {r.reason}" if r.status == "skipped" else r.status + (f" ({r.reason})" if r.reason else "")
        # sentences in other languages beside the document's: "bg, en x19" (quoted tweets)
        languages = ", ".join([r.lang, *(f"{lang} x{count}" for lang, count in r.other_languages)])
        table.add_row(shown(r.path), languages, r.encoding, str(r.sentences) if r.status != "skipped" else "",
                      shown(status), style="red" if r.status == "skipped" else None)
    console.print(table)
    skipped = [r for r in results if r.status == "skipped"]
    for r in skipped:
        console.print(f"[red]skipped[/] {shown(folder / r.path)}: {shown(r.reason)}", soft_wrap=True)
    others = Counter(path.suffix.lower() or path.name for path in ingest.passed_over(folder))
    if others:  # named, so that no file a user meant as an article goes unread unseen
        kinds = ", ".join(f"{name} x{count}" for name, count in others.most_common())
        console.print(f"[yellow]not read, not articles by their names:[/] {shown(kinds)}", soft_wrap=True)
    if not files:
        console.print(f"[red]nothing to ingest:[/] no .txt, .md, .html or .htm file, nor one named by a language "
                      f"(.de, .zh) or with no suffix, under {shown(folder)}", soft_wrap=True)
    return results, EXIT_PARTIAL if skipped or not files else EXIT_OK


def cmd_ingest(args) -> int:
    options = SegmentOptions(args.one_sentence_per_line, args.keep_boilerplate)
    return run_ingest(store.connect(args.workspace), Path(args.folder), args.max_mb, options)[1]


def cmd_documents(args) -> int:
    conn = store.connect(args.workspace)
    rows = store.document_summaries(conn)
    if args.json:
        print_json([{k: r[k] for k in ("id", "path", "lang", "encoding", "sentences", "translated")}
                     for r in rows])
        return EXIT_OK
    table = Table(title=f"Documents in {store.workspace_dir(args.workspace)}")
    for column in ("id", "path", "lang", "encoding", "sentences", "translated", "title"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["id"]), shown(r["path"]), r["lang"], r["encoding"], str(r["sentences"]),
                      f"{r['translated']}/{r['content']}", shown(r["title"][:60]))
    out.print(table)
    if not rows:
        console.print("The workspace is empty: run `python -m workbench ingest FOLDER` first.")
    return EXIT_OK


def find_document(conn, ref: str):
    doc = store.document(conn, ref)
    if doc is None:
        raise UsageError(f"no document {ref!r} in the workspace (see `python -m workbench documents`)")
    return doc


def cmd_sentences(args) -> int:
    conn = store.connect(args.workspace)
    doc = find_document(conn, args.doc)
    english, flags = store.english_of(conn, doc.id), store.translation_flags(conn, doc.id)
    rows = [{"index": s.index, "start": s.start, "end": s.end, "lang": s.lang,
             "boilerplate": s.boilerplate, "text": s.text, "en": english.get(s.index, (None, None))[0],
             "model": english.get(s.index, (None, None))[1], "flags": flags.get(s.index, {})}
            for s in doc.sentences]
    if args.json:
        print_json(rows)
        return EXIT_OK
    table = Table(title=f"{shown(doc.path)} ({doc.lang}, {doc.encoding})")
    for column in ("index", "span", "lang", "", "text"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["index"]), f"{r['start']}-{r['end']}", r["lang"],
                      "boilerplate" if r["boilerplate"] else ", ".join(r["flags"]), shown(r["text"]),
                      style="dim" if r["boilerplate"] else None)
    out.print(table)
    return EXIT_OK


def register(add: AddCommand, sub, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    p = add("ingest", cmd_ingest, "read a folder of articles into the workspace",
            "Read every .txt, .md, .html and .htm file under FOLDER (recursively), and every file named by\n"
            "a language (doc.de, news.fr) or with no suffix (benchmarks' zh/001), hidden ones aside:\n"
            "decode any encoding, detect the language of each document and sentence, split sentences\n"
            "with character spans, and mark boilerplate. Unchanged files are skipped; changed files are\n"
            "replaced.\n"
            "Exit code 0 when every file was ingested, 1 when some were skipped or none was found; other\n"
            "files (images, PDFs) are named as not read.\n\n"
            "example: python -m workbench ingest workbench/samples/syria-2024-12")
    p.add_argument("folder", help="folder of articles")
    p.add_argument("--max-mb", type=float, default=ingest.DEFAULT_MAX_BYTES / 1024 / 1024,
                   help="skip files larger than this many megabytes (default: 20)")
    add_segment_options(p)

    p = add("documents", cmd_documents, "list the documents in the workspace")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = add("sentences", cmd_sentences, "list one document's sentences: spans, languages, English and its quality flags")
    p.add_argument("doc", help="document id or path (see `documents`)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
