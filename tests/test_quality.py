"""Quality flags on machine English: real FLORES lines, real fixture models on CTranslate2."""
from __future__ import annotations

import json

import numpy as np

from workbench import cli, models, quality, review, store, translate
from workbench.embed import e5_layers, embed_cached, get_embedder

from conftest import CORPUS, JA, REPO, grid_data, install, read_jsonl, run_page
from fixtures.build_argos_model import build_package

FLORES_DEV = REPO / "tests" / "data" / "flores200" / "dev"


def flores(code: str, count: int = 60) -> list[str]:
    return (FLORES_DEV / f"{code}.dev").read_text(encoding="utf-8").splitlines()[:count]


def names(flags: list[quality.QualityFlag]) -> set[str]:
    return {f.name for f in flags}


def test_human_translations_raise_no_text_flags_and_broken_ones_do():
    english = flores("eng_Latn", 300)
    for lang, code in (("ja", "jpn_Jpan"), ("ar", "arb_Arab"), ("fr", "fra_Latn"), ("bg", "bul_Cyrl")):
        flagged = [s for s, e in zip(flores(code, 300), english)
                   if quality.untranslated(s, e, lang) or quality.degenerate(s, e, lang)]
        assert len(flagged) <= 3, (lang, flagged)  # FLORES' own English: at most 1% flagged
    source, good = flores("fra_Latn", 1)[0], english[0]
    assert names([quality.untranslated(source, source, "fr")]) == {"mt_untranslated"}  # a copy
    assert quality.untranslated("ダマスカスに入った。", "ダマスカスに入った。 Damascus", "ja") is not None  # source script
    assert "reads as fr" in quality.untranslated(source, source + " encore", "fr").reason  # French, not English
    loop = "The rebels said that the city the city the city the city was taken."
    assert "'the city' repeated" in quality.degenerate(source, loop, "fr").reason
    assert "longer than usual" in quality.degenerate("Il pleut.", good * 3, "fr").reason
    assert "shorter than usual" in quality.degenerate(source, "Yes, it is.", "fr").reason
    assert quality.untranslated(source, good, "fr") is None and quality.degenerate(source, good, "fr") is None


def test_similarity_flag_separates_translations_from_unrelated_english():
    checker = quality.QualityChecker(get_embedder())
    english = flores("eng_Latn")
    for lang, code in (("ja", "jpn_Jpan"), ("fr", "fra_Latn")):
        sources = flores(code)
        true = ["mt_low_similarity" in names(f) for f in checker.check(lang, sources, english)]
        shifted = ["mt_low_similarity" in names(f) for f in checker.check(lang, sources, english[7:] + english[:7])]
        assert sum(true) <= 0.1 * len(sources), (lang, sum(true))
        assert sum(shifted) >= 0.9 * len(sources), (lang, sum(shifted))


def test_the_mid_layer_mix_tells_a_translation_from_its_neighbours_better_than_the_last_layer():
    """e5 cut after its 7th layer errs on other sentences than the whole model: their cosines mixed
    (quality.similarities) separate a line's English from the English of the 1-3 lines after it
    better than the last layer's alone, in every language (FLORES dev in the repo, 150 lines)."""
    embedder = get_embedder()
    mid = e5_layers(embedder, quality.MID_LAYER)
    assert mid is not None and mid.name != embedder.name
    english = flores("eng_Latn", 150)
    errors = {}
    for code in ("jpn_Jpan", "arb_Arab", "fra_Latn", "bul_Cyrl"):
        sources = flores(code, 150)
        for name, score in (("last", lambda e: np.einsum("ij,ij->i", embed_cached(None, embedder, sources),
                                                         embed_cached(None, embedder, e))),
                            ("mixed", lambda e: quality.similarities(embedder, None, sources, e))):
            good = score(english)
            wrong = np.concatenate([score(english[k:] + english[:k]) for k in (1, 2, 3)])
            # the share of (translation, neighbour) comparisons the neighbour wins: 1 - AUC
            errors[code, name] = float((wrong[None, :] >= good[:, None]).mean())
    assert all(errors[code, "mixed"] <= errors[code, "last"] for code, _ in errors), errors
    assert sum(errors[code, "mixed"] for code, _ in errors) <= 0.8 * sum(errors[code, "last"] for code, _ in errors)


