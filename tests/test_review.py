from __future__ import annotations

import pytest

from workbench import cli, compare, ingest, review, store
from workbench.embed import get_embedder

from conftest import CORPUS, FR, JA


@pytest.fixture
def aligned(workspace):
    conn = store.connect(workspace)
    ingest.ingest_folder(conn, CORPUS)
    ja, fr = store.document(conn, JA), store.document(conn, FR)
    compare.align_documents(conn, ja, fr, get_embedder())
    return conn, ja, fr


def test_relinks_rewrite_units_and_decisions_survive_realignment(aligned, capsys):
    conn, ja, fr = aligned
    pair = review.load_pair(conn, ja.id, fr.id)
    kept = next(u for u in pair.units if u.src_ids and u.tgt_ids)
    review.decide(conn, ja.id, fr.id, kept, "accepted", note="same fact", reviewer="ana")
    last = len(pair.units) - 2
    review.merge_with_next(conn, pair, last, reviewer="ana")
    merged = review.load_pair(conn, ja.id, fr.id).units[last]
    assert merged.status == "edited" and merged.reviewer == "ana"

    pair = review.load_pair(conn, ja.id, fr.id)
    two_sided = next(u for u in pair.units if len(u.src_ids) + len(u.tgt_ids) >= 2 and u.src_ids and u.tgt_ids)
    before = len(pair.units)
    review.move_sentence(conn, pair, two_sided.position, "src", 1)
    assert len(review.load_pair(conn, ja.id, fr.id).units) in (before, before - 1)
    with pytest.raises(ValueError):
        review.move_sentence(conn, review.load_pair(conn, ja.id, fr.id), 0, "src", -1)

    # a restart (a new connection) sees every decision; re-aligning keeps the accepted unit
    # and reports the edited ones that the aligner does not produce
    assert cli.main(["align", JA, FR, "--out", "/dev/null"]) == 0
    again = review.load_pair(store.connect(), ja.id, fr.id)
    restored = next(u for u in again.units if (u.src_ids, u.tgt_ids) == (kept.src_ids, kept.tgt_ids))
    assert restored.status == "accepted" and restored.note == "same fact"
    err = " ".join(capsys.readouterr().err.split())
    assert "review decision(s)" in err and "edited" in err
    assert review.decisions_not_kept(conn, ja.id, fr.id)


def test_accept_all_above_and_next_unreviewed(aligned):
    conn, ja, fr = aligned
    pair = review.load_pair(conn, ja.id, fr.id)
    safe = [u.position for u in pair.units[:8] if u.src_ids and u.tgt_ids and not u.flags]
    assert len(safe) < 8  # gaps or flags among them: those are left for the analyst
    assert review.accept_all_above(conn, pair, 8, reviewer="ana") == len(safe)
    pair = review.load_pair(conn, ja.id, fr.id)
    assert [u.position for u in pair.units[:8] if u.status == "accepted"] == safe
    assert review.next_unreviewed(pair).position == min(set(range(9)) - set(safe))
    with pytest.raises(ValueError):
        review.decide(conn, ja.id, fr.id, pair.units[0], "maybe")
