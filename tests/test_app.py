from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench import compare, export, ingest, jobs, review, store
from workbench.app.grid import apply_action
from workbench.embed import get_embedder

from conftest import APP, BG, FLORES, FR, HOSTILE, JA, PAGES, REPO, SHORT, TIMEOUT, grid_data, run_page
from fixtures.build_argos_model import build_package


@pytest.fixture
def models_dir_with_ja(tmp_path, monkeypatch):
    directory = tmp_path / "models"
    build_package(directory / "ja_en.argosmodel", "ja", "en")
    monkeypatch.setenv("WORKBENCH_MODELS", str(directory))
    return directory


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_an_empty_workspace(page, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(tmp_path / "empty"))
    at = run_page(page)
    text = " ".join(str(m.value) for m in at.info) + " ".join(str(m.value) for m in at.markdown)
    if page in ("views/corpus.py", "views/compare.py", "views/facts.py"):
        assert "ingest" in text.lower()  # tells a new user what to do next


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_a_populated_workspace(page, populated):
    at = run_page(page)
    if page == "views/corpus.py":  # a new user is told where to go next
        links = [link.proto.label for link in at.get("page_link")]
        assert any("Review the 1 aligned document pair" in label for label in links), links


def test_compare_grid_shows_the_pair_and_its_actions_change_the_store(populated):
    conn, ja, fr = populated
    at = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id))
    pair = review.load_pair(conn, ja.id, fr.id)
    data = grid_data(at)
    assert [r["position"] for r in data["rows"]] == [u.position for u in pair.units]
    assert data["headers"]["left"]["label"].startswith(JA) and data["enabled"]
    linked = next(k for k, u in enumerate(pair.units) if u.src_ids)  # the first row may be a gap
    assert "".join(text for text, _ in data["rows"][linked]["left"]["text"]) == " ".join(
        ja.sentences[i].text for i in pair.units[linked].src_ids)
    ids = (ja.id, fr.id)
    sequence = iter(range(1, 100))

    def action(op: str, position: int, **extra) -> dict:
        unit = review.load_pair(conn, *ids).units[position]
        return {"id": next(sequence), "page": "p1", "op": op, "position": position, "src_ids": unit.src_ids,
                "tgt_ids": unit.tgt_ids, **extra}

    with pytest.raises(ValueError, match="Reviewer"):
        apply_action(conn, ids, action("decide", 0, status="accepted"), "")
    apply_action(conn, ids, action("decide", 0, status="accepted"), "tester")
    assert review.load_pair(conn, *ids).units[0].status == "accepted"
    assert grid_data(run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id)))["rows"][0]["status"] == "accepted"

    count = len(pair.units)
    stale = action("decide", 2, status="rejected")
    assert apply_action(conn, ids, action("merge", 1), "tester") == (None, 1)
    merged = review.load_pair(conn, *ids)
    assert len(merged.units) == count - 1 and merged.units[1].status == "edited"
    with pytest.raises(ValueError, match="changed before"):  # pressed on the old row 2: not applied to the new one
        apply_action(conn, ids, stale, "tester")
    assert not any(u.status == "rejected" for u in review.load_pair(conn, *ids).units)
    apply_action(conn, ids, action("split", 1), "tester")
    assert [(u.src_ids, u.tgt_ids) for u in review.load_pair(conn, *ids).units] == \
        [(u.src_ids, u.tgt_ids) for u in pair.units]

    # "accept above" the row after the second unflagged pair: at least one pair (row 0 is decided)
    plain = [u.position for u in review.load_pair(conn, *ids).units if u.src_ids and u.tgt_ids and not u.flags]
    above = plain[1] + 1
    message, _ = apply_action(conn, ids, action("above", above), "tester")
    units = review.load_pair(conn, *ids).units[:above]
    assert all(u.status == "accepted" for u in units if u.src_ids and u.tgt_ids and not u.flags)
    assert all(not u.status for u in units[1:] if not (u.src_ids and u.tgt_ids) or u.flags)
    assert f"pair(s) above #{above}" in message
    message, _ = apply_action(conn, ids, {"id": next(sequence), "op": "undo", "position": None}, "tester")
    assert message.startswith("Undone: accept-above")
    assert [u.status for u in review.load_pair(conn, *ids).units[:above]] == ["accepted"] + [""] * (above - 1)
    apply_action(conn, ids, action("note", 3, note="check the date"), "tester")
    assert review.load_pair(conn, *ids).units[3].note == "check the date"


