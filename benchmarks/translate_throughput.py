"""Translation throughput: workbench bulk translate against argostranslate and raw CTranslate2.

  python benchmarks/translate_throughput.py [--sizes 400,1000] [--sample-a 80]
  python benchmarks/translate_throughput.py --families argos,opus-mt,nllb --qualities fast,balanced,best --sizes 400

Builds transformer-base copy models (6+6 layers, d_model 512, FFN 2048, 8 heads, 32k vocabulary,
int8) for ja, ar, fr and bg in the real argos format, takes the non-English, non-boilerplate
sentences of the seed articles (workbench/samples/syria-2024-12; articles copied with numbered lines until there are
enough distinct sentences), and measures in one run, same model, beam 4, same threads:
  (a) argostranslate.translate.translate() called per sentence
  (b) argostranslate, one call per document
  (c) workbench bulk translate (translate_documents, cache empty), in a process of its own
  (d) raw ctranslate2 translate_batch over all sentences, best of a few batch settings
plus the rerun with a warm workspace, and peak RSS. Each corpus size (``--sizes``: about 400 and
about 1,000 sentences) gets its own (c) and (d), and c/d against the best raw setting; at the
largest size (c) also runs with each batch size of the sweep, which chose the default.

--families runs (c) and (d) for each model family on base-size copy models in its own layout
(tests/fixtures/build_argos_model.py: argos packages, OPUS-MT folders one per language, one
NLLB-200 folder for all four), raw CTranslate2 fed the same tokens (language token, </s>, target
prefix); --qualities runs (c) at each --quality setting on the first family.

argostranslate would download a MiniSBD sentence model at translate time (no network here), so
its sentencizer is replaced by the workbench's own line splitter; everything else is argos' path.
(a) and (b) are rates timed on part of the same sentences (a random sample; one copy of each
article): argostranslate runs at a few sentences per second, the full set would take many minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

LANGS = ("ja", "ar", "fr", "bg")
BEAM = 4


def install_models(tmp: Path, family: str) -> None:
    """Base-size copy models for LANGS in ``family``'s layout, installed."""
    from workbench import models

    from fixtures.build_argos_model import build_converted, build_package

    if family == "nllb":
        models.add_folder(build_converted(tmp / "nllb-200-base", "nllb", size="base"))
        return
    for lang in LANGS:
        if family == "argos":
            models.add_package(build_package(tmp / f"{lang}.argosmodel", lang, "en", kind="copy", size="base"))
        else:
            models.add_folder(build_converted(tmp / f"opus-mt-{lang}-en", "opus-mt", size="base"))


def prepare(tmp: Path, min_sentences: int, models_ready: bool = False, family: str = "argos"):
    """A workspace under ``tmp`` with at least ``min_sentences`` distinct sentences to translate;
    the base-size models are built and installed unless ``models_ready``."""
    from workbench import ingest, store

    from conftest import CORPUS

    if not models_ready:
        install_models(tmp, family)
    folder = tmp / "articles"
    folder.mkdir()
    copies = 0
    conn = store.connect(tmp / "ws")
    while True:
        for article in sorted(CORPUS.glob("*.txt")):
            lines = article.read_text(encoding="utf-8").splitlines()
            numbered = "\n".join(f"{copies}) {line}" if line.strip() else line for line in lines)
            (folder / f"{copies}-{article.name}").write_text(numbered, encoding="utf-8")
        copies += 1
        ingest.ingest_folder(conn, folder)
        docs = store.documents(conn)
        pool = [s for d in docs for s in d.sentences if not s.boilerplate and s.lang in LANGS]
        if len(pool) >= min_sentences:
            return conn, docs


def content(doc):
    return [s for s in doc.sentences if not s.boilerplate and s.lang in LANGS]


def run_argos(docs, threads: int, sample: int):
    import argostranslate.translate as argos

    from workbench.segment import split_line

    class LineSplitter:  # instead of MiniSBD, which argos downloads at translate time
        def __init__(self, lang):
            self.lang = lang

        def split_sentences(self, text):
            return [text[a:b] for a, b in split_line(text, self.lang)]

    for lang in LANGS:
        argos.get_translation_from_codes(lang, "en").underlying.sentencizer = LineSplitter(lang)

    pool = [(s.lang, s.text) for d in docs for s in content(d)]
    picked = random.Random(0).sample(pool, min(sample, len(pool)))
    argos.translate(picked[0][1], picked[0][0], "en")  # load the engine outside the timing, as for the others
    started = time.perf_counter()
    for lang, text in picked:
        argos.translate(text, lang, "en")
    per_sentence = len(picked) / (time.perf_counter() - started)

    started = time.perf_counter()
    count = 0
    for doc in [d for d in docs if d.path.startswith("0-")]:  # one copy of each article
        by_lang: dict[str, dict[int, list[str]]] = {}
        for s in content(doc):
            by_lang.setdefault(s.lang, {}).setdefault(s.paragraph, []).append(s.text)
        for lang, paragraphs in by_lang.items():
            argos.translate("\n".join(" ".join(p) for p in paragraphs.values()), lang, "en")
            count += sum(len(p) for p in paragraphs.values())
    per_document = count / (time.perf_counter() - started)
    return per_sentence, per_document, len(picked), count


