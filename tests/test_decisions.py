"""Analysts' decisions are the one thing that cannot be recomputed: they stay on the sentences
they were made on, through file edits, re-alignments, relinks, undo and schema upgrades."""
from __future__ import annotations

import json
import random
import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import cli, compare, export, ingest, review, store
from workbench.align import params as align_params
from workbench.app.grid import apply_action
from workbench.embed import get_embedder
from workbench.segment import SegmentOptions

from conftest import CORPUS, FLORES, FR, JA, article, grid_data, run_page

SOLDIERS_JA, SOLDIERS_FR = "約2,000人のアサド兵", "Près de 2 000 soldats"


def unit_with(conn, pair: review.PairReview, fragment: str) -> review.ReviewUnit:
    return next(u for u in pair.units if any(fragment in pair.src.texts[i] for i in u.src_ids))


def texts_of(pair: review.PairReview, unit: review.ReviewUnit) -> tuple[list[str], list[str]]:
    return [pair.src.texts[i] for i in unit.src_ids], [pair.tgt.texts[j] for j in unit.tgt_ids]


@pytest.fixture
def edited_pair(workspace, tmp_path):
    """The ja and fr seed articles in a folder of their own, ingested and aligned."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in (JA, FR):
        shutil.copy(CORPUS / name, folder / name)
    conn = store.connect(workspace)
    ingest.ingest_folder(conn, folder)
    ja, fr = store.document(conn, JA), store.document(conn, FR)
    compare.align_documents(conn, ja, fr, get_embedder(), "parallel")
    return conn, folder, ja, fr


def realign(conn, folder, ja, fr) -> review.PairReview:
    ingest.ingest_folder(conn, folder)
    compare.align_documents(conn, store.document(conn, ja.id), store.document(conn, fr.id), get_embedder(), "parallel")
    return review.load_pair(conn, ja.id, fr.id)


def test_a_decision_follows_its_sentences_when_both_files_change(edited_pair):
    conn, folder, ja, fr = edited_pair
    pair = review.load_pair(conn, ja.id, fr.id)
    soldiers = unit_with(conn, pair, SOLDIERS_JA)
    decided = texts_of(pair, soldiers)
    review.decide(conn, ja.id, fr.id, soldiers, "accepted", note="soldiers fled to Iraq: checked", reviewer="ana")
    # a sentence inserted near the top of both articles moves every position after it
    (folder / JA).write_text(article(JA).replace("\n", "\n原油価格が急騰した。\n", 1), encoding="utf-8")
    (folder / FR).write_text(article(FR).replace("\n", "\nLes prix du pétrole ont fortement augmenté.\n", 1),
                             encoding="utf-8")
    pair = realign(conn, folder, ja, fr)
    shown = [u for u in pair.units if u.status or u.note]
    assert [texts_of(pair, u) for u in shown] == [decided]
    assert (shown[0].status, shown[0].note, shown[0].reviewer) == ("accepted", "soldiers fled to Iraq: checked", "ana")
    assert not review.orphaned(conn)

    # the French sentence itself changes: the decision is orphaned, listed with its old texts, shown nowhere
    (folder / FR).write_text((folder / FR).read_text(encoding="utf-8").replace("Près de 2 000", "Près de 3 000"),
                             encoding="utf-8")
    pair = realign(conn, folder, ja, fr)
    assert not [u for u in pair.units if u.status or u.note]
    orphans = review.orphaned(conn)
    assert [(o["src_texts"], o["tgt_texts"], o["status"]) for o in orphans] == [(*decided, "accepted")]


def test_relinks_are_proposals_split_gives_back_what_merge_joined_and_undo_restores(edited_pair, capsys):
    conn, _, ja, fr = edited_pair
    pair = review.load_pair(conn, ja.id, fr.id)
    original = [(u.src_ids, u.tgt_ids) for u in pair.units]
    first = pair.units[11]
    review.decide(conn, ja.id, fr.id, first, "accepted", reviewer="ana")
    review.merge_with_next(conn, review.load_pair(conn, ja.id, fr.id), 11, reviewer="ana")
    pair = review.load_pair(conn, ja.id, fr.id)
    merged = pair.units[11]
    assert merged.status == "edited" and not merged.reviewed
    assert review.next_unreviewed(pair).position <= 11  # still in the queue
    rows = export.export_rows(conn, reviewed_only=True)
    assert len(rows) == 0  # the accepted unit is gone into the merge; the merge is not accepted yet

    review.split(conn, pair, 11, reviewer="ana")  # the two units again, the first still accepted
    pair = review.load_pair(conn, ja.id, fr.id)
    assert [(u.src_ids, u.tgt_ids) for u in pair.units] == original
    assert pair.units[11].status == "accepted" and not pair.units[12].status

    review.decide(conn, ja.id, fr.id, pair.units[11], "", reviewer="ana")  # back to unreviewed
    assert not review.load_pair(conn, ja.id, fr.id).units[11].status
    # undo, one action at a time: the reset, the split, the merge, the accept
    assert cli.main(["review", "undo", "--reviewer", "ana"]) == 0
    assert review.load_pair(conn, ja.id, fr.id).units[11].status == "accepted"
    review.undo(conn, "ana")
    assert review.load_pair(conn, ja.id, fr.id).units[11].status == "edited"
    review.undo(conn, "ana")
    review.undo(conn, "ana")
    pair = review.load_pair(conn, ja.id, fr.id)
    assert [(u.src_ids, u.tgt_ids) for u in pair.units] == original and not any(u.status for u in pair.units)
    with pytest.raises(ValueError, match="nothing to undo"):
        review.undo(conn, "ana")
    actions = [(e["action"], e["undone"]) for e in review.log(conn)]
    assert actions[:4] == [("accepted", True), ("merge", True), ("split", True), ("reset", True)]
    assert [a for a, _ in actions[4:]] == ["undo"] * 4

    # a split of a unit the aligner made never pairs sentences the analyst did not pair
    two = next(u for u in pair.units if len(u.src_ids) + len(u.tgt_ids) > 2 and u.src_ids and u.tgt_ids)
    review.split(conn, pair, two.position, reviewer="ana")
    pieces = review.load_pair(conn, ja.id, fr.id).units[two.position:two.position + len(two.src_ids + two.tgt_ids)]
    assert all(not (u.src_ids and u.tgt_ids) and u.status == "edited" for u in pieces)


def test_review_cli_lists_decides_in_bulk_and_writes_the_log(edited_pair, tmp_path, capsys):
    conn, _, ja, fr = edited_pair
    assert cli.main(["review", "list", JA, FR, "--json"]) == 0
    units = json.loads(capsys.readouterr().out)
    assert units[0]["status"] == "unreviewed" and {"unit", "src_text", "tgt_text", "confidence"} <= set(units[0])
    assert cli.main(["review", "accept", JA, FR, "0", "1", "--note", "ok", "--reviewer", "ana"]) == 0
    assert cli.main(["review", "reject", JA, FR, "2", "--reviewer", "bo"]) == 0
    safe = [u for u in units[3:] if u["confidence"] >= 0.9 and not u["flags"] and u["src_ids"] and u["tgt_ids"]]
    assert cli.main(["review", "accept", JA, FR, "--min-confidence", "0.9", "--unflagged", "--reviewer", "ana"]) == 0
    pair = review.load_pair(conn, ja.id, fr.id)
    assert [(u.status, u.reviewer, u.note) for u in pair.units[:3]] == [
        ("accepted", "ana", "ok"), ("accepted", "ana", "ok"), ("rejected", "bo", "")]
    assert sum(u.status == "accepted" for u in pair.units) == 2 + len(safe)
    assert cli.main(["review", "accept", JA, FR, "999"]) == 2
    assert cli.main(["review", "log", "--out", str(tmp_path / "log.jsonl")]) == 0
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["reviewer"] for e in log] == ["ana", "ana", "bo"] + (["ana"] if safe else [])
    assert log[0]["src_path"] == JA
    assert cli.main(["review", "orphaned", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_the_ui_asks_for_a_name_before_the_first_decision_and_keeps_it(populated):
    conn, ja, fr = populated
    at = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id), reviewer="")
    assert not grid_data(at)["enabled"]  # the grid offers no decision (the browser test clicks it)
    assert any("Enter your name" in str(i.value) for i in at.info)
    unit = review.load_pair(conn, ja.id, fr.id).units[0]
    accept = {"id": 1, "page": "p1", "op": "decide", "status": "accepted", "position": 0,
              "src_ids": unit.src_ids, "tgt_ids": unit.tgt_ids}
    with pytest.raises(ValueError, match="Reviewer"):
        apply_action(conn, (ja.id, fr.id), accept, "")
    at = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id), reviewer="ana")
    assert grid_data(at)["enabled"]
    apply_action(conn, (ja.id, fr.id), accept, "ana")
    assert review.load_pair(conn, ja.id, fr.id).units[0].reviewer == "ana"
    again = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id), reviewer="ana")  # a reload
    assert again.sidebar.text_input[0].value == "ana" and grid_data(again)["can_undo"]
    message, _ = apply_action(conn, (ja.id, fr.id), {"id": 2, "page": "p1", "op": "undo", "position": None}, "ana")  # Z
    assert not review.load_pair(conn, ja.id, fr.id).units[0].status
    assert message.startswith("Undone: accepted by ana")


def test_a_request_the_page_sends_again_is_applied_once(populated):
    """A page whose acknowledgement was lost (its websocket reconnected to a new server session,
    whose count of applied requests starts at 0) sends its pending requests again: the
    workspace, not the session, knows they were applied."""
    conn, ja, fr = populated
    ids = (ja.id, fr.id)
    unit = review.load_pair(conn, *ids).units[0]
    on_unit = {"position": 0, "src_ids": unit.src_ids, "tgt_ids": unit.tgt_ids}
    accept = {"id": 1733000000001, "page": "tab-a", "op": "decide", "status": "accepted", **on_unit}
    reset = {"id": 1733000000002, "page": "tab-a", "op": "decide", "status": "", **on_unit}
    for request in (accept, reset, accept, reset, accept):  # the second session gets both again
        apply_action(conn, ids, request, "ana")
    assert [e["action"] for e in review.log(conn)] == ["accepted", "reset"]
    assert not review.load_pair(conn, *ids).units[0].status
    # the same sequence number from another tab is another request
    apply_action(conn, ids, {**accept, "page": "tab-b"}, "ana")
    assert [e["action"] for e in review.log(conn)] == ["accepted", "reset", "accepted"]
    # a refused request is not recorded: nothing of it was applied
    apply_action(conn, ids, {"id": 3, "page": "tab-a", "op": "merge", **on_unit}, "ana")
    stale = {"id": 4, "page": "tab-a", "op": "decide", "status": "rejected", **on_unit}
    with pytest.raises(ValueError, match="changed before"):
        apply_action(conn, ids, stale, "ana")
    assert not store.request_applied(conn, *ids, "tab-a:4")
    assert store.request_applied(conn, *ids, "tab-a:3")


def test_a_workspace_of_the_first_schema_is_upgraded_with_its_decisions(edited_pair, tmp_path):
    conn, _, ja, fr = edited_pair
    pair = review.load_pair(conn, ja.id, fr.id)
    soldiers = unit_with(conn, pair, SOLDIERS_JA)
    # A workspace as the first schema made it: reviews keyed by sentence positions.
    old = tmp_path / "old"
    old.mkdir()
    legacy = sqlite3.connect(old / store.DB_NAME)
    legacy.executescript(store.SCHEMA)
    legacy.execute("ATTACH DATABASE ? AS new", (str(store.workspace_dir(None) / store.DB_NAME),))
    for table in ("documents", "sentences", "alignments", "units"):
        legacy.execute(f"INSERT INTO {table} SELECT * FROM new.{table}")
    legacy.execute("INSERT INTO reviews VALUES (?,?,?,?,?,?,?,?)",
                   (ja.id, fr.id, json.dumps(soldiers.src_ids), json.dumps(soldiers.tgt_ids), "accepted",
                    "checked", "ana", "2026-11-20T10:00:00+00:00"))
    legacy.commit()
    legacy.execute("DETACH DATABASE new")
    assert legacy.execute("PRAGMA user_version").fetchone()[0] == 0
    legacy.close()

    upgraded = store.connect(old)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    tables = {r[0] for r in upgraded.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "reviews" not in tables and {"decisions", "review_log"} <= tables
    again = unit_with(upgraded, review.load_pair(upgraded, ja.id, fr.id), SOLDIERS_JA)
    assert (again.status, again.note, again.reviewer) == ("accepted", "checked", "ana")
    for bad in ("UPDATE decisions SET status = 'maybe'", "UPDATE units SET flags = 'number_mismatch'",
                "UPDATE units SET score = 1.5"):  # the database checks what the code assumes
        with pytest.raises(sqlite3.IntegrityError):
            upgraded.execute(bad)


FRENCH = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()
ENGLISH = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_no_decision_is_ever_shown_on_a_sentence_whose_text_differs(workspace, tmp_path_factory, seed):
    rng = random.Random(seed)
    folder = tmp_path_factory.mktemp("edits")
    conn = store.connect(workspace)
    french, english = FRENCH[:12], ENGLISH[:12]
    spare = list(range(12, 300))
    for round_number in range(3):
        (folder / "a.txt").write_text("\n".join(french) + "\n", encoding="utf-8")
        (folder / "b.txt").write_text("\n".join(english) + "\n", encoding="utf-8")
        ingest.ingest_folder(conn, folder, options=SegmentOptions(one_per_line=True))
        a, b = store.document(conn, str(folder / "a.txt")), store.document(conn, str(folder / "b.txt"))
        compare.align_documents(conn, a, b, get_embedder(), "parallel")
        pair = review.load_pair(conn, a.id, b.id)
        decided = {json.dumps(texts_of(pair, u)): u.status for u in pair.units if u.status}
        for u in pair.units:  # every unit that shows a decision shows it on the texts it was made on
            if u.status:
                assert json.dumps(texts_of(pair, u)) in decided
        for unit in rng.sample(pair.units, 3):
            review.decide(conn, a.id, b.id, unit, rng.choice(["accepted", "rejected"]), reviewer="p")
        stored = {(tuple(json.loads(r["src_texts"])), tuple(json.loads(r["tgt_texts"])), r["status"])
                  for r in conn.execute("SELECT * FROM decisions")}
        for side in (french, english):  # insert, delete or change sentences on each side
            for _ in range(rng.randint(1, 3)):
                k = rng.randrange(len(side))
                edit = rng.choice(["insert", "delete", "change"])
                line = spare.pop(rng.randrange(len(spare)))
                if edit == "insert":
                    side.insert(k, (FRENCH if side is french else ENGLISH)[line])
                elif edit == "delete" and len(side) > 4:
                    del side[k]
                else:
                    side[k] = (FRENCH if side is french else ENGLISH)[line]
        (folder / "a.txt").write_text("\n".join(french) + "\n", encoding="utf-8")
        (folder / "b.txt").write_text("\n".join(english) + "\n", encoding="utf-8")
        ingest.ingest_folder(conn, folder, options=SegmentOptions(one_per_line=True))
        compare.align_documents(conn, store.document(conn, a.id), store.document(conn, b.id), get_embedder(),
                                "parallel")
        pair = review.load_pair(conn, a.id, b.id)
        for u in pair.units:
            if u.status:
                src, tgt = texts_of(pair, u)
                assert (tuple(src), tuple(tgt), u.status) in stored, (round_number, src, tgt)


def test_compare_says_when_the_english_changed_since_the_alignment(populated):
    conn, ja, fr = populated
    at = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id))
    assert not [w for w in at.warning if "have changed since" in str(w.value)]
    # English arrives for the French article (as a translate run with a new model would write it)
    store.save_translations(conn, [(fr.id, s.index, f"English of {s.index}", "argos:fr-en@9#test")
                                   for s in fr.sentences if not s.boilerplate])
    at = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id))
    assert [w for w in at.warning if "have changed since" in str(w.value)]
    at.button(key="realign").click().run()
    assert not [w for w in at.warning if "have changed since" in str(w.value)]


def test_an_alignment_of_an_earlier_aligner_revision_is_aligned_again_with_its_decisions(edited_pair, monkeypatch,
                                                                                         capsys):
    """A change to the aligner's code that changes its output raises align.params.REVISION: stored
    alignments made before are no longer current, and align-all makes them again once."""
    conn, _, ja, fr = edited_pair
    pair = review.load_pair(conn, ja.id, fr.id)
    soldiers = unit_with(conn, pair, SOLDIERS_JA)
    review.decide(conn, ja.id, fr.id, soldiers, "accepted", reviewer="ana")
    stored = review.aligned_pair(conn, ja.id, fr.id).signature
    assert stored["aligner"]["revision"] == align_params.REVISION
    assert compare.is_current(conn, ja, fr, get_embedder(), "parallel")
    assert cli.main(["align-all", "--mode", "parallel"]) == 0
    assert "1 of 1 pairs were already aligned" in " ".join(capsys.readouterr().err.split())
    monkeypatch.setattr(align_params, "REVISION", align_params.REVISION + 1)
    assert not compare.is_current(conn, ja, fr, get_embedder(), "parallel")
    assert cli.main(["align-all", "--mode", "parallel"]) == 0
    assert "already aligned" not in " ".join(capsys.readouterr().err.split())
    assert review.aligned_pair(conn, ja.id, fr.id).signature["aligner"]["revision"] == align_params.REVISION
    assert compare.is_current(conn, ja, fr, get_embedder(), "parallel")
    realigned = review.load_pair(conn, ja.id, fr.id)
    assert unit_with(conn, realigned, SOLDIERS_JA).status == "accepted"


def test_an_upgrade_reads_every_stored_number_flag_again_by_the_current_rule(edited_pair):
    """Flags stored by an older rule (a workspace of the schema before: before Swiss thousands were
    read; v9 ones, before halves and Arabic duals of units of time; v8 ones, before counted decades
    and ranges that write their scale once; v7 ones, before dozens; v6 ones, before numbers in words
    and the one-sided threshold)
    are read again on opening, so that "accept unflagged" goes by the rule shown."""
    conn, _, ja, fr = edited_pair
    compare.compute_links(conn, [ja, fr], get_embedder())
    current = {(u.position, tuple(u.flags)) for u in review.load_pair(conn, ja.id, fr.id).units}
    links = conn.execute("SELECT doc, idx, other_doc, flags FROM links ORDER BY doc, idx, other_doc").fetchall()
    assert links and any(flags for _, flags in current) and any(not flags for _, flags in current)
    # the old rule's flags: every linked unit and link flagged one way, the flagged ones not at all
    conn.execute("UPDATE units SET flags = CASE WHEN flags = '[]' AND json_array_length(src_ids) > 0 AND "
                 "json_array_length(tgt_ids) > 0 THEN '[\"number_one_sided\"]' ELSE '[]' END")
    conn.execute("UPDATE links SET flags = CASE WHEN flags = '[]' THEN '[\"number_mismatch\"]' ELSE '[]' END")
    conn.execute("PRAGMA user_version = 10")  # v11 reads them again (v10, v9, v8 and v7 did for older ones)
    conn.close()

    upgraded = store.connect(store.workspace_dir(None))
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert {(u.position, tuple(u.flags)) for u in review.load_pair(upgraded, ja.id, fr.id).units} == current
    assert upgraded.execute("SELECT doc, idx, other_doc, flags FROM links ORDER BY doc, idx, other_doc"
                            ).fetchall() == links