def test_compare_grid_gets_article_text_as_text(populated):
    conn, _, _ = populated
    hostile, short = store.document(conn, HOSTILE), store.document(conn, SHORT)
    compare.align_documents(conn, hostile, short, get_embedder())
    at = run_page("views/compare.py", src=str(hostile.id), tgt=str(short.id))
    at.toggle[0].set_value(False).run()  # "Pairs only" off: the gaps' text is in the grid too
    data = grid_data(at)
    pieces = [piece for row in data["rows"] for side in ("left", "right") if row[side]
              for piece in row[side]["text"]]
    text = "".join(t for t, _ in pieces)
    assert "<script>window.hacked = 1; alert('xss')</script>" in text  # as written, for a text node
    assert "**gras** [lien](javascript:alert(2))" in text
    assert ["\\u202e", "hidden"] in pieces and "\u202e" not in json.dumps(data, ensure_ascii=False)
    # the grid puts every piece into the page with textContent / text nodes, never as markup
    script = (REPO / "workbench" / "app" / "static" / "grid.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "outerHTML" not in script


def test_search_and_facts_pages_show_results(populated):
    conn, ja, _ = populated
    at = run_page("views/search.py")
    at.text_input[0].input("Hayat Tahrir al-Sham").run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    literal = [c for c in captions if "matches the text" in c]
    assert any(JA in c for c in literal) and any(FR in c for c in literal)
    scores = [float(c.rsplit("·", 1)[1]) for c in captions if "sentence " in c]
    assert scores == sorted(scores, reverse=True)  # ranked across documents, best first

    shown = " ".join(str(m.value) for m in at.markdown)
    assert '<mark class="wb-diff">Hayat Tahrir al-Sham</mark>' in shown  # the terms are marked
    assert "[On Compare](compare?src=" in shown  # each hit opens its unit

    at = run_page("views/facts.py")
    assert any("confidence" in c.value for c in at.caption)
    at.selectbox[0].set_value(store.document(conn, ja.id)).run()
    links = [str(m.value) for m in at.markdown if "[On Compare](compare?src=" in str(m.value)]
    assert links  # each report opens the unit that holds it on Compare
    query = dict(part.split("=") for part in links[0].split("(compare?")[1].rstrip(")").split("&"))
    sentence = at.selectbox[1].value
    unit = review.load_pair(conn, int(query["src"]), int(query["tgt"])).units[int(query["unit"])]
    assert sentence.index in (unit.src_ids if int(query["src"]) == at.selectbox[0].value.id else unit.tgt_ids)
    grid = grid_data(run_page("views/compare.py", **query))  # ... with the cursor on that unit
    assert grid["start"] == int(query["unit"])


def test_export_matches_the_cli_formats(populated, tmp_path):
    conn, ja, fr = populated
    pair = review.load_pair(conn, ja.id, fr.id)
    unit = next(u for u in pair.units if u.src_ids and u.tgt_ids)
    review.decide(conn, ja.id, fr.id, unit, "accepted", note="checked & fine", reviewer="ana")
    rows = export.export_rows(conn, reviewed_only=True)
    assert len(rows) == 1 and rows[0]["reviewer"] == "ana" and rows[0]["status"] == "accepted"
    tmx = export.render(rows, "tmx").decode()
    assert '<tmx version="1.4">' in tmx and tmx.count("<tu>") == 1 and 'xml:lang="ja"' in tmx
    assert "checked &amp; fine" in tmx and 'type="x-signature"' in tmx
    csv = export.render(export.export_rows(conn), "csv").decode()
    assert csv.splitlines()[0].startswith("src_doc,tgt_doc,src_ids")
    lines = export.render(export.export_rows(conn), "jsonl").decode().splitlines()
    assert len(lines) == len(pair.units) and json.loads(lines[0])["signature"]["embedder"]
    other = next(u for u in pair.units if u.src_ids and u.tgt_ids and u.position != unit.position)
    review.decide(conn, ja.id, fr.id, other, "rejected", reviewer="ana")
    assert [r["status"] for r in export.export_rows(conn, statuses=["rejected"])] == ["rejected"]
    assert export.export_rows(conn, languages=["ar"]) == []  # neither side Arabic
    assert len(export.export_rows(conn, pairs=[(ja.id, fr.id)])) == len(pair.units)
    assert export.export_rows(conn, pairs=[(fr.id, ja.id)]) == []  # a pair is named as it was aligned

    # the page says how many it will write, and writes that many; what TMX cannot hold is said
    at = run_page("views/export.py")
    at.radio[0].set_value("tmx").run()
    at.multiselect[0].set_value(["accepted", "rejected", "unreviewed"]).run()
    said = next(str(m.value) for m in at.markdown if "translation unit(s) will be written" in str(m.value))
    chosen = export.export_rows(conn, statuses=["accepted", "rejected", "unreviewed"])
    units = export.translation_units(chosen)
    assert said.startswith(f"**{units}** translation unit(s)") and units < len(chosen)
    assert f"{len(chosen) - units} unit(s) without a counterpart" in said
    assert export.render(chosen, "tmx").decode().count("<tu>") == units
    at.radio[0].set_value("csv").run()
    said = next(str(m.value) for m in at.markdown if "will be written" in str(m.value))
    assert said.startswith(f"**{len(chosen)}** unit(s)")


def test_corpus_page_runs_jobs_in_a_worker_process(populated, models_dir_with_ja):
    conn, ja, fr = populated
    at = run_page("views/corpus.py")
    at.button[0].click().run()  # translate (all documents)
    at.button[1].click().run()  # align and link
    assert not at.exception
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        rows = {r["kind"]: r for r in jobs.recent(conn)}
        if all(r["status"] in ("done", "failed") for r in rows.values()) and len(rows) == 2:
            break
        time.sleep(1)
    assert rows["translate"]["status"] == "done", rows["translate"]["message"]
    assert rows["align"]["status"] == "done", rows["align"]["message"]
    assert rows["translate"]["done"] == rows["translate"]["total"] > 0
    assert "no ar->en model installed" in rows["translate"]["message"]
    assert conn.execute("SELECT COUNT(*) FROM translations WHERE model LIKE 'argos:ja-en%'").fetchone()[0] > 0
    assert conn.execute("SELECT COUNT(*) FROM alignments").fetchone()[0] >= 5
    at.run()
    assert "Jobs" in [h.value for h in at.subheader]  # the progress fragment shows them


def test_corpus_upload_stays_inside_the_workspace(populated, tmp_path):
    conn, _, _ = populated
    at = run_page("views/corpus.py")
    article = "Les rebelles syriens avancent vers Damas et contrôlent le quartier de Darayya.\n".encode()
    at.file_uploader[0].set_value([("../../escape.txt", article, "text/plain"),
                                   ("notes du terrain.md", article, "text/markdown")]).run()
    at.button(key="ingest-uploads").click().run()
    assert not at.exception
    uploads = tmp_path / "ws" / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["escape.txt", "notes_du_terrain.md"]
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "escape.txt").exists()
    paths = {d.path for d in store.documents(conn)}
    assert {"escape.txt", "notes_du_terrain.md"} <= paths


