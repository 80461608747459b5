"""Command line: ``python -m workbench COMMAND``. Every command is a thin shell over the library."""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys

from .. import __version__
from ..store import WorkspaceError
from . import alignment, corpus, decisions, review, translation
from .common import EXIT_INTERNAL, EXIT_OK, EXIT_OUTPUT, EXIT_USAGE, EXIT_WORKSPACE, UsageError, console, shown

FLOW = """\
The flow: ingest a folder of articles, translate it into English, align documents that
report the same story, then review the pairs in the browser and export them.

  python -m workbench ingest workbench/samples/syria-2024-12      read, detect languages, split sentences
  python -m workbench documents                           what the workspace holds
  python -m workbench sentences 1                         one document's sentences and spans
  python -m workbench models install ja ar fr bg          X->en models from the argos index
  python -m workbench models add ja_en.argosmodel         ... or from downloaded files
  python -m workbench translate workbench/samples/syria-2024-12     every non-English sentence into English
  python -m workbench align-all                           group stories, align every cross-language pair
  python -m workbench align ja-rebels-enter-damascus.txt fr-rebelles-damas-statue.txt --out pairs.jsonl
  python -m workbench links --out links.jsonl             each sentence as reported in the other documents
  python -m workbench score gold/ out/                    F1 against gold links (align --format vecalign)
  python -m workbench ui                                  review side by side in the browser
  python -m workbench review list ja-rebels-enter-damascus.txt fr-rebelles-damas-statue.txt
  python -m workbench review accept ja-rebels-enter-damascus.txt fr-rebelles-damas-statue.txt 3 4 --note checked
  python -m workbench review undo                          take back the last decision or relink
  python -m workbench export --format tmx --reviewed-only --out pairs.tmx

Or all at once, on the built-in samples: python -m workbench start

Everything lives in a workspace directory (--workspace, or $WORKBENCH_WORKSPACE, default ./workspace).
A file or folder name that starts with a dash goes after `--`: python -m workbench sentences -- -notes.txt

Exit codes: 0 done; 1 done, but some files or languages could not be used (each is named with
the reason); 2 bad arguments; 3 internal error (WORKBENCH_DEBUG=1 shows the traceback);
4 the workspace cannot be opened or written (damaged database, disk full, locked past the
timeout); 5 an output file or folder cannot be written; 130 interrupted (finished work is kept:
run the command again to resume).
"""


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

    for module in (corpus, translation, alignment, review, decisions):
        module.register(add, sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as error:
        console.print(f"[red]error:[/] {shown(error)}", soft_wrap=True)
        return EXIT_USAGE
    except WorkspaceError as error:
        console.print(f"[red]error:[/] {shown(error)}", soft_wrap=True)
        return EXIT_WORKSPACE
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; finished work is saved in the workspace, run again to resume[/]")
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
    except sqlite3.Error as error:  # the workspace database: disk full, busy beyond the timeout, ...
        console.print(f"[red]error:[/] the workspace database: {shown(error)}. Finished work is saved; "
                      "run the command again to resume.", soft_wrap=True)
        return EXIT_WORKSPACE
    except OSError as error:  # an output path that cannot be written, a full disk, ...
        console.print(f"[red]error:[/] {shown(error)}", soft_wrap=True)
        return EXIT_OUTPUT
    except Exception as error:  # a bug: one line for the user, the traceback when asked for
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        console.print(f"[red]internal error:[/] {type(error).__name__}: {shown(error)}. Finished work is saved "
                      "in the workspace. Run again with WORKBENCH_DEBUG=1 to see the traceback, and report it.",
                      soft_wrap=True)
        return EXIT_INTERNAL


def run() -> None:
    """The `workbench` command (pyproject.toml) and `python -m workbench`."""
    sys.exit(main())
