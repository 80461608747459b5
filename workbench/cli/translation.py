"""Translation commands: models list/add/install and translate."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from rich.table import Table

from .. import __version__, cluster, devices, dictionary, external, families, ingest, models, quality, store, translate
from ..embed import get_embedder
from .common import (
    EXIT_OK,
    EXIT_PARTIAL,
    AddCommand,
    UsageError,
    add_embedder_arguments,
    add_ray_arguments,
    cluster_gpus,
    console,
    embedder_of,
    out,
    print_json,
    progress_bar,
    shown,
    warn,
)
from .corpus import run_ingest


def cmd_models_list(args) -> int:
    found = models.installed_models(on_error=warn)
    chosen = {m.id for m in models.models_to_english().values()}
    rows = [{"from": m.from_code, "to": m.to_code, "family": m.family, "version": m.version, "id": m.id,
             "source": m.source, "size_mb": round(m.size_bytes / 2**20, 1), "path": str(m.path),
             "used": m.id in chosen} for m in found]
    if args.json:
        print_json(rows)
        return EXIT_OK
    table = Table(title=f"Translation models in {shown(models.packages_dir())} "
                        f"(and argostranslate's, read-only, in {shown(models.argos_packages_dir())})")
    for column in ("pair", "family", "version", "size", "used", "source"):
        table.add_column(column)
    for r in rows:  # a model serving many languages (NLLB) is one folder, listed per language
        table.add_row(f"{r['from']}->{r['to']}", str(r["family"]), shown(r["version"]), f"{r['size_mb']} MB",
                      "yes" if r["used"] else "", shown(r["source"]))
    out.print(table)
    if not rows:
        console.print("No models installed: `python -m workbench models install ja ar fr bg` "
                      "or `python -m workbench models add FILE.argosmodel`.")
    glossed = [f"{lang}: {', '.join(names)}" for lang in dictionary.LANGUAGES if (names := dictionary.installed([lang]))]
    out.print("Alignment dictionaries (glosses for a side with no English): " + ("; ".join(glossed) or "none"))
    return EXIT_OK


def cmd_models_add(args) -> int:
    failed = 0
    for path in args.files:
        try:
            if Path(path).is_dir():
                added = models.add_folder(Path(path), args.family, args.from_code)
            else:
                added = [models.add_package(Path(path))]
            languages = ", ".join(f"{m.from_code}->{m.to_code}" for m in added)
            console.print(f"installed {added[0].family} {shown(added[0].version)} ({languages}) from {shown(path)}",
                          soft_wrap=True)
        except models.ModelError as error:
            console.print(f"[red]error:[/] {shown(error)}", soft_wrap=True)
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
                console.print(f"installed {model.from_code}->{model.to_code} {shown(model.version)}")
        except models.ModelError as error:
            console.print(f"[red]error:[/] {shown(error)}", soft_wrap=True)
            return EXIT_PARTIAL
    return EXIT_OK


def decoding_options(args) -> translate.DecodingOptions:
    gpus = cluster_gpus(args)  # on Ray, the workers' GPUs decide, not this machine's
    try:
        device = devices.resolve(args.device, "CTranslate2", devices.ctranslate2_gpus() if gpus is None else gpus)
    except devices.DeviceError as error:
        raise UsageError(str(error)) from None
    options = translate.DecodingOptions.for_quality(args.quality, device, threads=args.threads,
                                                    max_batch_tokens=args.batch_tokens)
    if args.beam is not None or args.compute_type is not None:  # set by hand: the signature says so
        options = dataclasses.replace(options, beam_size=args.beam or options.beam_size,
                                      compute_type=args.compute_type or options.compute_type, quality="custom")
    return options


def model_choices(args) -> dict[str, str]:
    """--model LANG=FAMILY_OR_ID, repeated."""
    choices = {}
    for item in args.model or []:
        lang, _, wanted = item.partition("=")
        if not lang or not wanted:
            raise UsageError(f"--model {item}: write LANG=FAMILY (opus-mt, nllb, argos) or LANG=MODEL_ID")
        choices[lang] = wanted
    return choices


def run_translate(conn, docs, options: translate.DecodingOptions, commit_every: int = 64, redo: bool = False,
                  ray: str | None = None, ray_workers: int | None = None, similarity_check: bool = True,
                  choices: dict[str, str] | None = None):
    try:
        translators = translate.translators_to_english(options, on_error=warn, choices=choices)
    except models.ModelError as error:
        raise UsageError(str(error)) from None
    if ray:
        translators, workers = cluster.translators_on_ray(translators, ray, ray_workers)
        console.print(f"on Ray: {workers} translation workers ({'this machine' if ray == cluster.LOCAL else ray})")
    total = translate.count_pending(conn, docs, translators, redo)
    with progress_bar() as bar:
        task = bar.add_task("translate", total=total, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            elapsed = bar.tasks[task].elapsed or 0
            if elapsed > 0:
                bar.update(task, rate=f"{bar.tasks[task].completed / elapsed:.1f} sent/s")

        checker = quality.QualityChecker(get_embedder() if similarity_check else None, conn)
        report = translate.translate_documents(conn, docs, translators, advance, commit_every, redo, checker=checker)
    if report.checked:
        print_quality_summary(report)
    console.print(f"translated {report.translated} sentences, {report.cached} from cache, "
                  f"{report.done_before} done in earlier runs, {report.english} English passed through")
    if report.retranslated:
        console.print(f"{report.retranslated} of them had English from another model (or --redo) and were "
                      "translated again; `align-all` re-aligns the pairs that used it, decisions kept")
    for line in report.missing_lines():
        console.print(f"[yellow]{shown(line)}[/]", soft_wrap=True)
    return report


def print_quality_summary(report: translate.TranslateReport) -> None:
    """Per language: sentences given English in this run, and how many carry each quality flag."""
    table = Table(title="English quality flags (see `sentences DOC --json`, translations.jsonl, Compare)")
    for column in ("language", "sentences", "flagged", *quality.FLAGS):
        table.add_column(column, justify="right")
    for lang, checked in sorted(report.checked.items()):
        counts = report.flagged[lang]
        flagged = report.flagged_sentences[lang]
        table.add_row(f"{lang}->en", str(checked), f"{flagged} ({flagged / checked:.0%})",
                      *(str(counts[name]) for name in quality.FLAGS))
    out.print(table)


def cmd_translate(args) -> int:
    options = decoding_options(args)  # a device this machine lacks is refused before any work
    conn = store.connect(args.workspace)
    results, code = run_ingest(conn, Path(args.folder), args.max_mb)
    ids = [r.doc_id for r in results if r.doc_id is not None]
    docs = [store.stored_document(conn, doc_id) for doc_id in ids]
    try:
        report = run_translate(conn, docs, options, args.commit_every, args.redo, args.ray, args.ray_workers,
                               not args.no_similarity_check, model_choices(args))
    finally:
        if args.ray:
            cluster.disconnect()
    out_dir = Path(args.out) if args.out else store.workspace_dir(args.workspace) / "translations"
    signature = {"workbench": __version__, "decoding": options.signature(), "models": report.models}
    written = translate.write_outputs(conn, docs, out_dir, signature)
    texts = sum(1 for path in written if path.name.endswith(".en.txt"))
    console.print(f"wrote {texts} English texts, {shown(out_dir / 'translations.jsonl')} and run.json "
                  f"(quality {options.quality}: beam {options.beam_size}, {options.compute_type})")
    return EXIT_PARTIAL if report.missing or code else EXIT_OK


def cmd_english(args) -> int:
    conn = store.connect(args.workspace)
    doc = store.document(conn, args.document)
    if doc is None:
        raise UsageError(f"no document {args.document!r} in the workspace (see `python -m workbench documents`)")
    path = Path(args.file)
    embedder = None if external.one_sentence_per_line(doc) else embedder_of(args)
    try:
        attached = external.attach_english(conn, doc, path, embedder)
    except external.ExternalEnglishError as error:
        raise UsageError(str(error)) from None
    how = "line by line" if attached.by_line else "aligned sentence by sentence"
    console.print(f"{shown(doc.path)}: English from {shown(path)} attached {how} to {attached.sentences} sentences "
                  f"as {attached.model}" + (f"; {attached.unmatched} sentences had no counterpart and are left "
                                            "to `translate`" if attached.unmatched else ""), soft_wrap=True)
    return EXIT_OK


def add_decoding_arguments(p: argparse.ArgumentParser) -> None:
    defaults = translate.DecodingOptions()
    p.add_argument("--quality", choices=list(translate.QUALITY_SETTINGS), default="balanced",
                   help="fast: greedy decoding (beam 1, int8), several times faster; balanced (default): beam 4, "
                        "int8, as argostranslate; best: beam 6 in float32 (float16 on a GPU), slower. Recorded in "
                        "OUT/run.json and part of the cache key")
    p.add_argument("--beam", type=int, default=None, help="beam size, overriding --quality's")
    p.add_argument("--device", choices=devices.DEVICES, default="auto",
                   help="where CTranslate2 runs: auto (default: a CUDA GPU when CTranslate2 sees one), cpu, cuda")
    p.add_argument("--compute-type", default=None,
                   help="CTranslate2 compute type, overriding --quality's (int8, int8_float16, float32, float16, "
                        "int8_float32, ...); part of the cache key")
    p.add_argument("--threads", type=int, default=defaults.threads, help="CPU threads (default: all cores)")
    p.add_argument("--batch-tokens", type=int, default=defaults.max_batch_tokens, metavar="N",
                   help=f"source tokens per CTranslate2 batch (default: {defaults.max_batch_tokens}); larger "
                        "batches help long texts on small models, the output does not change")


def register(add: AddCommand, sub, common: argparse.ArgumentParser) -> None:
    """Add this module's commands to the parser."""
    p = add("models", None, "list, add and install X->en translation models (argos packages)",
            "Translation models are argos packages (.argosmodel). Installed ones live in models/packages/;\n"
            ".argosmodel files dropped into models/ are installed on first use.")
    models_sub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    m = models_sub.add_parser("list", parents=[common], help="installed language pairs")
    m.add_argument("--json", action="store_true", help="print a JSON array")
    m.set_defaults(func=cmd_models_list)
    m = models_sub.add_parser(
        "add", parents=[common], help="install .argosmodel files, or OPUS-MT / NLLB-200 CTranslate2 folders",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Install argos packages (.argosmodel files) or CTranslate2 model folders converted from\n"
                    "OPUS-MT (model.bin + source.spm + target.spm; the pair from a name like opus-mt-ja-en, or\n"
                    "--from) or NLLB-200 (model.bin + sentencepiece.bpe.model: every language it has into\n"
                    "English). Where several models serve a language: translate --model LANG=FAMILY, else\n"
                    f"{' > '.join(families.PREFERENCE)}. README: how to convert them.\n\n"
                    "example: python -m workbench models add ja_en.argosmodel ~/models/opus-mt-ja-en")
    m.add_argument("files", nargs="+", metavar="FILE.argosmodel|DIR")
    m.add_argument("--family", choices=["opus-mt", "nllb"], help="the layout of a folder (default: recognised)")
    m.add_argument("--from", dest="from_code", metavar="LANG",
                   help="the source language of an OPUS-MT folder whose name does not say it (or one language "
                        "of an NLLB model)")
    m.set_defaults(func=cmd_models_add)
    m = models_sub.add_parser("install", parents=[common], help="download X->en packages from the argos index",
                              description="Download and install X->en packages from the argos package index "
                                          "(needs internet access).\n\n"
                                          "example: python -m workbench models install ja ar fr bg")
    m.add_argument("codes", nargs="+", metavar="LANG", help="source language codes, e.g. ja ar fr bg")
    m.add_argument("--index", metavar="URL", help="package index URL (default: the argos index)")
    m.set_defaults(func=cmd_models_install)

    p = add("english", cmd_english, "attach English you already have (a translation, another MT system's) to a document",
            "FILE holds the English of DOC. A document ingested with --one-sentence-per-line takes line i of\n"
            "FILE as sentence i's English (the line counts must agree); any other document gets FILE's\n"
            "sentences aligned to its own and keeps the aligner's confidence per sentence. Stored as model\n"
            "output under the id external:<file name>:<content hash>; alignment uses it as it uses model\n"
            "English, and `translate` does not replace it unless --redo.\n\n"
            "example: python -m workbench english zh/001 zh/001.trans")
    p.add_argument("document", metavar="DOC", help="a stored document: its id or label")
    p.add_argument("file", metavar="FILE", help="the English, as text in any encoding")
    add_embedder_arguments(p)

    p = add("translate", cmd_translate, "translate a folder into English (ingests it first)",
            "Ingest FOLDER if needed, then put every non-English sentence into English with the installed\n"
            "argos models, on this machine. Work is cached in the workspace: an interrupted run resumes, a\n"
            "rerun on an unchanged folder translates nothing. Writes OUT/<path>.en.txt per document and\n"
            "OUT/translations.jsonl. Exit code 1 when a language has no model (the rest still translates).\n\n"
            "example: python -m workbench translate workbench/samples/syria-2024-12 --out out")
    p.add_argument("folder", help="folder of articles")
    p.add_argument("--out", metavar="DIR", help="output folder (default: WORKSPACE/translations)")
    p.add_argument("--max-mb", type=float, default=ingest.DEFAULT_MAX_BYTES / 2**20, help=argparse.SUPPRESS)
    add_decoding_arguments(p)
    p.add_argument("--redo", action="store_true",
                   help="translate every sentence again, bypassing the cache (English made by another model "
                        "than the installed one is redone anyway)")
    p.add_argument("--commit-every", type=int, default=64, metavar="N",
                   help="save results every N sentences (default: 64)")
    p.add_argument("--model", action="append", metavar="LANG=FAMILY",
                   help="which installed model translates LANG where several do: a family (opus-mt, nllb, argos) "
                        f"or a model id from `models list` (default: {' > '.join(families.PREFERENCE)}); repeatable")
    p.add_argument("--no-similarity-check", action="store_true",
                   help="skip the mt_low_similarity flag (it embeds each source and its English with e5, "
                        "whole and cut after its 7th layer; alignment reuses the first). mt_untranslated and mt_degenerate are always checked")
    add_ray_arguments(p, "the translation")