def test_compare_filters_and_bands(populated):
    """Gaps are not low-confidence pairs: their own band, hidden by "Pairs only"; a flag outranks
    a high score in the band; every filter narrows the grid to what it names."""
    conn, ja, fr = populated
    at = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id))
    rows = grid_data(at)["rows"]
    gaps = [r for r in rows if r["gap"]]
    assert gaps and all(r["band"] == "gap" for r in gaps)
    assert all(r["band"] == "flagged" for r in rows if r["flags"] and not r["gap"])
    at.toggle[0].set_value(True).run()  # Pairs only
    assert [r["position"] for r in grid_data(at)["rows"]] == [r["position"] for r in rows if not r["gap"]]
    at.toggle[0].set_value(False).run()
    at.toggle[2].set_value(True).run()  # Flagged only
    flagged = grid_data(at)["rows"]
    assert flagged and all(r["flags"] for r in flagged) and len(flagged) == sum(bool(r["flags"]) for r in rows)
    at.toggle[2].set_value(False).run()
    at.toggle[3].set_value(True).run()  # Low confidence (pairs only)
    assert all(not r["gap"] and r["score"] < 0.5 for r in grid_data(at)["rows"])


def test_compare_picks_a_document_then_its_partner(populated):
    """Two pickers of n documents each, not one list of n^2/2 pairs; aligned partners first."""
    conn, ja, fr = populated
    at = run_page("views/compare.py")
    first, second = (next(s for s in at.selectbox if s.label.startswith(name)) for name in ("Document", "Compared"))
    assert len(first.options) == len(store.documents(conn)) and len(second.options) == len(first.options) - 1
    assert {first.value, second.value} == {ja.id, fr.id}  # the aligned pair opens first
    units = len(review.load_pair(conn, ja.id, fr.id).units)
    flagged = sum(1 for u in review.load_pair(conn, ja.id, fr.id).units if u.flags)
    assert flagged and second.options[0].endswith(f"(aligned · 0/{units} decided · {flagged} flagged)"), \
        second.options[0]
    # narrowed to Japanese and French: the pickers offer those two only
    at.multiselect[0].set_value(["fr", "ja"]).run()
    first = next(s for s in at.selectbox if s.label.startswith("Document"))
    assert {o[-4:] for o in first.options} == {"(fr)", "(ja)"} and f"{JA} (ja)" in first.options