BATCH_SWEEP = (1024, 2048, 4096, 8192)


def run_raw(docs, threads: int):
    import ctranslate2
    import sentencepiece

    from workbench.models import models_to_english

    best = None
    for batch_tokens in BATCH_SWEEP:
        elapsed = 0.0
        count = 0
        for lang, model in models_to_english().items():
            layout = model.layout  # the tokens each family needs around a sentence, as the workbench feeds them
            sp = sentencepiece.SentencePieceProcessor(model_file=str(layout.source_spm))
            engine = ctranslate2.Translator(str(layout.model_dir), compute_type="int8", intra_threads=threads)
            tokens = sorted(([*layout.source_prefix, *sp.encode(s.text, out_type=str), *layout.source_suffix]
                             for d in docs for s in content(d) if s.lang == lang), key=len)
            if not tokens:  # a language the model has and the corpus not (NLLB's many)
                continue
            prefix = [[layout.target_prefix]] * len(tokens) if layout.target_prefix else None
            engine.translate_batch(tokens[:1], beam_size=BEAM, target_prefix=prefix and prefix[:1])  # warm-up
            started = time.perf_counter()
            engine.translate_batch(tokens, beam_size=BEAM, max_batch_size=batch_tokens, batch_type="tokens",
                                   max_decoding_length=2 * max(map(len, tokens)) + 10, length_penalty=0.2,
                                   target_prefix=prefix)
            elapsed += time.perf_counter() - started
            count += len(tokens)
        rate = count / elapsed
        print(f"  raw translate_batch, max_batch_size={batch_tokens} tokens: {rate:.2f} sent/s", flush=True)
        best = max(best or (0, 0), (rate, batch_tokens))
    return best


