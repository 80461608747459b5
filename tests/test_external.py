"""An analyst's own English attached to a document (`workbench english`): line by line for a
document ingested one sentence per line, aligned otherwise; translate leaves it alone."""
from __future__ import annotations

import bisect
from pathlib import Path

from workbench import cli, store

from conftest import FLORES, install

FRENCH = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()[:40]
ENGLISH = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:40]


def _english(conn, doc_id: int) -> dict[int, tuple[str, str, float | None]]:
    rows = conn.execute("SELECT idx, en, model, confidence FROM translations WHERE doc_id = ?", (doc_id,))
    return {idx: (en, model, confidence) for idx, en, model, confidence in rows}


def test_english_by_line_for_a_document_of_one_sentence_per_line(workspace, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "fr.txt").write_text("\n".join(FRENCH) + "\n", encoding="utf-8")
    (tmp_path / "fr.en.txt").write_text("\n".join(ENGLISH[:39]) + "\n", encoding="utf-8")
    assert cli.main(["ingest", str(tmp_path / "in"), "--one-sentence-per-line"]) == 0
    capsys.readouterr()
    assert cli.main(["english", "fr.txt", str(tmp_path / "fr.en.txt")]) == 2  # one line short
    err = " ".join(capsys.readouterr().err.split())
    assert "39 non-blank lines" in err and "fr.txt has 40 sentences" in err
    conn = store.connect(workspace)
    doc = store.document(conn, "fr.txt")
    assert _english(conn, doc.id) == {}  # nothing attached
    (tmp_path / "fr.en.txt").write_text("\n".join(ENGLISH) + "\n", encoding="utf-8")
    assert cli.main(["english", "fr.txt", str(tmp_path / "fr.en.txt")]) == 0
    attached = _english(conn, doc.id)
    assert [attached[i][0] for i in range(40)] == ENGLISH
    models = {model for _, model, _ in attached.values()}
    assert len(models) == 1 and models.pop().startswith("external:fr.en.txt:")
    # another file replaces the first one's English whole
    (tmp_path / "other.txt").write_text("\n".join(line.upper() for line in ENGLISH) + "\n", encoding="utf-8")
    assert cli.main(["english", "fr.txt", str(tmp_path / "other.txt")]) == 0
    again = _english(conn, doc.id)
    assert [again[i][0] for i in range(40)] == [line.upper() for line in ENGLISH]
    assert {model for _, model, _ in again.values()} == {again[0][1]} and again[0][1].startswith("external:other.txt:")


def test_english_aligned_to_a_document_of_prose_keeps_its_confidence(workspace, tmp_path, fixture_models,
                                                                     models_dir, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    text = " ".join(FRENCH[:20]) + "\n\n" + " ".join(FRENCH[20:]) + "\n"
    (folder / "fr.txt").write_text(text, encoding="utf-8")
    starts = [text.index(line) for line in FRENCH]  # where each FLORES line begins in the file
    # the analyst's English has merged two sentences into one line and lost one
    english = ENGLISH[:5] + [ENGLISH[5] + " " + ENGLISH[6]] + ENGLISH[7:30] + ENGLISH[31:]
    (tmp_path / "fr.en.txt").write_text(" ".join(english) + "\n", encoding="utf-8")
    assert cli.main(["ingest", str(folder)]) == 0
    conn = store.connect(workspace)
    doc = store.document(conn, "fr.txt")
    line_of = {s.index: bisect.bisect_right(starts, s.start) - 1 for s in doc.sentences}
    assert cli.main(["english", "fr.txt", str(tmp_path / "fr.en.txt")]) == 0
    attached = _english(conn, doc.id)
    right = sum(ENGLISH[line_of[i]] in attached[i][0] for i in attached)
    # line 30 has no English; the merged pair shares its line; pysbd may cut a line in two
    assert right >= len(doc.sentences) - 3, (right, len(doc.sentences))
    assert not any(ENGLISH[30] in attached[i][0] for i in attached if line_of[i] == 30)
    assert all(0.0 <= confidence <= 1.0 for _, _, confidence in attached.values())
    model = attached[0][1]
    # translate fills the gap with the installed model and leaves the analyst's English alone
    install(models_dir, fixture_models, "fr")
    capsys.readouterr()
    assert cli.main(["translate", str(folder), "--out", str(tmp_path / "out")]) == 0
    after = _english(conn, doc.id)
    assert {i: v for i, v in after.items() if i in attached} == attached
    assert set(after) == {sentence.index for sentence in doc.sentences}
    assert all(after[i][1] != model for i in after if i not in attached)
    # --redo puts model English everywhere
    assert cli.main(["translate", str(folder), "--out", str(tmp_path / "out"), "--redo"]) == 0
    assert not any(m.startswith("external:") for _, m, _ in _english(conn, doc.id).values())


def test_english_names_a_missing_document_and_an_unreadable_file(workspace, tmp_path, capsys):
    assert cli.main(["english", "nothing.txt", str(tmp_path / "x.txt")]) == 2
    assert "no document 'nothing.txt'" in capsys.readouterr().err
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "fr.txt").write_text("\n".join(FRENCH[:3]) + "\n", encoding="utf-8")
    assert cli.main(["ingest", str(tmp_path / "in"), "--one-sentence-per-line"]) == 0
    capsys.readouterr()
    assert cli.main(["english", "fr.txt", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt: cannot read it" in " ".join(capsys.readouterr().err.split())
    assert Path(tmp_path / "in" / "fr.txt").is_file()