def test_an_align_job_joins_the_selected_documents_to_their_stories(populated):
    """Aligning one (e.g. just uploaded) article aligns it with the earlier reports of its story,
    and nothing else."""
    conn, ja, fr = populated
    bg = store.document(conn, BG)
    job_id = store.create_job(conn, "align", {"docs": [bg.id]})
    assert jobs.run(store.workspace_dir(None), job_id) == 0
    pairs = set(review.aligned_pairs(conn))
    with_bg = {a if b == bg.id else b for a, b in pairs if bg.id in (a, b)}
    assert {ja.id, fr.id} <= with_bg and len(with_bg) >= 3  # ja, fr and the Arabic reports of the story
    assert pairs - {p for p in pairs if bg.id in p} == {(ja.id, fr.id)}  # no other pair was aligned
    assert "that include the 1 selected document(s)" in store.job(conn, job_id)["message"]


def hundred_twenty_articles(folder: Path) -> Path:
    """24 stories x 5 languages from the FLORES lines in tests/data: 10 sentences an article."""
    folder.mkdir(parents=True)
    files = {"en": "eng_Latn", "fr": "fra_Latn", "ar": "arb_Arab", "bg": "bul_Cyrl", "ja": "jpn_Jpan"}
    for lang, name in files.items():
        lines = (FLORES / "dev" / f"{name}.dev").read_text(encoding="utf-8").splitlines()
        for story in range(24):
            text = " ".join(lines[story * 10:story * 10 + 10])
            (folder / f"story{story:02d}-{lang}.txt").write_text(text + "\n", encoding="utf-8")
    return folder


def test_corpus_first_load_of_120_documents_is_quick(tmp_path, monkeypatch):
    """The page reads what jobs computed (stories, pair progress) and computes nothing itself:
    the first load of 120 documents takes well under the 2 s target here (RESULTS.md); the bound
    is generous for slower CI machines. (It took 47 s when the page grouped the stories.)"""
    ws = tmp_path / "ws"
    conn = store.connect(ws)
    ingest.ingest_folder(conn, hundred_twenty_articles(tmp_path / "articles"))
    docs = store.documents(conn)
    by_story: dict[str, list] = {}
    for doc in docs:
        by_story.setdefault(doc.path.split("-")[0], []).append(doc)
    store.save_stories(conn, list(by_story.values()))
    first_story = by_story["story00"]
    compare.align_documents(conn, first_story[0], first_story[1], get_embedder())
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws))
    started = time.perf_counter()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    elapsed = time.perf_counter() - started
    assert not at.exception
    assert elapsed < 8, f"first Corpus load took {elapsed:.1f} s"
    documents, pairs = at.dataframe[0].value, at.dataframe[1].value
    assert len(documents) == 120 and documents["story"].nunique() == 24
    assert len(pairs) == 1 and pairs.iloc[0]["review"].startswith("compare?src=")
