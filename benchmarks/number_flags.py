"""False number flags on true translations: every FLORES-200 line against the same line in each
other language (en, fr, bg, ar, ja: ten pairs). The lines are translations of one another, so a
flag is a false alarm unless the translator converted a unit ("6.34 inches" / "17 cm").

  python benchmarks/number_flags.py --split dev
  python benchmarks/number_flags.py --split devtest

Printed per pair and pooled: line pairs where either side states a number, how many are flagged
number_mismatch / number_one_sided, and beside it, as the baseline of the same run, the count if
any number on one side only were flagged (ONE_SIDED_FROM at 0).
"""
from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from alignment_eval import CODES, flores_dir, load  # noqa: E402

from workbench.anchors import ONE_SIDED_FROM, anchors, number_flags  # noqa: E402


def count(lines: dict[str, list[str]], a: str, b: str, one_sided_from: float) -> Counter:
    found: Counter = Counter()
    for text_a, text_b in zip(lines[a], lines[b]):
        x, y = anchors(text_a), anchors(text_b)
        if x.numbers or y.numbers:
            found["with numbers"] += 1
            for flag in number_flags(x, y, one_sided_from):
                found[flag] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "devtest"], default="dev")
    parser.add_argument("--flores", metavar="DIR", help="FLORES-200 folder (default: ../shared/data/flores200)")
    args = parser.parse_args()
    lines, _ = load(flores_dir(args.flores), args.split)
    pairs = list(itertools.combinations(sorted(CODES), 2))
    totals: dict[str, Counter] = {"in use": Counter(), "baseline": Counter()}
    print("| pair | lines with numbers | mismatch | one-sided | flagged | flagged, any one-sided number |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for a, b in pairs:
        in_use, baseline = count(lines, a, b, ONE_SIDED_FROM), count(lines, a, b, 0)
        totals["in use"].update(in_use)
        totals["baseline"].update(baseline)
        flagged = in_use["number_mismatch"] + in_use["number_one_sided"]
        flagged_before = baseline["number_mismatch"] + baseline["number_one_sided"]
        print(f"| {a}-{b} | {in_use['with numbers']} | {in_use['number_mismatch']} | {in_use['number_one_sided']} "
              f"| {flagged} | {flagged_before} |")
    used, base = totals["in use"], totals["baseline"]
    flagged = used["number_mismatch"] + used["number_one_sided"]
    flagged_before = base["number_mismatch"] + base["number_one_sided"]
    print(f"\nFLORES-200 {args.split}, {len(lines['en'])} lines x {len(pairs)} pairs: {used['with numbers']} line pairs "
          f"with numbers; flagged {flagged} ({flagged / used['with numbers']:.1%}: mismatch {used['number_mismatch']}, "
          f"one-sided {used['number_one_sided']}, ONE_SIDED_FROM={ONE_SIDED_FROM}); any one-sided "
          f"number flagged: {flagged_before} ({flagged_before / used['with numbers']:.1%})")


if __name__ == "__main__":
    main()