def test_fixture_models_copy_word_map_and_random(models_dir, tmp_path):
    checker = quality.QualityChecker(get_embedder())
    sources = flores("fra_Latn", 40)
    # a copy model: its "English" is the French source
    copy = translate.ModelTranslator(models.add_package(build_package(tmp_path / "copy.argosmodel", "fr", "en")))
    copied = copy.translate(sources)
    assert all("mt_untranslated" in names(f) for f in checker.check("fr", sources, copied))
    # a word-map model: French with a few words put into English keeps the meaning close
    word_map = {"le": "the", "de": "of", "et": "and", "est": "is", "dans": "in", "pour": "for", "une": "a",
                "sur": "on", "avec": "with", "qui": "who", "par": "by", "pas": "not"}  # one to one
    mapped_model = build_package(tmp_path / "map.argosmodel", "fr", "en", text="\n".join(sources), word_map=word_map)
    mapped = translate.ModelTranslator(models.add_package(mapped_model)).translate(sources)
    assert sum(" the " in m or " of " in m for m in mapped) >= 30  # the map did translate words
    low = ["mt_low_similarity" in names(f) for f in checker.check("fr", sources, mapped)]
    assert sum(low) <= 0.2 * len(sources), sum(low)
    # random weights: nonsense (a random model rarely stops: greedy decoding, a dozen sentences)
    noise = build_package(tmp_path / "random.argosmodel", "fr", "en", kind="random")
    greedy = translate.DecodingOptions(beam_size=1)
    garbage = translate.ModelTranslator(models.add_package(noise), greedy).translate(sources[:12])
    flagged = [bool(f) for f in checker.check("fr", sources[:12], garbage)]
    assert sum(flagged) >= 11, flagged


def test_translate_stores_flags_and_reports_them(workspace, models_dir, fixture_models, tmp_path, capsys):
    install(models_dir, fixture_models, "ja")  # a copy model: Japanese "English"
    out = tmp_path / "out"
    assert cli.main(["translate", str(CORPUS), "--out", str(out), "--quality", "fast"]) == 1  # ar, fr, bg: no model
    err = " ".join(capsys.readouterr().out.split())
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["decoding"]["quality"] == "fast" and run["decoding"]["beam"] == 1
    assert run["models"]["ja"].startswith("argos:ja-en@1.0#")
    conn = store.connect(workspace)
    ja = store.document(conn, JA)
    translated = conn.execute("SELECT COUNT(*) FROM translations WHERE doc_id = ? AND model IS NOT NULL",
                              (ja.id,)).fetchone()[0]
    assert f"ja->en │ {translated} │ {translated} (100%)" in err  # the summary: every sentence flagged
    rows = [r for r in read_jsonl(out / "translations.jsonl") if r["doc"] == JA and r["model"]]
    assert len(rows) == translated and all("mt_untranslated" in r["flags"] for r in rows)
    assert all(r["flags"] == {} for r in read_jsonl(out / "translations.jsonl") if r["model"] is None)
    assert cli.main(["sentences", JA, "--json"]) == 0
    listed = [r for r in json.loads(capsys.readouterr().out) if r["model"]]
    assert listed and all(r["flags"]["mt_untranslated"] == "the English is the source text copied" for r in listed)
    # beam and compute type set by hand: the run is "custom", and says what it used
    assert cli.main(["translate", str(CORPUS), "--out", str(out), "--beam", "2", "--no-similarity-check"]) == 1
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))["decoding"]
    assert (run["quality"], run["beam"], run["compute_type"]) == ("custom", 2, "int8")


def test_compare_marks_doubtful_english_and_filters_to_it(populated):
    conn, ja, fr = populated
    pair = review.load_pair(conn, ja.id, fr.id)
    unit = next(u for u in pair.units if u.src_ids and u.tgt_ids)
    doubtful = unit.src_ids[0]
    store.save_translations(conn, [(ja.id, s.index, f"English {s.index}", "argos:ja-en@1.0#test") for s in ja.sentences],
                            flags=[{"mt_low_similarity": "source and English agree poorly: similarity 0.61"}
                                   if s.index == doubtful else {} for s in ja.sentences])
    at = run_page("views/compare.py", src=str(ja.id), tgt=str(fr.id))
    rows = {r["position"]: r for r in grid_data(at)["rows"]}
    marks = rows[unit.position]["left"]["mt_flags"]
    assert marks == [{"words": "MT: meaning may differ", "reason": "source and English agree poorly: similarity 0.61"}]
    assert all(not r["left"]["mt_flags"] for p, r in rows.items() if p != unit.position and r["left"])
    next(t for t in at.toggle if t.label == "Doubtful English").set_value(True).run()
    assert [r["position"] for r in grid_data(at)["rows"]] == [unit.position]
