"""Background jobs for the UI: a worker process per job, reporting progress into the workspace.

The browser session can rerun, reload or close; the worker goes on and its progress is in SQLite
for whoever looks next.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import traceback
from pathlib import Path

from . import compare, store, translate
from .embed import get_embedder
from .processes import is_gone
from .quality import QualityChecker

KINDS = ("translate", "align")
UNFINISHED = ("queued", "running")
_workers: dict[int, subprocess.Popen] = {}  # started by this process; poll() also reaps them


def start(workspace: str | os.PathLike, kind: str, doc_ids: list[int]) -> int:
    """Record a job and start its worker process; returns the job id."""
    if kind not in KINDS:
        raise ValueError(f"job kind must be one of {KINDS}")
    conn = store.connect(workspace)
    job_id = store.create_job(conn, kind, {"docs": doc_ids})
    log = store.workspace_dir(workspace) / f"job-{job_id}.log"
    # The worker imports this same workbench, whether it is installed or run from a source tree.
    importable = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                               os.environ.get("PYTHONPATH")]))
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench", "job", str(job_id), "--workspace", str(Path(workspace).resolve())],
            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ,
                                                                                  "PYTHONPATH": importable})
    store.update_job(conn, job_id, pid=process.pid)
    _workers[job_id] = process
    return job_id


def run(workspace: str | os.PathLike, job_id: int) -> int:
    """The worker: do the job, writing progress as it goes. Exit code 0 on success."""
    conn = store.connect(workspace)
    job = store.job(conn, job_id)
    if job is None:
        return 2
    docs = [store.document(conn, doc_id) for doc_id in job["args"]["docs"]]
    docs = [d for d in docs if d is not None]
    store.update_job(conn, job_id, status="running", pid=os.getpid())
    try:
        if job["kind"] == "translate":
            message = _translate(conn, job_id, docs)
        else:
            message = _align(conn, job_id, docs)
        store.update_job(conn, job_id, status="done", message=message)
        return 0
    except Exception as error:  # the job row must say what happened; the log has the rest
        traceback.print_exc()
        store.update_job(conn, job_id, status="failed", message=f"{type(error).__name__}: {error}")
        return 1


def _translate(conn: sqlite3.Connection, job_id: int, docs) -> str:
    translators = translate.translators_to_english()
    total = translate.count_pending(conn, docs, translators)
    store.update_job(conn, job_id, total=total)
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        done += n
        store.update_job(conn, job_id, done=done)

    report = translate.translate_documents(conn, docs, translators, progress,
                                           checker=QualityChecker(get_embedder(), conn))
    flagged = sum(report.flagged_sentences.values())
    parts = [f"translated {report.translated}, {report.cached} from cache, {report.english} English, "
             f"{flagged} English sentences flagged"]
    return "; ".join(parts + report.missing_lines())


def _align(conn: sqlite3.Connection, job_id: int, docs) -> str:
    embedder = get_embedder()

    def progress(done: int, total: int, a, b, kept: bool) -> None:
        store.update_job(conn, job_id, done=done, total=total + 1)  # + 1: the links

    # the selected documents join the stories of the whole workspace: an uploaded article is aligned
    # with the earlier reports of its story, not only with the other uploads
    _, pairs = compare.align_stories(conn, store.documents(conn), embedder, on_pair=progress,
                                     involving={d.id for d in docs})
    compare.compute_links(conn, store.documents(conn), embedder)
    store.update_job(conn, job_id, done=len(pairs) + 1)
    return (f"aligned the {len(pairs)} cross-language pairs of the workspace's stories that include the "
            f"{len(docs)} selected document(s); links updated")


def _worker_gone(job: dict) -> str | None:
    """Why an unfinished job's worker no longer runs (killed, crashed), or None if it may still run."""
    process = _workers.get(job["id"])
    if process is not None:
        code = process.poll()
        return None if code is None else f"the worker stopped (exit code {code})"
    if job["pid"] is not None and is_gone(job["pid"]):  # started by an earlier run of the app
        return "the worker is gone"
    return None


def recent(conn: sqlite3.Connection, limit: int = 10) -> list[dict]:
    """The latest jobs; one whose worker was killed says so instead of running forever."""
    for row in store.recent_jobs(conn, limit):
        reason = row["status"] in UNFINISHED and _worker_gone(row)
        if reason:
            with store.transaction(conn):
                still = store.job(conn, row["id"])
                if still and still["status"] in UNFINISHED:  # the worker may have finished between the reads
                    store.update_job(conn, row["id"], status="interrupted",
                                     message=f"{reason}; finished work is kept, start the job again to resume")
    return store.recent_jobs(conn, limit)
