"""Alignment speed of this tree against an earlier commit, in one run on one machine.

  python benchmarks/align_speed.py --baseline 26b085a

Aligns FLORES-200 dev ja (997 sentences) with en, in parallel and comparable mode, originals only
and with English on both sides (FLORES's own English for ja, for fr), embeddings cached (each case
is run once to fill the cache, then timed), first with the baseline commit (checked out into a
temporary git worktree and run in its own process), then with this tree. Prints the seconds and
the ratio, and whether both gave the same units.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from worktree import checked_out

REPO = Path(__file__).resolve().parent.parent

# Run inside each tree's own interpreter process: prints one JSON line per case.
CASES = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[1] + "/benchmarks")
import alignment_eval as ae
from workbench import store
from workbench.align import Side, align
from workbench.embed import get_embedder
embedder, conn = get_embedder(), store.connect(sys.argv[2])
lines, _ = ae.load(ae.flores_dir(sys.argv[3]), "dev")
n = len(lines["ja"])
cases = {"originals only": (Side(lines["ja"], "ja", [None] * n), Side(lines["en"], "en", [None] * n)),
         "with English": (Side(lines["ja"], "ja", lines["en"]), Side(lines["fr"], "fr", lines["en"]))}
for mode in ("parallel", "comparable"):
    for name, (src, tgt) in cases.items():
        align(src, tgt, embedder, conn, mode)  # fills the embedding cache
        started = time.perf_counter()
        result = align(src, tgt, embedder, conn, mode)
        print(json.dumps({"case": f"{mode}, {name}", "seconds": time.perf_counter() - started,
                          "units": [[u.src_ids, u.tgt_ids] for u in result.units]}), flush=True)
"""


def timings(tree: Path, cache: str, flores: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-c", CASES, str(tree), cache, flores], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"aligning with {tree} failed:\n{done.stderr[-2000:]}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, metavar="REV", help="the commit to compare with")
    parser.add_argument("--flores", default=str(REPO.parent / "shared" / "data" / "flores200"), metavar="DIR",
                        help="FLORES-200 folder (default: ../shared/data/flores200)")
    parser.add_argument("--cache", default=str(REPO / "workspace" / "eval-cache"),
                        help="workspace whose embedding cache both trees use")
    args = parser.parse_args()
    with checked_out(args.baseline) as baseline_tree:
        before = timings(baseline_tree, args.cache, args.flores)
    after = timings(REPO, args.cache, args.flores)
    print(f"FLORES-200 dev ja ({len(after[0]['units'])} units), embeddings cached; baseline {args.baseline}")
    for old, new in zip(before, after):
        print(f"  {new['case']:<32} baseline {old['seconds']:6.2f} s   this tree {new['seconds']:6.2f} s   "
              f"{old['seconds'] / new['seconds']:.2f}x   same units: {old['units'] == new['units']}")


if __name__ == "__main__":
    main()
