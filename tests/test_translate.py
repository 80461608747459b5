from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile

import pytest

from workbench import cli, compare, devices, ingest, models, review, store, translate
from workbench.embed import get_embedder

from conftest import BG, CORPUS, FR, JA, REPO, article, install, japanese_editions, read_jsonl
from fixtures.build_argos_model import build_package


def test_translate_seed_folder_with_copy_models(workspace, models_dir, fixture_models, tmp_path, capsys):
    install(models_dir, fixture_models, "ja", "ar", "fr", "bg")  # dropped into models/: found on first use
    out = tmp_path / "out"
    assert cli.main(["translate", str(CORPUS), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.glob("*.en.txt"))
    assert names == sorted(p.name + ".en.txt" for p in CORPUS.glob("*.txt"))
    rows = read_jsonl(out / "translations.jsonl")
    conn = store.connect(workspace)
    content = conn.execute("SELECT COUNT(*) FROM sentences WHERE NOT boilerplate").fetchone()[0]
    assert len(rows) == content == len({(r["doc"], r["index"]) for r in rows})
    for row in rows:
        assert row["en"] == row["text"]  # a copy model copies exactly: spacing and pieces survive
        if row["lang"] == "en":
            assert row["model"] is None
        else:
            assert row["model"].startswith(f"argos:{row['lang']}-en@1.0#")
    tweets = [r for r in rows if r["doc"] == BG and r["lang"] == "en"]
    assert "Clashes in Homs are ongoing." in [r["text"] for r in tweets]
    assert all(r["model"] is None for r in tweets)
    # the English text keeps the paragraph structure and leaves boilerplate out
    ja_lines = (out / f"{JA}.en.txt").read_text(encoding="utf-8").splitlines()
    assert len(ja_lines) == len(article(JA).splitlines())
    fr_text = (out / f"{FR}.en.txt").read_text(encoding="utf-8")
    assert fr_text.count("Des rebelles syriens s") == 1  # the repeated title is boilerplate
    assert "\n\n" in fr_text

    capsys.readouterr()
    assert cli.main(["translate", str(CORPUS), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"translated 0 sentences, 0 from cache, {content} done in earlier runs" in " ".join(err.split())


def test_the_device_is_the_engines_choice_and_part_of_the_cache_key(workspace, models_dir, fixture_models, capsys):
    assert devices.resolve("auto", "CTranslate2", 1) == "cuda"  # the path a GPU machine takes
    assert devices.resolve("auto", "CTranslate2", 0) == "cpu"
    assert translate.DecodingOptions.for_quality("balanced", "cuda").compute_type == "int8_float16"
    assert translate.DecodingOptions.for_quality("balanced", "cpu") == translate.DecodingOptions()
    cpu, gpu = translate.DecodingOptions(), translate.DecodingOptions(device="cuda", compute_type="int8_float16")
    assert cpu.key() == "beam=4,ct=int8,ratio=2.0+10,chunk=250"  # what every existing cache entry was made with
    assert gpu.key() == "beam=4,ct=int8_float16,device=cuda,ratio=2.0+10,chunk=250"
    install(models_dir, fixture_models, "ja")
    gpus = devices.ctranslate2_gpus()
    code = cli.main(["translate", str(CORPUS), "--device", "cuda"])
    err = " ".join(capsys.readouterr().err.split())
    if gpus:  # a machine with a GPU runs it there
        assert code == 0
    else:
        assert code == 2 and "--device cuda: CTranslate2 sees no CUDA GPU on this machine" in err
        assert store.documents(store.connect(workspace)) == []  # refused before any work


def test_token_map_model_translates_word_for_word(models_dir, tmp_path):
    text = article(FR) + "\nuser_name file_name_v2 rebels Syrian Damascus\n"
    archive = build_package(tmp_path / "fr_en.argosmodel", "fr", "en", text=text,
                            word_map={"rebelles": "rebels", "syriens": "Syrian", "Damas": "Damascus"})
    model = models.add_package(archive)
    translator = translate.ModelTranslator(model)
    source = ["Des rebelles syriens avancent vers Damas", "user_name file_name_v2", "Damas",
              "Des rebelles syriens\navancent vers Damas",  # a hard-wrapped text's sentence: the break is a space
              "Des rebel-\nles syriens avancent vers Damas"]  # ... and a word broken at the line's end is whole
    assert translator.translate(source) == ["Des rebels Syrian avancent vers Damascus",
                                            "user_name file_name_v2", "Damascus",
                                            "Des rebels Syrian avancent vers Damascus",
                                            "Des rebels Syrian avancent vers Damascus"]


def test_random_model_output_is_bounded_by_source_length(models_dir, tmp_path):
    archive = build_package(tmp_path / "ja_en.argosmodel", "ja", "en", kind="random")
    options = translate.DecodingOptions(beam_size=1)
    translator = translate.ModelTranslator(models.add_package(archive), options)
    sentence = "約2,000人のアサド兵が国境を越えてイラクに逃げた。"
    output = translator.translate([sentence])[0]
    pieces = translator._sp.encode(output, out_type=str)
    source_pieces = translator._sp.encode(sentence, out_type=str)
    assert len(pieces) <= options.length_ratio * len(source_pieces) + options.length_margin + 1


def test_missing_model_reports_and_translates_the_rest(workspace, models_dir, fixture_models, tmp_path, capsys):
    install(models_dir, fixture_models, "ja", "fr")
    out = tmp_path / "out"
    assert cli.main(["translate", str(CORPUS), "--out", str(out)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"{BG}: no bg->en model installed; run `python -m workbench models install bg`" in err
    assert "no ar->en model installed" in err
    assert {p.name for p in out.glob("*.en.txt")} == {f"{JA}.en.txt", f"{FR}.en.txt"}
    rows = read_jsonl(out / "translations.jsonl")
    assert {r["doc"] for r in rows if r["lang"] == "ja"} == {JA}
    assert any(r["doc"] == BG and r["lang"] == "en" for r in rows)  # English still passes through


def test_corrupt_and_foreign_packages_are_refused(workspace, models_dir, fixture_models, tmp_path, capsys):
    good = (fixture_models / "ja_en.argosmodel").read_bytes()
    truncated = tmp_path / "truncated.argosmodel"
    truncated.write_bytes(good[: len(good) // 2])
    foreign = tmp_path / "foreign.argosmodel"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("translate-xx_en/metadata.json", json.dumps({"from_code": "xx", "to_code": "en"}))
        archive.writestr("translate-xx_en/README.md", "no model here")
    assert cli.main(["models", "add", str(truncated), str(foreign)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"{truncated}: not a zip archive" in err
    assert f"{foreign}: not an argos translation package, missing model/model.bin" in err
    assert "Traceback" not in err

    # a corrupt file dropped into models/ is reported; the good one beside it still translates
    (models_dir / "broken.argosmodel").write_bytes(good[:1000])
    install(models_dir, fixture_models, "ja")
    out = tmp_path / "out"
    assert cli.main(["translate", str(CORPUS), "--out", str(out)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "broken.argosmodel: not a zip archive" in err
    assert (out / f"{JA}.en.txt").exists()


def test_unreachable_index_fails_fast_with_one_clear_line(models_dir, capsys):
    started = time.monotonic()
    assert cli.main(["models", "install", "ja", "bg"]) == 1
    assert time.monotonic() - started < models.INDEX_TIMEOUT_S + 3
    err = capsys.readouterr().err
    assert "cannot reach the argos package index" in err and "models add FILE.argosmodel" in err
    assert "Traceback" not in err and "RecursionError" not in err
    assert cli.main(["models", "install", "ja", "--index", "http://127.0.0.1:9/index.json"]) == 1


@pytest.fixture
def package_index(tmp_path, fixture_models):
    """An argos-format package index and packages served over HTTP, like the real one."""
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(fixture_models / "fr_en.argosmodel", served / "translate-fr_en-1_0.argosmodel")
    (served / "broken.argosmodel").write_bytes(b"<html>502 Bad Gateway</html>")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    (served / "index.json").write_text(json.dumps([
        {"from_code": "fr", "to_code": "en", "package_version": "1.0", "type": "translate",
         "links": [f"{base}/moved.argosmodel", f"{base}/translate-fr_en-1_0.argosmodel"]},
        {"from_code": "bg", "to_code": "en", "package_version": "1.0", "links": [f"{base}/broken.argosmodel"]},
        {"from_code": "en", "to_code": "fr", "package_version": "1.0", "links": [f"{base}/none"]}]))
    yield base
    server.shutdown()


def test_install_from_an_index_downloads_validates_and_installs(models_dir, package_index, capsys):
    abandoned = models_dir / "packages" / ".unpacking-999999999-x"  # left by an install that was killed
    abandoned.mkdir(parents=True)
    index = f"{package_index}/index.json"
    assert cli.main(["models", "install", "fr", "--index", index]) == 0  # the first link is gone: the next one
    installed = models.installed_models()
    assert [(m.from_code, m.to_code, m.source) for m in installed] == [
        ("fr", "en", f"{package_index}/translate-fr_en-1_0.argosmodel")]
    assert translate.translators_to_english()["fr"].translate(["Les rebelles avancent."]) == ["Les rebelles avancent."]
    assert not abandoned.exists()
    capsys.readouterr()
    assert cli.main(["models", "install", "bg", "--index", index]) == 1
    assert cli.main(["models", "install", "xx", "--index", index]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "not a zip archive" in err and "the argos index has no xx->en package" in err
    assert "Traceback" not in err and [m.from_code for m in models.installed_models()] == ["fr"]


def test_kill_9_mid_run_then_rerun_completes_without_duplicates(workspace, models_dir, fixture_models, tmp_path):
    install(models_dir, fixture_models, "ja")
    folder = japanese_editions(tmp_path / "many", 8)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "workbench", "translate", str(folder), "--out", str(out),
               "--commit-every", "4", "--threads", "1", "--no-similarity-check",
               "--quality", "fast"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    analyst = store.connect(workspace)  # two editions aligned, for a decision made during the run
    ingest.ingest_folder(analyst, folder)
    first, second = store.documents(analyst)[:2]
    compare.align_documents(analyst, first, second, get_embedder(), "parallel")
    unit = review.load_pair(analyst, first.id, second.id).units[0]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = workspace / store.DB_NAME
    committed = 0
    deadline = time.monotonic() + 120
    while committed < 40 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=5) as conn:
                    committed = conn.execute("SELECT COUNT(*) FROM translations WHERE model IS NOT NULL").fetchone()[0]
            except sqlite3.OperationalError:
                pass
    assert process.poll() is None, "the run ended before it could be interrupted"
    # an analyst's decision written while the translation commits its batches is not lost
    review.decide(analyst, first.id, second.id, unit, "accepted", note="during translate")
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
        total = conn.execute("SELECT COUNT(*) FROM sentences WHERE NOT boilerplate").fetchone()[0]
    assert 0 < before < total

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = " ".join(rerun.stderr.split())
    assert f"translated {total - before} sentences, 0 from cache, {before} done in earlier runs" in summary
    rows = read_jsonl(out / "translations.jsonl")
    assert len(rows) == total == len({(r["doc"], r["index"]) for r in rows})
    assert all(r["en"] == r["text"] for r in rows)
    assert len(list(out.glob("*.en.txt"))) == 8
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT note FROM decisions").fetchall() == [("during translate",)]


def test_alignment_uses_the_english_side_when_models_are_installed(workspace, models_dir, fixture_models, tmp_path):
    install(models_dir, fixture_models, "ja", "fr")
    assert cli.main(["translate", str(CORPUS), "--out", str(tmp_path / "out")]) == 1  # ar, bg: no model
    pairs = tmp_path / "pairs.jsonl"
    assert cli.main(["align", JA, FR, "--out", str(pairs)]) == 0
    records = read_jsonl(pairs)
    models_used = records[0]["signature"]["translation_models"]
    assert len(models_used) == 2 and all(m.startswith("argos:") for m in models_used)
    assert records[0]["signature"]["aligner"]["english_used"] is True
    both = [r for r in records if r["src_ids"] and r["tgt_ids"]]
    assert both and all(r["src_en"] is not None and r["tgt_en"] is not None for r in both)
    assert all(r["src_en"] == r["src_text"] for r in both if r["kind"] == "1-1")  # the copy model's English


def test_packages_installed_by_argostranslate_are_used_read_only(workspace, models_dir, fixture_models, tmp_path,
                                                                 monkeypatch, capsys):
    argos = tmp_path / "argos-packages"  # as argostranslate lays them out: one unpacked folder per package
    for lang in ("ja", "fr"):
        with zipfile.ZipFile(fixture_models / f"{lang}_en.argosmodel") as archive:
            archive.extractall(argos)
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(argos))
    before = {p: p.stat().st_mtime_ns for p in argos.rglob("*")}
    install(models_dir, fixture_models, "fr")  # ours wins over argostranslate's for the same pair

    assert cli.main(["models", "list", "--json"]) == 0
    listed = {(m["from"], m["source"]) for m in json.loads(capsys.readouterr().out)}
    assert ("ja", "argostranslate (read-only)") in listed and ("fr", "argostranslate (read-only)") in listed
    chosen = models.models_to_english()
    assert chosen["ja"].path.parent == argos and chosen["fr"].path.parent == models_dir / "packages"

    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / JA).write_text(article(JA), encoding="utf-8")
    assert cli.main(["translate", str(folder), "--out", str(tmp_path / "out")]) == 0
    english = (tmp_path / "out" / f"{JA}.en.txt").read_text(encoding="utf-8")
    assert "ダマスカス" in english  # the copy model: the English is the source, piece by piece
    assert {p: p.stat().st_mtime_ns for p in argos.rglob("*")} == before  # nothing written there


def test_english_follows_the_installed_model(workspace, models_dir, fixture_models, tmp_path, capsys):
    """A new fr->en package (another version, other weights) makes its language's English again;
    --redo makes all of it again."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(CORPUS / FR, folder / FR)
    install(models_dir, fixture_models, "fr")
    assert cli.main(["translate", str(folder), "--out", str(tmp_path / "out")]) == 0
    conn = store.connect(workspace)
    doc = store.document(conn, FR)
    first = translate.english_of(conn, doc.id)
    content = sum(1 for s in doc.sentences if not s.boilerplate)
    assert len(first) == content and all(en == doc.sentences[i].text for i, (en, _) in first.items())

    newer = build_package(tmp_path / "fr_en-1.1.argosmodel", "fr", "en", kind="map", size="tiny",
                          word_map={"rebelles": "rebels"}, version="1.1")
    assert cli.main(["models", "add", str(newer)]) == 0
    capsys.readouterr()
    assert cli.main(["translate", str(folder), "--out", str(tmp_path / "out")]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert f"{content} of them had English from another model" in err
    second = translate.english_of(conn, doc.id)
    models_used = {model for _, model in second.values()}
    assert len(models_used) == 1 and models_used != {model for _, model in first.values()}
    assert sum(second[i][0] != first[i][0] for i in first) > content // 2  # the other model's English

    assert cli.main(["translate", str(folder), "--out", str(tmp_path / "out")]) == 0  # nothing left to do
    assert f"translated 0 sentences, 0 from cache, {content} done in earlier runs" in " ".join(
        capsys.readouterr().err.split())
    assert cli.main(["translate", str(folder), "--out", str(tmp_path / "out"), "--redo"]) == 0
    assert f"translated {content} sentences, 0 from cache" in " ".join(capsys.readouterr().err.split())
