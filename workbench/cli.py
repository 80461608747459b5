"""Command line: ``python -m workbench COMMAND``. Every command is a thin shell over the library."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__, ingest, store

console = Console(stderr=True)
out = Console()

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

FLOW = """\
The flow: ingest a folder of articles, translate it into English, align documents that
report the same story, then review the pairs in the browser and export them.

  python -m workbench ingest samples/syria-2024-12      read, detect languages, split sentences
  python -m workbench documents                           what the workspace holds
  python -m workbench sentences 1                         one document's sentences and spans

Everything lives in a workspace directory (--workspace, or $WORKBENCH_WORKSPACE, default ./workspace).
"""


class UsageError(Exception):
    """Bad arguments: reported in one line, exit code 2."""


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console,
                    transient=False)


def _print_json(value) -> None:
    out.print_json(json.dumps(value, ensure_ascii=False))


# --- ingest ----------------------------------------------------------------------------

def run_ingest(conn, folder: Path, max_mb: float) -> tuple[list[ingest.IngestResult], int]:
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    files = ingest.find_files(folder)
    with progress_bar() as bar:
        task = bar.add_task("ingest", total=len(files), rate="")
        results = ingest.ingest_folder(conn, folder, int(max_mb * 1024 * 1024),
                                       on_file=lambda path: bar.advance(task))
    table = Table(title=f"Ingested {folder}")
    for column in ("file", "language", "encoding", "sentences", "status"):
        table.add_column(column)
    for r in results:
        status = f"skipped: {r.reason}" if r.status == "skipped" else r.status + (f" ({r.reason})" if r.reason else "")
        table.add_row(r.path, r.lang, r.encoding, str(r.sentences) if r.status != "skipped" else "",
                      status, style="red" if r.status == "skipped" else None)
    console.print(table)
    skipped = [r for r in results if r.status == "skipped"]
    for r in skipped:
        console.print(f"[red]skipped[/] {folder / r.path}: {r.reason}", soft_wrap=True)
    if not files:
        console.print(f"[yellow]no .txt, .md, .html or .htm files under {folder}[/]")
    return results, EXIT_PARTIAL if skipped else EXIT_OK


def cmd_ingest(args) -> int:
    return run_ingest(store.connect(args.workspace), Path(args.folder), args.max_mb)[1]


def cmd_documents(args) -> int:
    conn = store.connect(args.workspace)
    rows = store.document_summaries(conn)
    if args.json:
        _print_json([{k: r[k] for k in ("id", "path", "lang", "encoding", "sentences", "translated")}
                     for r in rows])
        return EXIT_OK
    table = Table(title=f"Documents in {store.workspace_dir(args.workspace)}")
    for column in ("id", "path", "lang", "encoding", "sentences", "translated", "title"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["id"]), r["path"], r["lang"], r["encoding"], str(r["sentences"]),
                      f"{r['translated']}/{r['content']}", r["title"][:60])
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
    rows = [{"index": s.index, "start": s.start, "end": s.end, "lang": s.lang,
             "boilerplate": s.boilerplate, "text": s.text} for s in doc.sentences]
    if args.json:
        _print_json(rows)
        return EXIT_OK
    table = Table(title=f"{doc.path} ({doc.lang}, {doc.encoding})")
    for column in ("index", "span", "lang", "", "text"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["index"]), f"{r['start']}-{r['end']}", r["lang"],
                      "boilerplate" if r["boilerplate"] else "", r["text"],
                      style="dim" if r["boilerplate"] else None)
    out.print(table)
    return EXIT_OK


# --- parser ----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workbench", description=FLOW,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="DIR",
                        help="workspace directory (default: $WORKBENCH_WORKSPACE or ./workspace)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_text: str, description: str = "") -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_text, description=description or help_text,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = add("ingest", cmd_ingest, "read a folder of articles into the workspace",
            "Read every .txt, .md, .html and .htm file under FOLDER (recursively): decode any encoding,\n"
            "detect the language of each document and sentence, split sentences with character spans,\n"
            "and mark boilerplate. Unchanged files are skipped; changed files are replaced.\n"
            "Exit code 0 when every file was ingested, 1 when some were skipped.\n\n"
            "example: python -m workbench ingest samples/syria-2024-12")
    p.add_argument("folder", help="folder of articles")
    p.add_argument("--max-mb", type=float, default=ingest.DEFAULT_MAX_BYTES / 1024 / 1024,
                   help="skip files larger than this many megabytes (default: 20)")

    p = add("documents", cmd_documents, "list the documents in the workspace")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = add("sentences", cmd_sentences, "list one document's sentences with spans and languages")
    p.add_argument("doc", help="document id or path (see `documents`)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as error:
        console.print(f"[red]error:[/] {error}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; finished work is saved in the workspace, run again to resume[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
