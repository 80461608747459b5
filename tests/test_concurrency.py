"""The UI's review writes and a command-line translate on one workspace at the same time:
no "database is locked" reaches either side and no decision is lost (SQLite WAL, busy timeout,
short transactions)."""
from __future__ import annotations

import os
import subprocess
import sys

from workbench import review
from workbench.app.grid import apply_action

from conftest import REPO, install, japanese_editions, run_page


def test_review_in_the_ui_while_translate_commits(populated, tmp_path, fixture_models, models_dir):
    conn, ja, fr = populated  # the seed articles, ja-fr aligned, $WORKBENCH_WORKSPACE set
    install(models_dir, fixture_models, "ja")
    folder = japanese_editions(tmp_path / "more", 6)

    at = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id))
    translate = subprocess.Popen(
        [sys.executable, "-m", "workbench", "translate", str(folder), "--commit-every", "2", "--threads", "1",
         "--no-similarity-check"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    accepted, noted, overlapping = [], [], 0
    while translate.poll() is None or len(accepted) < 3:
        running = translate.poll() is None
        target = review.next_unreviewed(review.load_pair(conn, ja.id, fr.id))
        if target is None:  # every unit decided: let the translation finish
            break
        # what the grid sends for A on that row, then the page as it reruns
        apply_action(conn, (ja.id, fr.id), {"id": len(accepted) + 1, "page": "p1", "op": "decide",
                                            "status": "accepted", "position": target.position,
                                            "src_ids": target.src_ids, "tgt_ids": target.tgt_ids}, "tester")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        accepted.append(target.position)
        unit = review.load_pair(conn, ja.id, fr.id).units[-1 - len(noted)]
        review.decide(conn, ja.id, fr.id, unit, note=f"note {len(noted)}")  # what "Save note" calls
        noted.append(unit.position)
        overlapping += running and translate.poll() is None
    _, err = translate.communicate(timeout=300)

    assert translate.returncode == 0, err
    assert "locked" not in err and "Traceback" not in err
    assert overlapping >= 3, "the review clicks did not overlap the translation"
    units = review.load_pair(conn, ja.id, fr.id).units
    assert sorted(u.position for u in units if u.status == "accepted") == sorted(accepted)
    assert {u.position: u.note for u in units if u.note} == {p: f"note {i}" for i, p in enumerate(noted)}
    assert conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0] == conn.execute(
        "SELECT COUNT(*) FROM sentences s JOIN documents d ON d.id = s.doc_id "
        "WHERE NOT s.boilerplate AND d.path GLOB 'ja-[0-9]*'").fetchone()[0]