def run_workbench(workspace: Path, threads: int, batch_tokens: int, quality: str = "balanced") -> dict:
    """(c) in a process of its own, as a CLI run would be: rates, rerun times and its peak RSS."""
    from workbench import store, translate

    conn = store.connect(workspace)
    docs = store.documents(conn)
    options = translate.DecodingOptions.for_quality(quality, threads=threads, max_batch_tokens=batch_tokens)
    translators = translate.translators_to_english(options)
    for translator in translators.values():
        translator.translate(["warm-up"])  # engine load outside the timing, as for the others
    started = time.perf_counter()
    report = translate.translate_documents(conn, docs, translators)
    first = time.perf_counter() - started
    started = time.perf_counter()
    rerun = translate.translate_documents(conn, docs, translators)
    unchanged = time.perf_counter() - started
    assert rerun.translated == 0 and rerun.cached == 0
    conn.execute("DELETE FROM translations")  # as for a new workspace or changed files: all from the cache
    started = time.perf_counter()
    from_cache = translate.translate_documents(conn, docs, translators)
    cached = time.perf_counter() - started
    assert from_cache.translated == 0 and from_cache.cached == report.translated
    return {"rate": report.translated / first, "first": first, "unchanged": unchanged, "cached": cached,
            "translated": report.translated,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def workbench_in_a_process(workspace: Path, threads: int, batch_tokens: int, quality: str = "balanced") -> dict:
    """(c) on a copy of ``workspace`` (nothing translated yet), in a process of its own."""
    import shutil

    copy = workspace.with_name(f"{workspace.name}-{batch_tokens}-{quality}")
    shutil.copytree(workspace, copy)
    child = subprocess.run([sys.executable, __file__, "--workbench-only", str(copy), "--threads", str(threads),
                            "--batch-tokens", str(batch_tokens), "--quality", quality],
                           capture_output=True, text=True, check=True)
    return json.loads(child.stdout.splitlines()[-1])


def compare_families(tmp: Path, size: int, threads: int, families: list[str], qualities: list[str]) -> list[str]:
    """(c) and (d) per model family at one corpus size, then (c) per --quality on the first family."""
    from workbench.translate import QUALITY_SETTINGS, DecodingOptions

    lines = []
    default = DecodingOptions().max_batch_tokens
    for family in families:
        folder = tmp / f"family-{family}"
        folder.mkdir()
        os.environ["WORKBENCH_MODELS"] = str(folder / "models")
        _, docs = prepare(folder, size, family=family)
        total = sum(len(content(d)) for d in docs)
        c = workbench_in_a_process(folder / "ws", threads, default)
        d_rate, d_batch = run_raw(docs, threads)
        lines.append(f"{family} ({total} sentences, base-size copy models in its layout): (c) workbench "
                     f"{c['rate']:.2f} sent/s, (d) best raw {d_rate:.2f} sent/s (max_batch_size={d_batch} tokens): "
                     f"c/d = {c['rate'] / d_rate:.2f} (target >= 0.9)")
        print("  " + lines[-1], flush=True)
        if family == families[0]:
            for quality in qualities:
                beam, compute_type = QUALITY_SETTINGS[quality]["cpu"]
                run = c if quality == "balanced" else workbench_in_a_process(folder / "ws", threads, default, quality)
                lines.append(f"  --quality {quality} (beam {beam}, {compute_type}) on {family}: {run['rate']:.2f} sent/s")
                print(lines[-1], flush=True)
    return lines


def main() -> None:
    from workbench.translate import DecodingOptions

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="400,1000", help="corpus sizes in sentences (at least), comma-separated")
    parser.add_argument("--sample-a", type=int, default=80)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--workbench-only", metavar="WORKSPACE", help=argparse.SUPPRESS)
    parser.add_argument("--batch-tokens", type=int, default=DecodingOptions().max_batch_tokens, help=argparse.SUPPRESS)
    parser.add_argument("--quality", default="balanced", help=argparse.SUPPRESS)
    parser.add_argument("--families", metavar="LIST", help="compare model families instead: argos,opus-mt,nllb")
    parser.add_argument("--qualities", metavar="LIST", default="",
                        help="with --families: --quality settings to run on the first family, e.g. fast,balanced,best")
    args = parser.parse_args()
    if args.workbench_only:
        print(json.dumps(run_workbench(Path(args.workbench_only), args.threads, args.batch_tokens, args.quality)))
        return
    if args.families:
        with tempfile.TemporaryDirectory() as tmp:
            size = min(int(size) for size in args.sizes.split(","))
            lines = compare_families(Path(tmp), size, args.threads, args.families.split(","),
                                     [q for q in args.qualities.split(",") if q])
        print("\n".join(lines))
        return
    default = DecodingOptions().max_batch_tokens
    sizes = sorted(int(size) for size in args.sizes.split(","))
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        # argostranslate reads its settings once, at import: point it at the same packages first
        os.environ.update(ARGOS_PACKAGES_DIR=f"{tmp}/models/packages", ARGOS_COMPUTE_TYPE="int8",
                          ARGOS_INTRA_THREADS=str(args.threads), ARGOS_BEAM_SIZE=str(BEAM))
        for size in sizes:
            folder = Path(tmp) / f"size-{size}"
            folder.mkdir()
            os.environ["WORKBENCH_MODELS"] = f"{tmp}/models"
            conn, docs = prepare(folder, size, models_ready=size != sizes[0])
            total = sum(len(content(d)) for d in docs)
            print(f"{total} sentences in {len(docs)} documents, base-size copy models, beam {BEAM}, "
                  f"{args.threads} threads", flush=True)
            sweep = BATCH_SWEEP if size == sizes[-1] else (default,)
            c_runs = {bt: workbench_in_a_process(folder / "ws", args.threads, bt) for bt in sweep}
            for bt, run in c_runs.items():
                print(f"  workbench, max_batch_tokens={bt}: {run['rate']:.2f} sent/s", flush=True)
            d_rate, d_batch = run_raw(docs, args.threads)
            c = c_runs[default]
            lines += [f"{total} sentences: (c) workbench {c['rate']:.2f} sent/s (default max_batch_tokens {default}), "
                      f"(d) best raw {d_rate:.2f} sent/s (max_batch_size={d_batch} tokens): "
                      f"c/d = {c['rate'] / d_rate:.2f} (target >= 0.95)"]
            if size == sizes[-1]:
                a_rate, b_rate, sampled, b_count = run_argos(docs, args.threads, args.sample_a)
                c_rate = c["rate"]
                lines += [
                    f"at {total} sentences: (a) argostranslate per sentence {a_rate:.2f} sent/s (random sample of "
                    f"{sampled}), (b) per document {b_rate:.2f} sent/s (first copy of each article, {b_count} "
                    f"sentences): c/a = {c_rate / a_rate:.1f}x (target >= 5), c/b = {c_rate / b_rate:.1f}x "
                    "(target >= 2)",
                    f"first run {c['first']:.1f} s; rerun on the unchanged workspace {c['unchanged'] * 1000:.1f} ms "
                    f"({c['first'] / c['unchanged']:.0f}x faster); every sentence again from the translation cache "
                    f"{c['cached']:.2f} s ({c['first'] / c['cached']:.0f}x faster) (target >= 50x)",
                    f"peak RSS of the workbench run (its own process, 4 base models loaded): {c['rss_mb']:.0f} MB "
                    "(target < 2048)",
                    "workbench by max_batch_tokens: " + ", ".join(f"{bt}: {run['rate']:.2f}"
                                                                   for bt, run in c_runs.items()),
                ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
