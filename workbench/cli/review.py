"""Review commands: export, ui, start (the main job) and the UI's background job worker."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import compare, export, ingest, jobs, models, store, translate
from ..outputs import write_atomically
from .alignment import cmd_align_all
from .common import EXIT_OK, AddCommand, add_embedder_arguments, console, embedder_of, shown, warn
from .corpus import run_ingest
from .translation import run_translate

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "syria-2024-12"
APP = Path(__file__).resolve().parents[1] / "app" / "main.py"
# The settings of the project's .streamlit/config.toml, given as flags: an installed workbench runs
# from any folder, and Streamlit reads config.toml only from the current folder and ~/.streamlit.
# (tests/test_cli.py checks that the two agree.)
STREAMLIT_OPTIONS = {
    "server.headless": "true", "server.runOnSave": "false", "server.fileWatcherType": "none",
    "browser.gatherUsageStats": "false", "client.toolbarMode": "minimal", "theme.base": "light",
    "theme.primaryColor": "#2563eb",
}


def cmd_export(args) -> int:
    conn = store.connect(args.workspace)
    rows = export.export_rows(conn, args.reviewed_only, args.status, languages=args.lang)
    target = Path(args.out)
    write_atomically(target, export.render(rows, args.format))
    if args.format == "tmx":
        units = export.translation_units(rows)
        console.print(f"wrote {units} translation units to {shown(target)}"
                      + (f"; {len(rows) - units} unit(s) without a counterpart are not translation units and are "
                         "not in it (CSV and JSONL keep them)" if len(rows) > units else ""))
    else:
        console.print(f"wrote {len(rows)} units to {shown(target)}")
    if not rows:
        console.print("nothing to export: align documents first"
                      + (" and accept some pairs (or drop --reviewed-only)" if args.reviewed_only else ""))
    return EXIT_OK


def cmd_ui(args) -> int:
    workspace = store.workspace_dir(args.workspace).resolve()
    store.connect(workspace)
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(workspace)}
    options = {**STREAMLIT_OPTIONS, "server.port": str(args.port), "server.address": args.address}
    command = [sys.executable, "-m", "streamlit", "run", str(APP),
               *(item for name, value in options.items() for item in (f"--{name}", value))]
    console.print(f"workbench UI on http://{args.address}:{args.port} (workspace {shown(workspace)}); "
                  "Ctrl+C stops it")
    # Streamlit replaces this process, so stopping this process (Ctrl+C, a supervisor's SIGTERM) stops it.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)


def cmd_job(args) -> int:
    return jobs.run(args.workspace or store.DEFAULT_WORKSPACE, args.job_id)


def cmd_start(args) -> int:
    """Ingest, translate where models exist, align, link, then open the UI."""
    conn = store.connect(args.workspace)
    folder = Path(args.folder) if args.folder else SAMPLES
    results, _ = run_ingest(conn, folder, ingest.DEFAULT_MAX_BYTES / 2**20)
    docs = [store.document(conn, r.doc_id) for r in results if r.doc_id is not None]
    if models.models_to_english(on_error=warn):
        run_translate(conn, docs, translate.DecodingOptions())
    else:
        console.print("[yellow]No translation models installed: aligning on the originals alone. To add English, "
                      "run `python -m workbench models install ja ar fr bg` (needs internet) or "
                      "`python -m workbench models add FILE.argosmodel`, then run this again.[/]", soft_wrap=True)
    args.mode, args.redo = "auto", False
    cmd_align_all(args)
    compare.compute_links(conn, store.documents(conn), embedder_of(args))
    if args.no_ui:
        return EXIT_OK
    return cmd_ui(args)


def register(add: AddCommand, sub, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    p = add("export", cmd_export, "export aligned pairs to CSV, JSONL or TMX 1.4",
            "Export every aligned unit (or only accepted ones) with texts, spans, English,\n"
            "confidence, flags, review status and the run signature. TMX: one <tu> per unit, n:m units\n"
            "joined into one <seg> per side; characters XML 1.0 cannot hold (control characters) become\n"
            "<ph type=\"x-xml-char\">U+0007</ph>. CSV: a text starting with = + - @ gets a leading ' so that\n"
            "spreadsheets show it rather than run it as a formula. JSONL keeps every text exactly.\n\n"
            "example: python -m workbench export --format tmx --reviewed-only --out pairs.tmx")
    p.add_argument("--format", choices=export.FORMATS, required=True)
    p.add_argument("--reviewed-only", action="store_true", help="only accepted units (relinked ones once accepted)")
    p.add_argument("--status", action="append", choices=export.STATUSES,
                   help="only units with this review status (repeat for several; edited = relinked, not yet "
                        "accepted)")
    p.add_argument("--lang", action="append", metavar="CODE",
                   help="only pairs with a side in this language (ISO code; repeat for several)")
    p.add_argument("--out", required=True, metavar="FILE")

    p = add("ui", cmd_ui, "review alignments in the browser (Streamlit)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost", help="address to bind (default: localhost only)")

    p = add("start", cmd_start, "the main job: ingest, translate, align and open the UI",
            "Ingest FOLDER (default: the built-in samples), translate it where models are installed, group\n"
            "stories, align every cross-language pair, link facts across documents, and start the UI.\n\n"
            "example: python -m workbench start")
    p.add_argument("folder", nargs="?", help="folder of articles (default: workbench/samples/syria-2024-12)")
    add_embedder_arguments(p)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost")
    p.add_argument("--no-ui", action="store_true", help="stop after aligning")

    p = sub.add_parser("job", parents=[common])  # the UI's background worker; not for direct use
    p.add_argument("job_id", type=int)
    p.set_defaults(func=cmd_job)
