"""Crash-safety: SIGKILL at random points, several times, then a rerun that finishes must leave
exactly what one uninterrupted run leaves: the same outputs, no duplicate rows."""
from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench import ingest, jobs, store
from workbench.outputs import write_atomically

from conftest import CORPUS, REPO, from_template, install, japanese_editions

KILLS = 3


def environment(workspace: Path, models: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "WORKBENCH_WORKSPACE": str(workspace)}
    if models is not None:
        env["WORKBENCH_MODELS"] = str(models)
    return env


def kill_until_done(command: list[str], env: dict[str, str], total: int, rng: random.Random,
                    progress: Callable[[], int]) -> list[int]:
    """Run ``command`` and SIGKILL it as soon as its committed progress passes a random share of
    ``total`` (what an uninterrupted run ends with), ``KILLS`` times at rising shares, then let a
    run finish. Kills follow progress, not the clock: a slow start (imports, model loading) cannot
    make every kill land before the first commit. Returns the progress seen at each kill."""
    seen = []
    for share in sorted(rng.uniform(0.15, 0.85) for _ in range(KILLS)):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while process.poll() is None and progress() < share * total:
            time.sleep(0.02)
        if process.poll() is not None:  # finished before reaching the share: nothing left to interrupt
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        seen.append(progress())
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    return seen


def count(db: Path, query: str) -> int:
    """A count in a workspace a run may still be creating (no tables yet: nothing done yet)."""
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            return conn.execute(query).fetchone()[0]
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return 0
            raise


def test_translate_killed_at_random_points_ends_as_one_clean_run(tmp_path, fixture_models, models_dir):
    install(models_dir, fixture_models, "ja")
    folder = japanese_editions(tmp_path / "articles", 10)

    def command(out: Path) -> list[str]:
        return [sys.executable, "-m", "workbench", "translate", str(folder), "--out", str(out),
                "--commit-every", "8", "--threads", "1", "--no-similarity-check", "--quality", "fast"]

    done = subprocess.run(command(tmp_path / "reference"), env=environment(tmp_path / "ws-reference", models_dir),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    db = tmp_path / "ws" / store.DB_NAME
    translated = "SELECT COUNT(*) FROM translations"
    total = count(tmp_path / "ws-reference" / store.DB_NAME, "SELECT COUNT(*) FROM sentences WHERE NOT boilerplate")
    seen = kill_until_done(command(tmp_path / "out"), environment(tmp_path / "ws", models_dir), total,
                           random.Random(7), lambda: count(db, translated) if db.exists() else 0)

    assert len(seen) == KILLS and all(0 < n < total for n in seen), (seen, total)
    assert count(db, translated) == total  # one row per sentence: the primary key forbids more
    assert count(db, "SELECT COUNT(*) FROM translation_cache") == count(
        db, "SELECT COUNT(DISTINCT text) FROM sentences WHERE NOT boilerplate")
    reference = sorted(p.relative_to(tmp_path / "reference") for p in (tmp_path / "reference").rglob("*"))
    assert reference == sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*"))
    for path in reference:
        assert (tmp_path / "out" / path).read_bytes() == (tmp_path / "reference" / path).read_bytes(), path


def test_align_all_killed_at_random_points_ends_as_one_clean_run(tmp_path, embedding_template):
    # Half the seed articles' vectors are cached already: embedding work is still there to
    # interrupt, at half the cost of a cold start.
    ingested = from_template(embedding_template, tmp_path / "ws-ingested")
    with sqlite3.connect(ingested / store.DB_NAME) as db:
        db.execute("DELETE FROM embedding_cache WHERE rowid % 2 = 0")
    subprocess.run([sys.executable, "-m", "workbench", "ingest", str(CORPUS)], env=environment(ingested),
                   check=True, capture_output=True)
    for name in ("ws-reference", "ws"):
        shutil.copytree(ingested, tmp_path / name)
    align_all = [sys.executable, "-m", "workbench", "align-all"]
    subprocess.run(align_all, env=environment(tmp_path / "ws-reference"), check=True, capture_output=True)
    db = tmp_path / "ws" / store.DB_NAME
    progress = "SELECT (SELECT COUNT(*) FROM embedding_cache) + (SELECT COUNT(*) FROM alignments)"
    total = count(tmp_path / "ws-reference" / store.DB_NAME, progress)
    seen = kill_until_done(align_all, environment(tmp_path / "ws"), total, random.Random(11),
                           lambda: count(db, progress))
    assert len(seen) == KILLS and all(0 < n < total for n in seen), (seen, total)

    def exported(workspace: str) -> bytes:
        out = tmp_path / f"{workspace}.jsonl"
        subprocess.run([sys.executable, "-m", "workbench", "export", "--format", "jsonl", "--out", str(out)],
                       env=environment(tmp_path / workspace), check=True, capture_output=True)
        return out.read_bytes()

    assert exported("ws") == exported("ws-reference") != b""
    for query in ("SELECT COUNT(*) FROM alignments", "SELECT COUNT(*) FROM units",
                  "SELECT COUNT(*) FROM embedding_cache"):
        assert count(db, query) == count(tmp_path / "ws-reference" / store.DB_NAME, query), query


def test_a_killed_background_job_says_so_and_a_new_one_resumes(tmp_path, fixture_models, models_dir):
    install(models_dir, fixture_models, "ja")
    ws = tmp_path / "ws"
    conn = store.connect(ws)
    docs = [r.doc_id for r in ingest.ingest_folder(conn, japanese_editions(tmp_path / "articles", 4))]
    job = jobs.start(ws, "translate", docs)
    deadline = time.monotonic() + 120
    while count(ws / store.DB_NAME, "SELECT COUNT(*) FROM translations") < 64:
        assert time.monotonic() < deadline and jobs.recent(conn)[0]["status"] in jobs.UNFINISHED
        time.sleep(0.1)
    os.kill(conn.execute("SELECT pid FROM jobs WHERE id = ?", (job,)).fetchone()[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while (row := jobs.recent(conn)[0])["status"] != "interrupted":
        assert time.monotonic() < deadline, row
        time.sleep(0.1)
    assert row["message"].startswith("the worker stopped (exit code -9); finished work is kept")

    again = jobs.start(ws, "translate", docs)
    while (row := jobs.recent(conn)[0])["status"] in jobs.UNFINISHED:
        time.sleep(0.2)
    assert (row["id"], row["status"]) == (again, "done"), row
    assert count(ws / store.DB_NAME, "SELECT COUNT(*) FROM translations") == count(
        ws / store.DB_NAME, "SELECT COUNT(*) FROM sentences WHERE NOT boilerplate")


def test_an_output_is_replaced_whole_and_leftovers_of_a_killed_write_go(tmp_path, monkeypatch):
    target = tmp_path / "out" / "pairs.csv"
    write_atomically(target, b"first version\n")
    leftover = tmp_path / "out" / ".pairs.csv.x1y2.partial"  # what a run killed mid-write leaves
    leftover.write_bytes(b"half of")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomically(target, b"second version\n")
    assert target.read_bytes() == b"first version\n"  # never half of the second
    monkeypatch.undo()
    write_atomically(target, b"third version\n")
    assert target.read_bytes() == b"third version\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["pairs.csv"]
