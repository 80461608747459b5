"""OPUS-MT and NLLB-200 model folders (as ct2-transformers-converter writes them) beside argos
packages: recognised, installed, chosen, and fed the tokens each needs (exact outputs of fixture
models on the real CTranslate2 engine)."""
from __future__ import annotations

import json

from workbench import cli, families, models, translate

from conftest import CORPUS, FR, article, install, read_jsonl
from fixtures.build_argos_model import build_converted

SOURCES = ["Des rebelles syriens avancent vers Damas.", "約2,000人のアサド兵がイラクに逃げた。"]


def test_opus_mt_folder_is_recognised_installed_and_translates_exactly(models_dir, tmp_path, capsys):
    text = article(FR) + "\nrebels Syrian Damascus\n"
    folder = build_converted(tmp_path / "opus-mt-fr-en", "opus-mt", text=text,
                             word_map={"rebelles": "rebels", "syriens": "Syrian", "Damas": "Damascus"})
    assert cli.main(["models", "add", str(folder)]) == 0
    assert "installed opus-mt opus-mt-fr-en (fr->en)" in " ".join(capsys.readouterr().err.split())
    assert cli.main(["models", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["from"], r["family"], r["used"]) for r in listed] == [("fr", "opus-mt", True)]
    model = models.models_to_english()["fr"]
    assert model.layout.source_suffix == ("</s>",) and model.layout.target_prefix is None
    # a word-for-word model: the source got its </s> (else the copy would run on), source.spm in,
    # target.spm out
    english = translate.ModelTranslator(model).translate(["Des rebelles syriens avancent vers Damas"])
    assert english == ["Des rebels Syrian avancent vers Damascus"]


def test_nllb_folder_serves_every_language_from_one_engine_with_its_language_tokens(models_dir, tmp_path, capsys):
    folder = build_converted(tmp_path / "nllb-200-tiny", "nllb")
    assert cli.main(["models", "add", str(folder)]) == 0
    served = models.models_to_english()
    assert {lang for lang, m in served.items() if m.family == "nllb"} == {"ar", "bg", "fr", "ja", "ru"}
    fr, ja = translate.ModelTranslator(served["fr"]), translate.ModelTranslator(served["ja"])
    assert fr.layout.source_prefix == ("fra_Latn",) and ja.layout.source_prefix == ("jpn_Jpan",)
    assert fr.layout.source_suffix == ("</s>",) and fr.layout.target_prefix == "eng_Latn"
    # a copy model copies position by position: without the language token first the first word
    # would be lost, without the eng_Latn prefix the output would start with "fra_Latn"
    assert fr.translate(SOURCES[:1]) == SOURCES[:1]
    assert ja.translate(SOURCES[1:]) == SOURCES[1:]
    assert fr._engine is ja._engine  # loaded once for all its languages
    assert cli.main(["models", "list"]) == 0
    listed = " ".join(capsys.readouterr().out.split())
    assert "nllb" in listed and "zh: cc-cedict" in listed and "ja: jmdict" in listed


def test_preference_order_and_model_choice(workspace, models_dir, fixture_models, tmp_path, capsys):
    install(models_dir, fixture_models, "fr")  # an argos copy model
    assert cli.main(["models", "add", str(build_converted(tmp_path / "nllb-200-tiny", "nllb"))]) == 0
    assert families.PREFERENCE.index("nllb") < families.PREFERENCE.index("argos")
    out = tmp_path / "out"
    assert cli.main(["translate", str(CORPUS), "--out", str(out), "--no-similarity-check", "--quality", "fast"]) == 0
    used = {r["model"].split(":")[0] for r in read_jsonl(out / "translations.jsonl") if r["lang"] == "fr" and r["model"]}
    assert used == {"nllb"}
    assert json.loads((out / "run.json").read_text())["models"]["fr"].startswith("nllb:fr-en@")
    capsys.readouterr()
    assert cli.main(["translate", str(CORPUS), "--out", str(out), "--model", "fr=argos", "--no-similarity-check",
                     "--quality", "fast"]) == 0
    rows = [r for r in read_jsonl(out / "translations.jsonl") if r["lang"] == "fr" and r["model"]]
    assert rows and all(r["model"].startswith("argos:fr-en@") for r in rows)
    assert cli.main(["translate", str(CORPUS), "--model", "fr=opus-mt"]) == 2
    assert "--model fr=opus-mt: no installed fr->en model is 'opus-mt'" in " ".join(capsys.readouterr().err.split())


def test_folders_that_are_not_models_are_refused_in_one_line(models_dir, tmp_path, capsys):
    empty = tmp_path / "opus-mt-xx-en"
    empty.mkdir()
    assert cli.main(["models", "add", str(empty)]) == 1
    assert "no model.bin: not a CTranslate2 model folder" in " ".join(capsys.readouterr().err.split())
    unnamed = build_converted(tmp_path / "my-model", "opus-mt")
    assert cli.main(["models", "add", str(unnamed)]) == 1
    assert "pass --from LANG" in " ".join(capsys.readouterr().err.split())
    assert cli.main(["models", "add", str(unnamed), "--from", "fr"]) == 0
    assert models.models_to_english()["fr"].family == "opus-mt"
