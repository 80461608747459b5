"""Calibrate and measure the machine-translation quality flags (workbench/quality.py) on FLORES-200.

  python benchmarks/mt_quality.py --split dev       # fit: prints the constants quality.py holds
  python benchmarks/mt_quality.py --split devtest   # measure precision/recall with those constants

For ja, ar, fr and bg -> en, every FLORES line's source is scored against:
- good: its human English (the reference: what a good translation looks like);
- bad, "neighbour": the English of the next line of the same article (fluent, on topic, wrong);
- bad, "random model": the output of a random-weights model in the real argos format on
  CTranslate2 (tests/fixtures/build_argos_model.py): what a broken model produces;
- bad, "copy model": the source copied (an untranslated output).
The flag raised is "bad" when any of the three flags fires. Reported per language and bad kind:
recall of each bad kind, and the false-flag rate on good pairs (with precision at the mix of
one good pair per bad pair). `--split dev` also fits the similarity thresholds (the 5th
percentile of the human translations' similarity per language: 95% of real translations pass)
and the length bounds.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "fixtures"))

from build_argos_model import build_package  # noqa: E402

from workbench import models, quality, store  # noqa: E402
from workbench.embed import get_embedder  # noqa: E402
from workbench.translate import DecodingOptions, ModelTranslator  # noqa: E402

DEFAULT_FLORES = REPO.parent / "shared" / "data" / "flores200"
CODES = {"ja": "jpn_Jpan", "ar": "arb_Arab", "fr": "fra_Latn", "bg": "bul_Cyrl"}


def read(folder: Path, split: str, code: str) -> list[str]:
    return (folder / split / f"{code}.{split}").read_text(encoding="utf-8").splitlines()


def next_in_article(folder: Path, split: str) -> list[int]:
    """For each line, another line of the same article (the next, or the previous at its end)."""
    urls = [row.split("\t")[0] for row in (folder / f"metadata_{split}.tsv").read_text().splitlines()[1:]]
    partner = []
    for i, url in enumerate(urls):
        if i + 1 < len(urls) and urls[i + 1] == url:
            partner.append(i + 1)
        elif i > 0 and urls[i - 1] == url:
            partner.append(i - 1)
        else:
            partner.append((i + 1) % len(urls))
    return partner


def random_model_output(lang: str, sources: list[str], workdir: Path) -> list[str]:
    package = build_package(workdir / f"{lang}_en_random.argosmodel", lang, "en", kind="random", size="tiny")
    folder = workdir / f"{lang}-random"
    import zipfile

    with zipfile.ZipFile(package) as archive:
        archive.extractall(folder)
    root = next(folder.iterdir())
    model = models.InstalledModel(lang, "en", "random", root, "fixture", "0" * 64, 0)
    return ModelTranslator(model, DecodingOptions(beam_size=1)).translate(sources)  # greedy: it rarely stops


FALSE_FLAG_RATE = 0.05


def threshold_of(good: np.ndarray) -> float:
    """The similarity that all but FALSE_FLAG_RATE of the human translations reach: a flag then
    says "below what 95% of real translations of this language score"."""
    return round(float(np.floor(np.quantile(good, FALSE_FLAG_RATE) * 1000) / 1000), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "devtest"], default="dev")
    parser.add_argument("--flores", default=str(DEFAULT_FLORES), help=f"FLORES-200 folder (default {DEFAULT_FLORES})")
    parser.add_argument("--cache", default=str(REPO / "workspace" / "eval-cache"),
                        help="workspace whose embedding cache is reused across runs")
    args = parser.parse_args()
    folder = Path(args.flores)
    embedder = get_embedder(None)
    conn = store.connect(args.cache)
    english = read(folder, args.split, "eng_Latn")
    partner = next_in_article(folder, args.split)
    started = time.perf_counter()
    rows = [f"FLORES-200 {args.split}, {len(english)} lines a language, embedder {embedder.name}", "",
            "| lang | threshold | good flagged | neighbour caught | random model caught | copy caught | "
            "precision (1 good : 1 bad) | recall (all bad) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    fitted: dict[str, float] = {}
    lengths: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for lang, code in CODES.items():
            sources = read(folder, args.split, code)
            neighbour = [english[k] for k in partner]
            random_out = random_model_output(lang, sources, Path(tmp))
            sims = {kind: quality.similarities(embedder, conn, sources, outputs)
                    for kind, outputs in (("good", english), ("neighbour", neighbour), ("random", random_out))}
            if args.split == "dev":
                fitted[lang] = threshold_of(sims["good"])
                ratios = [len(e) / len(s) for s, e in zip(sources, english)]
                low, high = np.quantile(ratios, [0.001, 0.999])
                lengths[lang] = (round(float(low), 2), round(float(high), 2))
                quality.SIMILARITY_THRESHOLDS[lang] = fitted[lang]  # measure with what was just fitted
                quality.ENGLISH_LENGTH_QUANTILES[lang] = lengths[lang]
            checker = quality.QualityChecker(embedder, conn)
            flagged = {kind: [bool(f) for f in checker.check(lang, sources, outputs)]
                       for kind, outputs in (("good", english), ("neighbour", neighbour), ("random", random_out),
                                             ("copy", sources))}
            rate = {kind: sum(v) / len(v) for kind, v in flagged.items()}
            caught = sum(sum(flagged[k]) for k in ("neighbour", "random", "copy"))
            total_bad = 3 * len(sources)
            # precision at one good pair per bad one: bad caught / (bad caught + good flagged)
            precision = rate["neighbour"] / 3 + rate["random"] / 3 + rate["copy"] / 3
            precision = precision / (precision + rate["good"]) if precision + rate["good"] else 0.0
            rows.append(f"| {lang} | {quality.similarity_threshold(lang):.3f} | {rate['good']:.3f} | "
                        f"{rate['neighbour']:.3f} | {rate['random']:.3f} | {rate['copy']:.3f} | {precision:.3f} | "
                        f"{caught / total_bad:.3f} |")
            kinds = {f.name for fs in checker.check(lang, sources, english) for f in fs}
            print(f"  {lang} done ({time.perf_counter() - started:.0f} s); flags on good pairs: {sorted(kinds)}",
                  file=sys.stderr, flush=True)
    if fitted:
        rows += ["", f"fitted on {args.split}: SIMILARITY_THRESHOLDS = {fitted}",
                 f"ENGLISH_LENGTH_QUANTILES = {lengths}"]
    print("\n".join(rows))


if __name__ == "__main__":
    main()
