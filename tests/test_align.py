from __future__ import annotations

import io
import json
import math
import os
import random
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from workbench import cli, compare, ingest, search, store
from workbench.align import AlignParams, Scorer, Side, align, edge_clauses
from workbench.align import auto as auto_module
from workbench.align import clauses as clauses_module
from workbench.align import parallel as parallel_module
from workbench.align import scale as scale_module
from workbench.align import scorer as scorer_module
from workbench.align import views as views_module
from workbench.align.clauses import clause_misfit, opening_and_closing_clause
from workbench.align.costs import edge_misfit, omitted_runs, unclaimed_best, unit_gains
from workbench.align.quotes import closes_quote, ends_inside_quotation, holds_quotation
from workbench.align.refine import joined_reach
from workbench.align.scale import REFERENCE_BACKGROUND, REFERENCE_DISTANCE, sample_statistics, similarity_scale
from workbench.align.views import BlockCosines, JoinedCosines, window_vectors, word_vectors
from workbench.align_eval import read_links, score
from workbench.anchors import ONE_SIDED_FROM, Anchors, anchor_bonus, anchors, names, number_flags, skeleton
from workbench.boilerplate import print_furniture
from workbench.embed import embed_cached, get_embedder
from workbench.numbers import number_spans, numbers

from conftest import AR1, AR2, BG, CORPUS, FLORES, FR, JA, from_template
from fixtures.build_st_model import build_sentence_transformer


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, embedding_template):
    conn = store.connect(from_template(embedding_template, tmp_path_factory.mktemp("ws")))
    ingest.ingest_folder(conn, CORPUS)
    return conn


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


def sentence_index(doc, fragment: str) -> int:
    matches = [s.index for s in doc.sentences if fragment in s.text]
    assert len(matches) == 1, (fragment, matches)
    return matches[0]


def test_numbers_agree_across_scripts_and_conventions():
    assert numbers("約2,000人のアサド兵") == numbers("Près de 2 000 soldats") == numbers("около 2000 души")
    assert numbers("about 2.000 people") == {2000.0}
    assert numbers("٤٥ كيلومترا") == numbers("45 km") == numbers("４５キロ") == {45.0}
    assert numbers("3万人") == {30000.0}
    assert numbers("more than a thousand soldiers") == numbers("أكثر من ألف جندي") == {1000.0}
    assert numbers("two thousand") == numbers("deux mille") == {2000.0}
    assert numbers("2.5 km") == {2.5}
    dates = ["7 décembre 2024", "2024年12月7日", "December 7, 2024", "7 декември 2024", "7 ديسمبر 2024"]
    assert all(numbers(d) == {7.0, 12.0, 2024.0} for d in dates)
    assert number_flags(anchors("2024年12月7日土曜日"), anchors("samedi 7 décembre 2024")) == []
    assert number_flags(anchors("約2,000人"), anchors("أكثر من ألف جندي")) == ["number_mismatch"]
    assert number_flags(anchors("約2,000人"), anchors("Près de 2 000 soldats")) == []
    assert number_flags(anchors("約2,000人"), anchors("des soldats")) == ["number_one_sided"]
    assert number_flags(anchors("3 morts"), anchors("5 killed")) == ["number_mismatch"]
    assert number_flags(anchors("two goals"), anchors("سجّل هدفين")) == []  # an Arabic dual: small, not flagged
    assert skeleton("Homs") == skeleton("Хомс") == skeleton("ホムス")
    assert skeleton("Palmyra") == skeleton("パルミラ") == skeleton("Палмира")
    # Arabic script has no capitals: its words of four letters or more are candidates, article removed
    assert skeleton("Darayya") == skeleton("داريا") == skeleton("ダライヤ") == skeleton("Дарая")
    assert skeleton("Aleppo") == skeleton("حلب") == skeleton("アレッポ") == skeleton("Алепо")
    assert names("دخلت قوات المعارضة إلى داريا") & names("Les rebelles contrôlent Darayya.")
    assert names("انسحبت القوات إلى العراق") & names("Près de 2 000 soldats auraient fui vers l’Irak.")
    assert not names("في من على إلى عن")  # function words are not names
    # a katakana name's words, parted by a middle dot, are names each (FLORES-200 dev)
    shared = names("パイロットはディロクリット・パッタヴィー中隊長と確認された。") & names(
        "The pilot was identified as Squadron Leader Dilokrit Pattavee.")
    assert shared == names("ディロクリット・パッタヴィー") == {skeleton("Dilokrit"), skeleton("Pattavee")}
    # a Latin name inside Japanese or Chinese ends where its letters end (FLORES-200 dev: "このPBSの番組",
    # "A1GPニュージーランドチーム"), and capitals with accents begin names ("l'Église", "Zürich")
    assert names("NASAは新しい望遠鏡を打ち上げた。") == names("NASA launched a new telescope.") == {skeleton("NASA")}
    assert skeleton("PBS") in names("このPBSの番組") and skeleton("Google") in names("它在Google工作")
    assert names("A1GPニュージーランドチーム") & names("the A1GP New Zealand team")
    assert skeleton("Église") in names("Le Brésil et l'Église catholique")


def test_numbers_written_as_words_ranges_and_local_conventions():
    """The forms FLORES-200 dev's translators wrote one number in (each case from a dev line)."""
    same = [
        ("The documents showed fourteen banks", "Les documents montrent que 14 banques"),
        ("twenty-one people", "vingt et un"), ("двадесет и един", "21"), ("ثلاثة وعشرون", "23"),
        ("About three thousand years later", "بعد حوالي ثلاثة آلاف عام"),
        ("1.2 million signatures", "120万人の署名"), ("2.3 billion", "23億ドル"), ("10 billion euros", "10 milliards d'euros"),
        ("340 млн.", "340 millions"), ("104,500 barrels", "10万4500バレル"), ("104\u2009500 barils", "104,500"),
        ("783,562 square kilometres", "783،562 كيلومتر"), ("645 miles (1040 km)", "645\xa0miles (1\u2009040 km)"),
        ("around 11:00 local time", "vers 11 h heure locale"), ("1995–96", "1995～1996年"),
        ("the 16th century", "XVIe siècle"), ("XVI век", "16世紀"), ("quatre-vingts ans", "80 years"),
        ("on March 20", "le 20 mars"), ("في 7 كانون الأول", "7 декември"), ("Nov-Feb", "novembre à février"),
        # Swiss thousands (not a FLORES line: Swiss German and French texts write them so)
        ("Das Matterhorn ist 4'478 m hoch.", "Le Cervin culmine à 4478 m."), ("1’200’000 Franken", "1 200 000 francs"),
        # ... and German times of day
        ("um 14.30 Uhr", "à 14 h 30"), ("um 8.15 Uhr", "at 8:15 a.m."), ("um 11.00 Uhr", "vers 11 h"),
        # ... and "more than" inside a Chinese numeral, before its larger unit (MAC-Dev 006)
        ("这红光来自于一百多亿年前", "this red light came from over ten billion years ago"),
    ]
    # ... dozens, Japanese digits with 千 and 万 inside, decades, French "about so many", Bulgarian
    # ordinals, Arabic per cent
    same += [
        ("more than two-dozen Emmy awards", "أكثر من 24 جائزة إيمي"), ("some four dozen bases", "حوالي 48 قاعدة"),
        ("над две дузини награди", "deux douzaines de prix"), ("3億4千万～5億人", "340 million to 500 million speakers"),
        ("5千4百万人のプロフィール", "54 million profiles"), ("In the 1960s", "1960年代"), ("les années 1970", "the 1970s"),
        ("ثلاثينيات القرن الماضي", "the 1930s"), ("ثلاثينيات القرن التاسع عشر", "the 1830s"), ("في السبعينات", "70-те"),
        ("une vingtaine de langues", "twenty languages"), ("Moins d'un millier de cas", "Fewer than a thousand cases"),
        ("през деветнадесети и двадесети век", "during the nineteenth and twentieth centuries"),
        ("46 في المائة من الأصوات", "46 percent of the vote"),
    ]
    # ... centuries joined or their noun left out, decades spelled or counted, the scale a range writes
    # once, Arabic duals of the scales
    same += [
        ("au cours des XIXe et XXe siècles", "during the nineteenth and twentieth centuries"),
        ("du XIXe siècle et début du XXe", "XIX-XX век"), ("a typical guest is in their twenties", "une vingtaine d’années"),
        ("within two decades", "20年以内に"), ("две десетилетия", "خلال العقدين الماضيين"),
        ("During the last three decades", "au cours des trois dernières décennies"), ("العقود الثلاثة الماضية", "30 years"),
        ("two million to three million years old", "vieux de deux à trois millions d'années"),
        ("200～300万年前", "بين مليوني وثلاثة ملايين عام"), ("2-3 млн. души", "от 2 до 3 милиона"),
    ]
    # ... halves after a number, its unit or a scale, and units of time in the Arabic dual
    same += [
        ("1.5 hour drive", "車で1時間半"), ("an hour and a half", "ساعة ونصف"), ("une heure et demie", "час и половина"),
        ("two and a half years", "deux ans et demi"), ("две години и половина", "سنتين ونصف"), ("两年半", "2.5 years"),
        ("3か月半", "ثلاثة أشهر ونصف"), ("two and a half million", "2,5 милиона"), ("un million et demi", "1.5 million"),
        ("полторы тысячи", "1,500"), ("منذ عامين", "two years ago"), ("一个半月", "a month and a half"),
        ("one and a half million refugees", "1,5 милиона бежанци"),
        ("Тридесетгодишната война", "the Thirty Years' War"), ("пятилетний план", "a five-year plan"),
    ]
    for a, b in same:
        assert numbers(a) == numbers(b), (a, b, numbers(a), numbers(b))
    assert numbers("2010年半ばに") == {2010.0} and numbers("6時半に") == {6.0}  # mid-2010; half past six
    assert numbers("летний сезон") == numbers("многолетний опыт") == set()  # summer; of many years
    assert numbers("2.5 1000") == {2.5, 1000.0}  # a table's two numbers, not 2,500
    assert numbers("ثلاثة أطفال ونصف السكان") == numbers("три деца и половина от хората") == {3.0}  # half of the
    for plural in ("الآلاف من القطع الأثرية", "آلاف وآلاف السنين", "数十億ドル", "dozens of people", "عشرات الآلاف",
                   "des décennies de guerre", "منذ عقود", "decades later"):
        assert numbers(plural) == set(), plural  # thousands, billions, dozens, tens of thousands: no number
    assert numbers("първите десет позиции") == {10.0}  # the first ten, not eleven
    # a decade written short on one side and whole on the other agrees; another decade does not
    assert number_flags(anchors("през 60-те"), anchors("in the 1960s")) == []
    assert number_flags(anchors("в 70-те"), anchors("in the 1960s")) == ["number_mismatch"]
    assert numbers("entre trois et six mois") == {3.0, 6.0}  # "et" joins "vingt et un", not a range
    assert numbers("from 1 to 10,000 people") == {1.0, 10000.0}  # a range's scale is a word, not digits
    assert numbers("يوم الاثنين") == set() and numbers("اثنين من الجنود") == {2.0}  # Monday is no two
    assert numbers("بعشرين نقطة") == numbers("twenty points") and numbers("لست أدري") == set()  # "by", not "I am not"
    assert numbers("coûte environ un cent") == set()  # a cent coin: French writes a hundred "cent"
    assert numbers("50 per cent") == numbers("50 cents") == {50.0}  # "cent" alone is not 100
    # plural scales alone are "thousands of", no number; after digits they scale them (dev lines)
    assert not numbers("хиляди барела") | numbers("des milliards de kilomètres") | numbers("billions of dollars")
    assert not numbers("قناة ألفا تي في")  # Alpha TV, not a thousand
    assert numbers("340 ملايين") == numbers("340 millions") == numbers("340 млн.") == {340e6}
    assert numbers("2 хиляди") == numbers("две хиляди") == {2000.0} and numbers("ثلاثين ألفا") == {30000.0}
    assert not numbers("one of the nine") - {9.0} and not numbers("un homme") and not numbers("Mars is red")
    assert numbers("It may rain") == set() and numbers("Sept points") == {7.0}  # French seven, not September
    assert numbers("القرن الخامس عشر") == numbers("the 15th century") == {15.0}  # an ordinal, "عشر" closing it
    assert numbers("القرنين التاسع عشر والعشرين") == numbers("the 19th and 20th centuries")
    assert numbers("عشر سنوات") == set() and numbers("بين ثلاثة وستة أشهر") == {3.0, 6.0}
    # Chinese and Japanese numerals, ranges and ordinals as the other side writes them
    han = [("我过二十一岁生日以前", "Until my twenty-first birthday"), ("他走过十五队", "the fifteenth team"),
           ("三千五百人", "3,500 people"), ("百分之五十", "50%"), ("一百零三", "a hundred and three"),
           ("十七八岁的少年", "a youth of seventeen or eighteen"), ("三四点的太阳", "three or four o'clock"),
           ("二十两银子", "twenty taels of silver"), ("二〇二四年", "in 2024"), ("两个人", "two people"),
           ("le vingtième siècle", "the twentieth century")]
    for a, b in han:
        assert numbers(a) == numbers(b), (a, b, numbers(a), numbers(b))
    for everyday in ("十分好", "千万不要", "万一", "一些人", "三三两两", "七零八落", "一个人", "统一", "走了十万八千里"):
        assert numbers(everyday) == set(), everyday  # words and idioms, not numbers
    assert numbers("十万八千人") == {108000.0} and numbers("数值是0.010") == {0.01}  # MAC-Dev: 0.010 is no ten
    text = "Helicopters rescued the twelve crewmembers on 26 Nov"
    assert [text[start:end] for start, end, _ in number_spans(text)] == ["twelve", "26", "Nov"]  # what the app marks


def test_number_flags_on_true_translations_are_rare_and_catch_a_changed_figure():
    """Each line of the repo's FLORES-200 lines against its translation in the other four languages:
    true translations, so a flag is a false alarm unless the translator converted a unit. 392 of
    the 1,317 line pairs with numbers were flagged before number words and ONE_SIDED_FROM, 92 of
    1,500 before dozens, decades and Bulgarian ordinals were read, 70 of 1,503 before counted decades
    and ranges with one scale, 57 of 1,495 now. And changing a figure of 13 or more on one side is
    always flagged."""
    codes = {"en": "eng_Latn", "fr": "fra_Latn", "bg": "bul_Cyrl", "ar": "arb_Arab", "ja": "jpn_Jpan"}
    lines = {lang: (FLORES / "dev" / f"{code}.dev").read_text(encoding="utf-8").splitlines() for lang, code in codes.items()}
    with_numbers = flagged = changed = 0
    for a, b in [(a, b) for a in codes for b in codes if a < b]:
        for text_a, text_b in zip(lines[a], lines[b]):
            x, y = anchors(text_a), anchors(text_b)
            if not (x.numbers or y.numbers):
                continue
            with_numbers += 1
            flagged += bool(number_flags(x, y))
            shared = [(s, e, v) for s, e, v in number_spans(text_b) if v in x.numbers and v >= ONE_SIDED_FROM]
            if shared and not number_flags(x, y):
                start, end, value = shared[0]
                changed_figure = str(int(value) + 1) if value.is_integer() else str(value + 1)
                other = anchors(text_b[:start] + changed_figure + text_b[end:])
                assert number_flags(x, other), (text_a, text_b)
                changed += 1
    assert with_numbers > 1450 and flagged / with_numbers < 0.06, (flagged, with_numbers)
    assert changed > 500


def test_japanese_and_french_renderings_align(seeded, embedder):
    ja, fr = store.document(seeded, JA), store.document(seeded, FR)
    aligned = compare.align_documents(seeded, ja, fr, embedder)
    assert aligned.result.mode == "parallel"
    records = aligned.records()
    unit_of = {}
    for r in records:
        for i in r["src_ids"]:
            unit_of[i] = r

    def paired(ja_fragment: str, fr_fragment: str) -> None:
        unit = unit_of[sentence_index(ja, ja_fragment)]
        assert sentence_index(fr, fr_fragment) in unit["tgt_ids"], (ja_fragment, unit["tgt_text"])

    paired("約2,000人のアサド兵", "Près de 2 000 soldats")
    paired("ハフェズの像がジャラマナ", "statue de Hafez")
    paired("Hayat Tahrir al-Sham(HST)", "Le groupe islamiste Hayat Tahrir al-Sham")
    paired("南部作戦室", "Salle d’opérations du sud")
    paired("2018年以来", "depuis 2018")
    # the French drops the Palmyra, Deir ez-Zor and Russia paragraphs
    for omitted in ("パルミラを占領", "デイル・アル・ゾルを失った", "タルトゥスから船を撤退"):
        assert unit_of[sentence_index(ja, omitted)]["tgt_ids"] == [], omitted
    # spans point into each file's decoded text
    ja_text, fr_text = (CORPUS / JA).read_text(encoding="utf-8"), (CORPUS / FR).read_text(encoding="utf-8")
    for r in records:
        assert "".join(ja_text[a:b] for a, b in r["src_spans"]) == r["src_text"]
        assert " ".join(fr_text[a:b] for a, b in r["tgt_spans"]) == r["tgt_text"]
        assert 0.0 <= r["score"] <= 1.0 if r["kind"] != "boilerplate" else r["score"] is None
    pairs = [r for r in records if r["src_ids"] and r["tgt_ids"]]
    assert len(pairs) >= 12
    soldiers = unit_of[sentence_index(ja, "約2,000人のアサド兵")]
    # among the most confident units, with the two that share names (Hayat Tahrir al-Sham, HTS at Aleppo);
    # in a rewrite whose links stand among omissions no link is near-certain (0.91; 0.97 from its margin alone)
    assert soldiers["score"] > 0.9 and soldiers["score"] >= sorted(r["score"] for r in pairs)[-3]


def test_links_follow_the_soldiers_to_iraq_and_flag_the_arabic_count(seeded, embedder):
    docs = store.documents(seeded)
    links = compare.compute_links(seeded, docs, embedder)
    by_path = {d.path: d for d in docs}
    ja, fr, bg, ar2 = by_path[JA], by_path[FR], by_path[BG], by_path[AR2]
    source = sentence_index(ja, "約2,000人のアサド兵")
    best = {k.other_doc: k for k in links if k.doc == ja.id and k.index == source}
    assert "Près de 2 000 soldats" in fr.sentences[best[fr.id].other_index].text
    assert "бягат в Ирак" in bg.sentences[best[bg.id].other_index].text
    arabic = ar2.sentences[best[ar2.id].other_index].text
    assert "أكثر من ألف جندي" in arabic
    assert "number_mismatch" in best[ar2.id].flags
    assert not best[fr.id].flags and not best[bg.id].flags
    # and back: the Arabic report finds the French one, with the same disagreement flagged
    back = next(k for k in links if k.doc == ar2.id and k.index == best[ar2.id].other_index and k.other_doc == fr.id)
    assert "Près de 2 000 soldats" in fr.sentences[back.other_index].text
    assert "number_mismatch" in back.flags


def test_story_groups_separate_unrelated_articles(seeded, embedder, tmp_path, embedding_template):
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "science-en.txt").write_text("\n".join(english[:12]), encoding="utf-8")
    (folder / "travel-fr.txt").write_text("\n".join(french[250:262]), encoding="utf-8")
    conn = store.connect(from_template(embedding_template, tmp_path / "ws"))
    ingest.ingest_folder(conn, CORPUS)
    ingest.ingest_folder(conn, folder)
    groups, _ = compare.story_groups(conn, store.documents(conn), embedder)
    paths = [sorted(d.path for d in group) for group in groups]
    assert sorted(p.name for p in CORPUS.glob("*.txt")) in paths
    assert ["science-en.txt"] in paths and ["travel-fr.txt"] in paths


def translated_pair() -> tuple[Side, Side, set]:
    """40 FLORES French sentences and their English, some English sentences merged, three left
    out; with the gold links."""
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()[:40]
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:40]
    rng = random.Random(3)
    tgt_units, k = [], 0
    while k < 40:  # merge some adjacent English sentences, drop a few
        if k + 1 < 40 and rng.random() < 0.15:
            tgt_units.append([k, k + 1])
            k += 2
        else:
            tgt_units.append([k])
            k += 1
    dropped = {3, 17, 29}
    tgt_units = [u for u in tgt_units if not set(u) & dropped]
    gold = {(tuple(u), (p,)) for p, u in enumerate(tgt_units)} | {((d,), ()) for d in dropped}
    return (Side(french, "fr", [None] * 40),
            Side([" ".join(english[i] for i in u) for u in tgt_units], "en", [None] * len(tgt_units)), gold)


def moved_passages_pair() -> tuple[Side, Side, list]:
    """60 FLORES French sentences and an English report telling their six passages in another
    order, some three French sentences said in one English one, some left out; with the gold links."""
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()[:60]
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:60]
    rng = random.Random(5)
    passages = [list(range(k, k + 10)) for k in range(0, 60, 10)]
    rng.shuffle(passages)
    tgt_units: list[list[int]] = []
    for passage in passages:
        k = 0
        while k < len(passage):
            size = 3 if k + 2 < len(passage) and rng.random() < 0.25 else 1
            tgt_units.append(passage[k:k + size])
            k += size
    tgt_units = [u for u in tgt_units if len(u) > 1 or rng.random() >= 0.1]
    kept = {line for unit in tgt_units for line in unit}
    gold = [((i,), ()) for i in range(60) if i not in kept]
    gold += [(tuple(unit), (position,)) for position, unit in enumerate(tgt_units)]
    return (Side(french, "fr", [None] * 60),
            Side([" ".join(english[i] for i in u) for u in tgt_units], "en", [None] * len(tgt_units)), gold)


def test_monotonic_dp_recovers_merges_and_omissions_on_flores(embedder):
    src, tgt, expected = translated_pair()
    result = align(src, tgt, embedder)
    assert result.mode == "parallel"
    got = {(tuple(u.src_ids), tuple(u.tgt_ids)) for u in result.units}
    assert len(expected & got) >= 0.9 * len(expected), sorted(expected - got)


def merged_and_omitted_pair(seed: int, first: int = 0, count: int = 150) -> tuple[Side, Side, list]:
    """``count`` FLORES lines from ``first`` as Arabic and Bulgarian documents: runs of two or three
    lines said in one sentence on one side and apart on the other, and single lines left out of one
    side (so an omission often sits beside a link); with the gold links."""
    arabic = (FLORES / "dev" / "arb_Arab.dev").read_text(encoding="utf-8").splitlines()
    bulgarian = (FLORES / "dev" / "bul_Cyrl.dev").read_text(encoding="utf-8").splitlines()
    rng = random.Random(seed)
    src: list[str] = []
    tgt: list[str] = []
    gold: list = []
    k = first
    while k < first + count:
        lines = list(range(k, min(k + rng.choice([1, 1, 1, 1, 2, 3]), first + count)))
        k += len(lines)
        draw = rng.random()
        if len(lines) == 1 and draw < 0.1:
            gold.append(([len(src)], []))
            src.append(arabic[lines[0]])
        elif len(lines) == 1 and draw < 0.2:
            gold.append(([], [len(tgt)]))
            tgt.append(bulgarian[lines[0]])
        elif len(lines) == 1:
            gold.append(([len(src)], [len(tgt)]))
            src.append(arabic[lines[0]])
            tgt.append(bulgarian[lines[0]])
        elif draw < 0.5:
            gold.append(([len(src)], list(range(len(tgt), len(tgt) + len(lines)))))
            src.append(" ".join(arabic[i] for i in lines))
            tgt += [bulgarian[i] for i in lines]
        else:
            gold.append((list(range(len(src), len(src) + len(lines))), [len(tgt)]))
            src += [arabic[i] for i in lines]
            tgt.append(" ".join(bulgarian[i] for i in lines))
    return (Side(src, "ar", [None] * len(src)), Side(tgt, "bg", [None] * len(tgt)),
            [(tuple(s), tuple(t)) for s, t in gold])


def partially_rendered_pair(first: int) -> tuple[Side, Side, list[tuple[int, int]]]:
    """150 FLORES lines from ``first`` as Arabic and Bulgarian documents in which some runs of three
    lines are one Arabic sentence and the Bulgarian side keeps only the first of the three (the
    other two left out); with the (Arabic, Bulgarian) index of each such partial rendering."""
    arabic = (FLORES / "dev" / "arb_Arab.dev").read_text(encoding="utf-8").splitlines()
    bulgarian = (FLORES / "dev" / "bul_Cyrl.dev").read_text(encoding="utf-8").splitlines()
    rng = random.Random(first)
    src: list[str] = []
    tgt: list[str] = []
    partial = []
    k = first
    while k < first + 150:
        if rng.random() < 0.15:
            partial.append((len(src), len(tgt)))
            src.append(" ".join(arabic[k:k + 3]))
            tgt.append(bulgarian[k])
            k += 3
        else:
            src.append(arabic[k])
            tgt.append(bulgarian[k])
            k += 1
    return Side(src, "ar", [None] * len(src)), Side(tgt, "bg", [None] * len(tgt)), partial


def thinned_pair(lang_a: str, lang_b: str, seed: int, deleted: float = 0.3, first: int = 0,
                 count: int = 150) -> tuple[Side, Side, list]:
    """The repo's ``count`` FLORES lines from ``first`` in two languages as documents, each line
    left out of each side at chance ``deleted`` (FLORES's del30 recipe without its merges); with
    the gold."""
    codes = {"ja": "jpn_Jpan", "en": "eng_Latn", "ar": "arb_Arab", "bg": "bul_Cyrl", "fr": "fra_Latn"}
    lines = [(FLORES / "dev" / f"{codes[lang]}.dev").read_text(encoding="utf-8").splitlines()[first:first + count]
             for lang in (lang_a, lang_b)]
    rng = random.Random(seed)
    kept = [[k for k in range(count) if rng.random() >= deleted] for _ in lines]
    where = [{k: i for i, k in enumerate(side)} for side in kept]
    gold = [(tuple(w[k] for w in where[:1] if k in w), tuple(w[k] for w in where[1:] if k in w))
            for k in range(count) if k in where[0] or k in where[1]]
    return (Side([lines[0][k] for k in kept[0]], lang_a, [None] * len(kept[0])),
            Side([lines[1][k] for k in kept[1]], lang_b, [None] * len(kept[1])), gold)


def with_blocks_shuffled(tgt: Side, gold: list, seed: int, block: int = 10) -> tuple[Side, list]:
    """``tgt`` with its runs of ``block`` sentences in a random order (a report that tells the same
    passages in another order), and ``gold`` renumbered to match."""
    blocks = [list(range(k, min(k + block, len(tgt.texts)))) for k in range(0, len(tgt.texts), block)]
    random.Random(seed).shuffle(blocks)
    order = [j for run in blocks for j in run]
    where = {j: k for k, j in enumerate(order)}
    return (Side([tgt.texts[j] for j in order], tgt.lang, [None] * len(order)),
            [(s, tuple(where[j] for j in t)) for s, t in gold])


@pytest.mark.parametrize("mode", ["parallel", "comparable"])
def test_where_very_much_is_omitted_units_earn_their_knn_margins_too(embedder, mode):
    """With 30% of each side's lines left out, a first pass omits ~20%, and the local margin
    (a unit less the sentences just outside it) favours taking a left-over neighbour of the same
    story into a link; the kNN margin does not (AlignParams.knn_weight). Measured on these four
    documents, strict F1 per document with / without: ja-en 0.9889 / 0.9827 and 0.9886 / 0.9886,
    ar-bg 0.9964 / 0.9964 and 1.0 / 0.9851; with the target's runs of 10 lines shuffled, in
    comparable mode (at the rate a first pass over its passages omits): 0.9889 / 0.9827, 0.9721 /
    0.9721, 0.9926 / 0.9964, 0.9963 / 0.9812."""
    cases = [thinned_pair(a, b, seed) for a, b in (("ja", "en"), ("ar", "bg")) for seed in (0, 1)]
    if mode == "comparable":
        cases = [(src, *with_blocks_shuffled(tgt, gold, seed)) for seed, (src, tgt, gold) in enumerate(cases)]
    found = []
    for weight in (AlignParams().knn_weight, 0.0):
        tests = [[(tuple(u.src_ids), tuple(u.tgt_ids)) for u in
                  align(src, tgt, embedder, None, mode, AlignParams(knn_weight=weight)).units]
                 for src, tgt, _ in cases]
        found.append(score([gold for _, _, gold in cases], tests).f1_strict)
    assert found[0] >= found[1] + 0.003, found


def test_units_of_short_documents_earn_their_knn_margins_too(embedder):
    """Among a few dozen sentences, as where much is omitted, the local margin favours taking a
    left-over neighbour into a link (AlignParams.short_knn_weight). The repo's 300 FLORES lines as
    documents of 20, 30% of each side's lines left out, Japanese-French and Arabic-Bulgarian:
    pooled strict F1 0.9698 / 0.9611 and 0.9630 / 0.9575 with / without (blocks from their
    sentences' vectors, as the test runs them); also with / without, Bulgarian-English 0.9746 /
    0.9692, Japanese-English 0.9728 / 0.9673, Arabic-English 0.9661 either way."""
    cases = [thinned_pair(a, b, first, 0.3, first, 20) for a, b in (("ja", "fr"), ("ar", "bg"))
             for first in range(0, 300, 20)]
    found = []
    for weight in (AlignParams().short_knn_weight, 0.0):
        tests = [[(tuple(u.src_ids), tuple(u.tgt_ids)) for u in align(
            src, tgt, embedder, None, "parallel", AlignParams(short_knn_weight=weight, joined_share=0.0)).units]
            for src, tgt, _ in cases]
        found.append(score([gold for *_, gold in cases], tests).f1_strict)
    assert found[0] >= found[1] + 0.005, found


def test_a_sentence_rendering_part_of_a_merged_one_is_still_its_link(embedder):
    """A 3:1 length mismatch would cost far more than any margin: uncapped, the DP left both
    sentences out. Measured on these two documents: 22 of 32 partial renderings linked without
    the cap, 29 with it."""
    found = {}
    for cap in (AlignParams().length_cap, 1000.0):
        found[cap] = 0
        for first in (0, 150):
            src, tgt, partial = partially_rendered_pair(first)
            units = align(src, tgt, embedder, None, "parallel", AlignParams(length_cap=cap, joined_share=0.0)).units
            got = {(tuple(u.src_ids), tuple(u.tgt_ids)) for u in units}
            found[cap] += sum(((i,), (j,)) in got for i, j in partial)
    capped, uncapped = found.values()
    assert capped >= 27 and capped >= uncapped + 5, found


def short_documents_with_omissions(code: str, lang: str) -> list[tuple[Side, Side, list]]:
    """The repo's 300 FLORES lines in ``code`` and English as 20 documents of 15 lines, each line
    left out of either side at chance 0.3 (news-article lengths, many omissions); with the gold."""
    source = (FLORES / "dev" / f"{code}.dev").read_text(encoding="utf-8").splitlines()
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    cases = []
    for first in range(0, 300, 15):
        rng = random.Random(first)
        lines = range(first, first + 15)
        src_kept = [k for k in lines if rng.random() >= 0.3]
        tgt_kept = [k for k in lines if rng.random() >= 0.3]
        gold = [(tuple([src_kept.index(k)] if k in src_kept else []),
                 tuple([tgt_kept.index(k)] if k in tgt_kept else [])) for k in lines if k in src_kept or k in tgt_kept]
        cases.append((Side([source[k] for k in src_kept], lang, [None] * len(src_kept)),
                      Side([english[k] for k in tgt_kept], "en", [None] * len(tgt_kept)), gold))
    return cases


def test_short_documents_take_their_thin_neighbourhoods_off_the_omission_costs(embedder):
    """Among 10-15 candidates a sentence's nearest neighbours are less alike than among 100, so the
    kNN margins the omission costs read run high and left-over sentences get linked to each other.
    Measured on these 40 documents (ja-en and bg-en): pooled strict F1 0.928 without the offset,
    0.941 with it; since short documents' units earn their kNN margins too (short_knn_weight),
    0.953 and 0.960."""
    cases = short_documents_with_omissions("jpn_Jpan", "ja") + short_documents_with_omissions("bul_Cyrl", "bg")
    f1 = {}
    for offset in (AlignParams().small_pool_offset, 0.0):
        tests = [[(tuple(u.src_ids), tuple(u.tgt_ids)) for u in align(
            src, tgt, embedder, None, "parallel", AlignParams(small_pool_offset=offset, joined_share=0.0)).units]
            for src, tgt, _ in cases]
        f1[offset] = score([gold for *_, gold in cases], tests).f1_strict
    with_offset, without = f1.values()
    assert with_offset >= without + 0.005, f1


def test_a_counterpart_claimed_by_a_clear_match_is_no_evidence_against_omitting():
    margin = np.array([[0.10, 0.06, 0.00],
                       [0.01, 0.02, 0.03],
                       [0.00, 0.01, 0.04]])
    scorer = type("FakeScorer", (), {"margin11": margin, "params": AlignParams(claim_margin=0.05),
                                     "knn_inflation": 0.0})()
    src_best, tgt_best = unclaimed_best(scorer)
    # source 0 and target 0 are a clear mutual best match: target 1's best counterpart (source 0,
    # 0.06) is claimed, so its evidence is its best among the rest; the 0.04 match is not clear
    assert tgt_best.tolist() == [0.10, 0.02, 0.04] and src_best.tolist() == [0.10, 0.03, 0.04]
    nothing_left = np.array([[0.10], [0.07]])
    scorer = type("FakeScorer", (), {"margin11": nothing_left, "params": AlignParams(), "knn_inflation": 0.0})()
    assert unclaimed_best(scorer)[0].tolist() == [0.10, 0.07]  # the only target is source 0's
    scorer.margin11 = np.array([[0.10, 0.07]])
    assert unclaimed_best(scorer)[1].tolist() == [0.10, 0.07]


def test_a_unit_pays_for_an_edge_sentence_that_does_not_match_the_other_block():
    # three source sentences, two target ones; margins of each sentence against each block
    blocks = {(1, 2): np.array([[0.05], [-0.02], [0.01]]),  # source sentence i vs targets 0-1
              (2, 1): np.array([[0.04, -0.03], [0.02, 0.01]]),  # sources i..i+1 vs target j
              (2, 2): np.zeros((2, 1)), (1, 1): np.zeros((3, 2))}
    scorer = type("FakeScorer", (), {"margin": lambda self, a, b: blocks[(a, b)], "knn_inflation": 0.0})()
    # the 2-2 unit at (0, 0): source 1 (-0.02) and target 1 (-0.03) fall short; at (1, 0): source 1
    assert np.allclose(edge_misfit(scorer, 2, 2), [[0.05], [0.02]])
    assert np.allclose(edge_misfit(scorer, 1, 2), [[0.0], [0.0], [0.0]])  # its target ends: 1-1 margins 0
    assert edge_misfit(scorer, 1, 1) == 0.0  # no side of two


def test_a_sentence_beside_a_clear_link_is_left_out_not_absorbed(embedder):
    """A sentence whose counterpart was left out is similar to its neighbour's counterpart (one
    article), and a block of the two is more similar still (composed blocks are smoother): that
    counterpart's clear match with the neighbour must not count as evidence against omitting it.
    Measured on these four documents: pooled strict F1 0.902 -> 0.920, gold omissions found 20 -> 26
    (joined blocks left out, here and in the tests of other costs: they are tested on their own, and
    embedding them is most of these alignments' time)."""
    cases = [merged_and_omitted_pair(seed) for seed in range(4)]
    found = {}
    for claim_margin in (AlignParams().claim_margin, math.inf):
        tests = [[(tuple(u.src_ids), tuple(u.tgt_ids)) for u in align(src, tgt, embedder, None, "parallel",
                                                        AlignParams(claim_margin=claim_margin,
                                                                    joined_share=0.0)).units]
                 for src, tgt, _ in cases]
        omissions = sum(link in test for (_, _, gold), test in zip(cases, tests) for link in gold
                        if not link[0] or not link[1])
        found[claim_margin] = (score([gold for _, _, gold in cases], tests).f1_strict, omissions)
    (f1, omissions), (f1_unclaimed, omissions_unclaimed) = found.values()
    assert f1 >= f1_unclaimed + 0.008 and omissions >= omissions_unclaimed + 3, found


def test_omitted_runs_are_sentences_left_out_in_a_row_on_their_side():
    # source 1-3 omitted, a target omission between 1 and 2 (it does not break the run), then links
    path = [(range(0, 1), range(0, 1)), (range(1, 2), range(1, 1)), (range(2, 2), range(1, 2)),
            (range(2, 4), range(2, 2)), (range(4, 5), range(2, 3))]
    src, tgt = omitted_runs(path, 5, 3, 3)
    assert src.tolist() == [False, True, True, True, False] and not tgt.any()
    assert not omitted_runs(path, 5, 3, 4)[0].any() and not omitted_runs(path, 5, 3, 0)[0].any()
    # a unit breaks a run: 1 and 3 are two runs of one
    broken = [(range(0, 1), range(0, 1)), (range(1, 2), range(1, 1)), (range(2, 3), range(1, 2)),
              (range(3, 4), range(2, 2))]
    assert not omitted_runs(broken, 4, 2, 2)[0].any()


def test_a_passage_one_side_leaves_out_is_omitted_not_absorbed(embedder):
    """An abridged translation: ten lines cut from the middle of 120 Bulgarian FLORES lines. The
    Arabic ten have no counterpart; omitting them at the cost the pair's low omission rate sets
    (1 in 23 sentences) cost more than taking them into the links beside the cut as two 6-1
    units, which an analyst would read as translations. The first pass omits them as a passage, and
    a passage pays its evidence alone (AlignParams.omission_run)."""
    arabic = (FLORES / "dev" / "arb_Arab.dev").read_text(encoding="utf-8").splitlines()[:120]
    bulgarian = (FLORES / "dev" / "bul_Cyrl.dev").read_text(encoding="utf-8").splitlines()[:120]
    cut = range(50, 60)
    src = Side(arabic, "ar", [None] * len(arabic))
    tgt = Side([line for k, line in enumerate(bulgarian) if k not in cut], "bg", [None] * (len(bulgarian) - len(cut)))
    gold = [((k,), ()) if k in cut else ((k,), (k if k < cut.start else k - len(cut),)) for k in range(len(arabic))]
    found = {}
    for run in (AlignParams().omission_run, 0):
        units = align(src, tgt, embedder, None, "parallel", AlignParams(omission_run=run, joined_share=0.0)).units
        test = [(tuple(u.src_ids), tuple(u.tgt_ids)) for u in units]
        found[run] = (sum(((k,), ()) in test for k in cut), score([gold], [test]).f1_strict,
                      max(len(u.src_ids) for u in units))
    (omitted, f1, widest), absorbed = found.values()
    assert omitted >= 9 and f1 >= 0.99 and widest == 1, found
    assert absorbed[0] < omitted and absorbed[2] > 3, found  # without the rule: 6-1 units over the cut


def test_page_numbers_and_running_heads_are_print_furniture():
    assert print_furniture(["— 45 —", "45", "* * *", "Le col fut atteint à 10 h.", "2024"]) == [
        True, True, True, False, True]
    heads = ["Die Alpen 1952", "Der Grat war vereist.", "Die Alpen 1953", "Wir kehrten um.", "Die Alpen 1954"]
    assert print_furniture(heads) == [True, False, True, False, True]
    # a heading that differs but for its number twice only, or says no number, is text
    assert print_furniture(["Kapitel 1", "Text.", "Kapitel 2", "Noch.", "Noch."]) == [False] * 5


@pytest.mark.parametrize("running_line", ["— {} —", "Годишник на Алпийския клуб {}"])
def test_page_numbers_and_running_heads_on_one_side_are_omitted_not_absorbed(embedder, running_line):
    """Text taken from print carries a page number or running head every page, on one side only.
    At the low omission rate of a translation, such a line cost more to omit than to add to the
    link beside it (a 1-2 unit, every 15 lines: strict F1 0.942 on these 128 lines); it pays its
    evidence alone now (boilerplate.print_furniture)."""
    arabic = (FLORES / "dev" / "arb_Arab.dev").read_text(encoding="utf-8").splitlines()[:120]
    bulgarian = (FLORES / "dev" / "bul_Cyrl.dev").read_text(encoding="utf-8").splitlines()[:120]
    tgt: list[str] = []
    gold = []
    for k, line in enumerate(bulgarian):
        if k and k % 15 == 0:
            gold.append(((), (len(tgt),)))
            tgt.append(running_line.format(40 + k // 15))
        gold.append(((k,), (len(tgt),)))
        tgt.append(line)
    units = align(Side(arabic, "ar", [None] * len(arabic)), Side(tgt, "bg", [None] * len(tgt)), embedder, None,
                  "parallel", AlignParams(joined_share=0.0)).units
    test = [(tuple(u.src_ids), tuple(u.tgt_ids)) for u in units]
    assert score([gold], [test]).f1_strict == 1.0, [link for link in test if link not in gold]


def test_a_sentence_opens_and_closes_with_its_first_and_last_clause():
    assert opening_and_closing_clause("好了，从现在起，数据会自动保存。") == ("好了", "数据会自动保存。")
    assert opening_and_closing_clause("彼は、家に帰った。") == ("彼は", "家に帰った。")
    assert opening_and_closing_clause("قال المتحدث، ثم غادر القاعة.") == ("قال المتحدث", " ثم غادر القاعة.")
    assert opening_and_closing_clause('He said: "no".') == ("He said", ' "no".')
    assert opening_and_closing_clause("He left.") == ("He left.", "He left.")
    # marks with no words between them are no clause: "“好，”他说。" opens with "“好", closes with the attribution
    assert opening_and_closing_clause("“好，”他说。") == ("“好", "”他说。")
    assert opening_and_closing_clause("“，”") == ("“，”", "“，”")


def test_a_text_of_two_sentences_opens_inside_the_first_and_closes_inside_the_last():
    # a line of a one-sentence-per-line file that holds two sentences (or FLORES lines merged): the
    # first has no comma, so its opening clause used to run on into the second sentence
    assert opening_and_closing_clause("The army took the city. Rebels fled north, and the UN spoke.") == (
        "The army took the city.", " and the UN spoke.")
    assert opening_and_closing_clause("軍は市を制圧した。反乱軍は北へ逃げた。") == ("軍は市を制圧した。", "反乱軍は北へ逃げた。")
    assert opening_and_closing_clause("“好。”他说。") == ("“好。”", "他说。")
    assert opening_and_closing_clause('"Go." He left at once.') == ('"Go."', "He left at once.")
    # an abbreviation, an initial or a word in lower case after the full stop goes on with its sentence
    assert opening_and_closing_clause("Dr. Smith went home.") == ("Dr. Smith went home.",) * 2
    assert opening_and_closing_clause("U.S. troops left at 5 p.m. yesterday.") == (
        "U.S. troops left at 5 p.m. yesterday.",) * 2


def test_a_unit_pays_where_a_sentence_beyond_its_edge_matches_the_clause_better():
    # two source sentences, three target ones: shortfalls (<= 0) where a unit starts (index [0], [2])
    # or ends ([1], [3]) at each sentence pair
    opening_src = np.array([[0.0, -0.01, 0.0], [0.0, 0.0, -0.04]])
    closing_src = np.array([[-0.02, 0.0, 0.0], [0.0, 0.0, 0.0]])
    opening_tgt = np.array([[0.0, 0.0, 0.0], [-0.03, 0.0, 0.0]])
    closing_tgt = np.zeros((2, 3))
    shortfalls = [opening_src, closing_src, opening_tgt, closing_tgt]
    # a 1-1 unit at (i, j) starts and ends there
    assert np.allclose(clause_misfit(shortfalls, 1, 1), [[-0.02, -0.01, 0.0], [-0.03, 0.0, -0.04]])
    # a 1-2 unit at (0, 0) starts at (0, 0) and ends at (0, 1); at (1, 1): starts (1, 1), ends (1, 2)
    assert np.allclose(clause_misfit(shortfalls, 1, 2), [[0.0, -0.01], [-0.03, 0.0]])
    # a 2-3 unit: the one place, start (0, 0), end (1, 2)
    assert np.allclose(clause_misfit(shortfalls, 2, 3), [[0.0]])


def test_clause_shortfalls_compare_a_sentence_with_its_neighbour_beyond_the_edge(embedder):
    chinese = ["“当然不用，这么低的精度，用旧卫星的数据就够了。", "好了，从现在开始，数值会自动保存。”"]
    english = ["\"No need.", "With precision this low, the old satellite's data is enough.", "Okay, it's all set.",
               "From now on, the values will be saved automatically.\""]
    scorer = Scorer(Side(chinese, "zh", [None] * 2), Side(english, "en", english), embedder, None, AlignParams())
    opening_src, closing_src, opening_tgt, closing_tgt = scorer.clause_shortfalls(np.ones(2, bool), np.ones(4, bool))
    assert all(a.shape == (2, 4) and (a <= 0).all() for a in (opening_src, closing_src, opening_tgt, closing_tgt))
    assert (opening_src[:, 0] == 0).all() and (closing_src[:, 3] == 0).all()  # no sentence beyond the edge
    assert (opening_tgt[0] == 0).all() and (closing_tgt[1] == 0).all()
    # "Okay, it's all set." opens the second sentence's unit: starting it one sentence later, at
    # "From now on ...", falls short against the opening clause "好了"; so does ending the first
    # sentence's unit on "Okay", against its closing clause "用旧卫星的数据就够了"
    assert opening_src[1, 2] == 0 and opening_src[1, 3] < 0
    assert closing_src[0, 1] == 0 and closing_src[0, 2] < 0


class CountingEmbedder:
    """The real embedder, recording every text it is asked to embed (its own cache name: nothing
    embedded elsewhere in the process is found in memory under it; the vectors come from the real
    model's memory cache where it has them)."""

    def __init__(self, embedder):
        self._embedder, self.name, self.embedded = embedder, embedder.name + ":counted", []
        self.reference = embedder.reference  # the same model

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return embed_cached(None, self._embedder, texts)


def test_clauses_and_joined_blocks_are_embedded_only_where_the_first_pass_leaves_a_boundary_in_doubt(
        embedder, monkeypatch):
    """A clean translation of 40 FLORES lines, two of them said in one English sentence: the
    links far from that merge are settled, and neither their sentences' clauses nor the joined
    texts of blocks holding only such sentences are ever embedded; the alignment is the one that
    weighing every sentence's clauses and every block's joined text gives."""
    japanese = (FLORES / "dev" / "jpn_Jpan.dev").read_text(encoding="utf-8").splitlines()[:40]
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:40]
    merged = english[:20] + [english[20] + " " + english[21]] + english[22:]
    src, tgt = Side(japanese, "ja", [None] * 40), Side(merged, "en", [None] * 39)
    counted = CountingEmbedder(embedder)
    units = [(u.src_ids, u.tgt_ids) for u in align(src, tgt, counted, None, "parallel").units]
    assert ([20, 21], [20]) in units
    size = AlignParams().joined_size
    blocks = {src.separator.join(japanese[k:k + n]): set(range(k, k + n))
              for n in range(2, size + 1) for k in range(41 - n)}
    joined = set(blocks).union(" ".join(merged[k:k + n]) for n in range(2, size + 1) for k in range(40 - n))
    clauses = set(counted.embedded) - set(japanese) - set(merged) - joined
    split = {k: set(edge_clauses([t])) for k, t in enumerate(japanese) if edge_clauses([t])}
    embedded = {k for k, edges in split.items() if edges <= clauses}
    # the first pass links line 20 alone and leaves 21 out: the links within two of that are in
    # doubt, and their clauses turn it into the 2-1 unit
    assert {k for k in split if 19 <= k <= 23} <= embedded
    assert len(embedded) <= len(split) / 2, (sorted(embedded), sorted(split))
    assert clauses - set(edge_clauses(merged)) == set().union(*(split[k] for k in embedded))
    # a block is joined only where it holds a doubtful sentence; the merge's are
    joined_blocks = [blocks[text] for text in set(counted.embedded) & set(blocks)]
    assert all(block & embedded for block in joined_blocks)
    assert {20, 21} in joined_blocks
    assert len(joined & set(counted.embedded)) <= len(joined) / 2
    monkeypatch.setattr(parallel_module, "doubtful_sentences",
                        lambda scorer, path: (np.ones(40, bool), np.ones(39, bool)))
    assert [(u.src_ids, u.tgt_ids) for u in align(src, tgt, embedder, None, "parallel").units] == units



def embed_through(monkeypatch, embed_cached_instead) -> None:
    """Every model call the aligner makes (sentences, joined blocks, clauses) goes through the given
    stand-in for embed.embed_cached."""
    for module in (scorer_module, views_module, clauses_module):
        monkeypatch.setattr(module, "embed_cached", embed_cached_instead)


def test_align_all_embeds_the_clauses_up_front_not_pair_by_pair(tmp_path, embedder, monkeypatch):
    """Pair by pair, a few clauses per model call kept one of the engine's two replicas busy:
    align_stories embeds every clause the aligner may weigh in one call before the first pair."""
    from workbench import embed as embed_module

    conn = store.connect(tmp_path / "ws")
    ingest.ingest_folder(conn, CORPUS)
    counted = CountingEmbedder(embedder)
    asked: list[str] = []

    def cached_only(conn, embedder, texts):
        asked.extend(t for t in texts if (embedder.name, embed_module._text_hash(t)) not in embed_module._memory)
        return embed_module.embed_cached(conn, embedder, texts)

    embed_through(monkeypatch, cached_only)
    _, pairs = compare.align_stories(conn, store.documents(conn), counted)
    assert pairs and store.alignment_signature(conn, pairs[0][0].id, pairs[0][1].id) is not None
    assert asked == []  # the aligner found every sentence and clause already embedded
    assert set(edge_clauses([s.text for d in store.documents(conn) for s in d.sentences
                             if not s.boilerplate])) <= set(counted.embedded)

def test_unit_edges_follow_the_clauses_on_merged_flores_sentences(embedder):
    """Runs of two or three FLORES lines said in one sentence on one side: where the unit ends on
    the other is where the merged sentence's closing clause is matched. Measured on these four
    documents, joined blocks left out: pooled strict F1 0.903 -> 0.920."""
    found = [merged_and_omitted_f1(embedder, clause_weight=weight, joined_share=0.0)
             for weight in (AlignParams().clause_weight, 0.0)]
    assert found[0] >= found[1] + 0.005, found


def merged_and_omitted_f1(embedder, documents: int = 4, **params) -> float:
    """Pooled strict F1 of the parallel aligner with ``params`` on merged_and_omitted_pair documents."""
    cases = [merged_and_omitted_pair(seed) for seed in range(documents)]
    tests = [[(tuple(u.src_ids), tuple(u.tgt_ids)) for u in align(src, tgt, embedder, None, "parallel",
                                                                   AlignParams(**params)).units]
             for src, tgt, _ in cases]
    return score([gold for _, _, gold in cases], tests).f1_strict


class HalvedEmbedder:
    """The real embedder's vectors with a constant dimension as large beside them: every cosine c
    becomes (c + 1) / 2, so a sentence's best counterpart sits half as far from the background, as
    in a model of another scale."""

    def __init__(self, embedder):
        self._embedder, self.name = embedder, embedder.name + ":halved"

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = embed_cached(None, self._embedder, list(texts))
        return (np.hstack([vectors, np.ones((len(vectors), 1), np.float32)]) / np.sqrt(2)).astype(np.float32)


def test_another_models_cosines_are_brought_to_the_scale_the_costs_were_fitted_on(embedder, monkeypatch):
    halved = HalvedEmbedder(embedder)
    assert similarity_scale(embedder, None) == 1.0  # e5 is the reference: as tuned
    assert sample_statistics(embedder, None)[0] == pytest.approx(REFERENCE_DISTANCE, rel=0.01)  # as measured
    assert similarity_scale(halved, None) == pytest.approx(2.0, rel=1e-3)
    # one document, joined blocks off: the vectors test_unit_edges_follow_the_clauses... left in memory
    as_tuned, scaled = (merged_and_omitted_f1(model, 1, joined_share=0.0) for model in (embedder, halved))
    monkeypatch.setattr(scorer_module, "similarity_scale", lambda model, conn: 1.0)
    unscaled = merged_and_omitted_f1(halved, 1, joined_share=0.0)
    assert scaled >= as_tuned - 0.01 and unscaled < scaled - 0.015, (as_tuned, scaled, unscaled)


def test_fixed_thresholds_read_another_models_cosines_on_e5s_scale(seeded, embedder, tmp_path, embedding_template,
                                                                    monkeypatch):
    """Search's similarity floor and the story threshold were set on e5's cosines; the halved
    model's, put on e5's scale, find what e5 finds, and taken as they come pass nearly everything."""
    halved = HalvedEmbedder(embedder)
    cosines = np.array([0.2, 0.78, 0.9])
    assert scale_module.on_reference_scale(cosines, embedder, None) is cosines  # e5: as they are
    assert scale_module.on_reference_scale((cosines + 1) / 2, halved, None) == pytest.approx(cosines, abs=1e-3)
    assert sample_statistics(embedder, None)[1] == pytest.approx(REFERENCE_BACKGROUND, abs=1e-3)

    def meaning_hits(model) -> list[tuple[int, int]]:
        return [(h.doc_id, h.index) for h in search.search(seeded, model, "Assad fled to Moscow") if h.how == "meaning"]

    folder = tmp_path / "other"  # two FLORES articles beside the seed story
    folder.mkdir()
    (folder / "science-en.txt").write_text("\n".join(
        (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:12]), encoding="utf-8")
    (folder / "travel-fr.txt").write_text("\n".join(
        (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()[250:262]), encoding="utf-8")
    conn = store.connect(from_template(embedding_template, tmp_path / "ws"))
    ingest.ingest_folder(conn, CORPUS)
    ingest.ingest_folder(conn, folder)

    def stories(model) -> list[list[str]]:
        return sorted(sorted(Path(d.path).name for d in g) for g in compare.story_groups(conn, store.documents(conn), model)[0])

    as_e5, e5_stories = meaning_hits(embedder), stories(embedder)
    assert 0 < len(as_e5) < 20 and len(e5_stories) == 3  # the seed story and the two articles alone
    assert meaning_hits(halved) == as_e5 and stories(halved) == e5_stories
    for module in (search, compare):
        monkeypatch.setattr(module, "on_reference_scale", lambda cosines, model, conn: cosines)
    assert len(meaning_hits(halved)) == 50 and len(stories(halved)) < 3  # (c + 1) / 2 >= 0.84: c >= 0.68


def test_the_alignment_is_the_same_whichever_document_is_the_source(embedder):
    """Lengths were compared in the target's characters, so English -> Japanese weighed length
    disagreements 2-3x less than Japanese -> English (MAC-Dev en->zh 0.854 against zh->en 0.879)."""
    japanese = (FLORES / "dev" / "jpn_Jpan.dev").read_text(encoding="utf-8").splitlines()[:60]
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:61]
    src = Side([japanese[i] for i in range(60) if i % 13 != 6], "ja", [None] * 55)
    merged = [english[i] + " " + english[i + 1] if i % 7 == 3 else english[i]
              for i in range(60) if i % 7 != 4 and i % 11 != 5]
    tgt = Side(merged, "en", [None] * len(merged))
    forward = unit_gains(Scorer(src, tgt, embedder, None, AlignParams()))
    backward = unit_gains(Scorer(tgt, src, embedder, None, AlignParams()))
    assert forward.keys() == {(b, a) for a, b in backward}
    for (a, b), gains in forward.items():
        assert np.allclose(gains, backward[(b, a)].T, atol=1e-5), (a, b)
    there = {(tuple(u.src_ids), tuple(u.tgt_ids)) for u in align(src, tgt, embedder).units}
    back = {(tuple(u.tgt_ids), tuple(u.src_ids)) for u in align(tgt, src, embedder).units}
    assert there == back and any(len(t) == 1 and len(s) == 2 for s, t in back)


def test_auto_keeps_a_translation_parallel_when_its_strong_matches_look_out_of_order(embedder, monkeypatch):
    """A few spurious strong matches out of order (a small model on literary text) once made auto
    choose comparable for in-order chapters (issue 11: strict F1 0.04-0.18 each). Now both aligners
    run there, and comparable needs clearly more support than parallel."""
    src, tgt, _ = translated_pair()
    honest = align(src, tgt, embedder)
    monkeypatch.setattr(auto_module, "monotonicity", lambda pairs: 0.5)  # as if misled
    misled = align(src, tgt, embedder)
    assert misled.mode == "parallel" and "both aligners run, parallel kept" in misled.mode_reason
    assert [(u.src_ids, u.tgt_ids) for u in misled.units] == [(u.src_ids, u.tgt_ids) for u in honest.units]
    moved_src, moved_tgt, _ = moved_passages_pair()  # passages really moved: comparable, by its support
    moved = align(moved_src, moved_tgt, embedder)
    assert moved.mode == "comparable" and "both aligners run, comparable kept" in moved.mode_reason


def reports_leading_with_their_last_passage(size: int, moved: int) -> list[tuple[Side, Side, list]]:
    """The repo's 300 FLORES lines in French and English as pairs of ``size`` lines, the English
    telling the last ``moved`` first (a report that leads with the latest news); with the gold."""
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    cases = []
    for first in range(0, 300, size):
        lines = list(range(first, first + size))
        told = lines[size - moved:] + lines[:size - moved]
        cases.append((Side([french[k] for k in lines], "fr", [None] * size),
                      Side([english[k] for k in told], "en", [None] * size),
                      [((i,), (told.index(k),)) for i, k in enumerate(lines)]))
    return cases


def test_a_report_that_moves_one_passage_is_not_taken_for_a_translation(embedder, tmp_path):
    """A report that moves its last passage to the top keeps 80% or more of its strong matches in
    order, which once settled "parallel": the DP then left the moved passage out, or took it into
    1-6 units with others. Now fewer than 30 strong matches do not settle it, and comparable needs
    less support where the parallel result breaks a clear match. Measured: 20 pairs of 15 lines,
    chosen comparable / strict F1: 0 / 0.733 before, 9 / 0.857 with both aligners run, 20 / 1.0
    with the broken matches too; 5 pairs of 60 lines: all parallel, 0.829, before and with both
    aligners run (60 strong matches settle it), all comparable, 1.0 now."""
    conn = store.connect(tmp_path / "ws")  # embeddings cached across the runs
    defaults = AlignParams(joined_share=0.0)
    results = []
    for cases in (reports_leading_with_their_last_passage(15, 3), reports_leading_with_their_last_passage(60, 10)):
        # the clear-match test off: no margin reaches 1
        for params in (defaults, replace(defaults, moved_match=1.0), replace(defaults, order_evidence=3, moved_match=1.0)):
            aligned = [align(src, tgt, embedder, conn, "auto", params) for src, tgt, _ in cases]
            tests = [[(tuple(u.src_ids), tuple(u.tgt_ids)) for u in a.units] for a in aligned]
            results.append((sum(a.mode == "comparable" for a in aligned),
                            round(score([gold for *_, gold in cases], tests).f1_strict, 3)))
    (now, now_f1), (compared, compared_f1), (before, before_f1), (long_now, long_f1), _, (long_before, _) = results
    assert before == 0 and compared >= 6 and now >= compared + 6, results
    assert now_f1 >= compared_f1 + 0.05 and compared_f1 >= before_f1 + 0.08, results
    assert long_before == 0 and long_now == 5 and long_f1 >= 0.98, results
    for size in (15, 60):  # the same lines in order, a translation: parallel, as before
        translations = reports_leading_with_their_last_passage(size, 0)
        assert all(align(src, tgt, embedder, conn, "auto", defaults).mode == "parallel" for src, tgt, _ in translations)


def test_auto_embeds_joined_blocks_and_clauses_for_the_aligner_it_keeps_only(embedder, monkeypatch):
    """Auto mode compares both aligners without joined blocks and clauses, which take model calls,
    and then runs the one it keeps with them: it asks for the texts (sentences, joined blocks,
    clauses) that aligner alone asks for."""
    asked: list[str] = []

    def recording(conn, model, texts):
        asked.extend(texts)
        return embed_cached(conn, model, texts)

    embed_through(monkeypatch, recording)
    src, tgt, _ = moved_passages_pair()
    auto = align(src, tgt, embedder)
    assert auto.mode == "comparable" and "both aligners run" in auto.mode_reason
    by_auto, asked[:] = set(asked), []
    alone = align(src, tgt, embedder, mode="comparable")
    assert [(u.src_ids, u.tgt_ids) for u in auto.units] == [(u.src_ids, u.tgt_ids) for u in alone.units]
    assert by_auto == set(asked) and any(" " in text for text in by_auto)  # joined blocks among them


def test_cli_align_says_on_a_terminal_which_pair_is_under_way(seeded, workspace, monkeypatch):
    from rich.console import Console

    from workbench.cli import alignment

    terminal = io.StringIO()
    monkeypatch.setattr(alignment, "console", Console(file=terminal, force_terminal=True, width=200))
    assert cli.main(["align", str(CORPUS / JA), str(CORPUS / FR), "--out", os.devnull]) == 0
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    assert re.search(rf"aligning pair 1 of 1: \S*{re.escape(JA)} <-> \S*{re.escape(FR)}", shown), shown
    assert "mode parallel" in shown


def test_cli_align_writes_units_with_spans_and_signature(seeded, embedder, workspace, tmp_path, capsys):
    out = tmp_path / "pairs.jsonl"
    # paths that are not in the workspace yet are ingested on the fly
    assert cli.main(["align", str(CORPUS / JA), str(CORPUS / FR), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records
    expected = {"src_doc", "tgt_doc", "src_ids", "tgt_ids", "src_spans", "tgt_spans", "src_text", "tgt_text",
                "src_en", "tgt_en", "kind", "score", "flags", "signature"}
    assert all(set(r) == expected for r in records)
    signature = records[0]["signature"]
    assert signature["embedder"] == embedder.name and signature["aligner"]["mode"] == "parallel"
    assert signature["translation_models"] == [] and records[0]["src_en"] is None
    assert signature["aligner"]["english_used"] is False and signature["aligner"]["similarity_scale"] == 1.0
    assert {r["kind"] for r in records} >= {"1-1", "1-0", "boilerplate"}
    for side, name in (("src", JA), ("tgt", FR)):  # every sentence of both, once: boilerplate is not dropped
        placed = [i for r in records for i in r[f"{side}_ids"]]
        assert sorted(placed) == list(range(len(store.document(seeded, name).sentences)))
    assert [r["tgt_text"] for r in records if r["kind"] == "boilerplate"] == [
        s.text for s in store.document(seeded, FR).sentences if s.boilerplate]
    err = " ".join(capsys.readouterr().err.split())
    assert "mode parallel" in err
    assert cli.main(["align", "nope.txt", str(CORPUS / FR)]) == 2


def test_a_local_sentence_transformers_model_plugs_in(workspace, tmp_path, capsys):
    model = build_sentence_transformer(tmp_path / "my-labse")
    pairs = tmp_path / "pairs.jsonl"
    assert cli.main(["align", str(CORPUS / JA), str(CORPUS / FR), "--embedder", f"st:{model}",
                     "--out", str(pairs)]) == 0
    records = [json.loads(line) for line in pairs.read_text(encoding="utf-8").splitlines()]
    assert records and all(r["signature"]["embedder"] == f"st:{model}" for r in records)
    assert records[0]["signature"]["aligner"]["similarity_scale"] != 1.0  # an untrained model: not e5's scale
    conn = store.connect(workspace)
    placed = sorted(i for r in records for i in r["src_ids"])
    assert placed == list(range(len(store.document(conn, JA).sentences)))  # every sentence placed once
    vectors = conn.execute("SELECT vector FROM embedding_cache WHERE model = ?", (f"st:{model}",)).fetchall()
    assert len(vectors) > 40 and {len(v[0]) for v in vectors} == {32 * 4}  # 32 float32s, this model's size
    assert cli.main(["align", JA, FR, "--embedder", f"st:{tmp_path / 'nowhere'}"]) == 2
    err = capsys.readouterr().err
    assert "is not a sentence-transformers model folder" in " ".join(err.split()) and "Traceback" not in err
    # --device auto (the default) took the CPU above: torch sees no GPU here; asking for one is an error
    assert cli.main(["align", JA, FR, "--embedder", f"st:{model}", "--device", "cuda"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--device cuda: torch sees no CUDA GPU on this machine" in err and "Traceback" not in err


def test_align_many_pairs_of_line_files_in_one_run(workspace, tmp_path, monkeypatch, capsys):
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    monkeypatch.chdir(tmp_path)
    for lang, lines in (("fr", french), ("en", english)):
        Path(lang).mkdir()
        for chapter, start in (("1", 0), ("2", 30)):  # one file per chapter, one sentence per line
            Path(lang, chapter).write_text("\n".join(lines[start:start + 30]) + "\n", encoding="utf-8")
    Path("pairs.tsv").write_text("# French and English chapters\nfr/1\ten/1\tchapter-1.jsonl\nfr/2\ten/2\n",
                                 encoding="utf-8")
    assert cli.main(["align", "--pairs", "pairs.tsv", "--one-sentence-per-line", "--out", "rest.jsonl"]) == 0
    first = [json.loads(line) for line in Path("chapter-1.jsonl").read_text(encoding="utf-8").splitlines()]
    rest = [json.loads(line) for line in Path("rest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(r["src_doc"], r["tgt_doc"]) for r in first} == {("fr/1", "en/1")}
    assert {(r["src_doc"], r["tgt_doc"]) for r in rest} == {("fr/2", "en/2")}
    for records in (first, rest):  # sentence ids are line numbers: FLORES line i is line i in both
        assert sum(r["src_ids"] == r["tgt_ids"] and len(r["src_ids"]) == 1 for r in records) >= 28
        # a translation's links, among links, are trusted as they deserve (28-30 of 30 right)
        assert sum(r["score"] for r in records) / len(records) > 0.93
    Path("bad.tsv").write_text("fr/1\ten/1\nfr/2 en/2\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["align", "--pairs", "bad.tsv"]) == 2
    assert "bad.tsv, line 2: expected DOC_A<tab>DOC_B" in " ".join(capsys.readouterr().err.split())
    Path("missing.tsv").write_text("fr/1\ten/1\n# a comment\nfr/2\ten/9\n", encoding="utf-8")
    assert cli.main(["align", "--pairs", "missing.tsv"]) == 2  # the row whose file is missing is named
    assert "missing.tsv, line 3: no document 'en/9'" in " ".join(capsys.readouterr().err.split())
    assert cli.main(["align", "fr/1", "--pairs", "pairs.tsv"]) == 2


def test_links_in_vecalign_format_are_scored_against_gold(workspace, tmp_path, monkeypatch, capsys):
    """align --format vecalign writes the benchmarks' link lines; score reads them beside gold (one
    file, or folders paired by name) as Vecalign's scorer does."""
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()[:30]
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:30]
    monkeypatch.chdir(tmp_path)
    for folder in ("fr", "en", "gold", "out"):
        Path(folder).mkdir()
    Path("fr/001").write_text("\n".join(french[:12] + french[13:]) + "\n", encoding="utf-8")  # line 12 dropped
    Path("en/001").write_text("\n".join(english) + "\n", encoding="utf-8")
    gold = [f"[{i}]:[{i}]" for i in range(12)] + ["[]:[12]"] + [f"[{i - 1}]:[{i}]" for i in range(13, 30)]
    Path("gold/001.align").write_text("\n".join(gold) + "\n", encoding="utf-8")
    Path("pairs.tsv").write_text("fr/001\ten/001\tout/001\n", encoding="utf-8")
    assert cli.main(["align", "--pairs", "pairs.tsv", "--one-sentence-per-line", "--format", "vecalign"]) == 0
    assert cli.main(["align", "fr/001", "en/001", "--one-sentence-per-line", "--out", "units.jsonl"]) == 0
    units = [json.loads(line) for line in Path("units.jsonl").read_text(encoding="utf-8").splitlines()]
    links = Path("out/001").read_text(encoding="utf-8").splitlines()
    assert links == [f"[{','.join(map(str, u['src_ids']))}]:[{','.join(map(str, u['tgt_ids']))}]" for u in units]
    assert len(set(links) & set(gold)) >= 27  # measured: 28 (English line 12 joins line 11, 11-12)
    # [3]:[3] and [4]:[4] become [3]:[4] and []:[3]: 28 of the 30 test links are gold's (its omission
    # of English line 12 included), 27 of gold's 29 links are found
    wrong = gold[:3] + ["[3]:[4]", "[]:[3]"] + gold[5:]
    Path("out/001").write_text("\n".join(wrong) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["score", "gold", "out"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"001 .* 30 / 30 .* 1 / 2 .* 0\.933 0\.931 0\.932 ", table), table  # unaligned: 1 / 2
    assert cli.main(["score", "gold/001.align", "en/001"]) == 2  # not links
    assert "en/001:1: not a link like [0,1]:[2]" in " ".join(capsys.readouterr().err.split())
    assert cli.main(["score", "gold", "out/001"]) == 2
    assert "gold is a folder, out/001 is a file" in capsys.readouterr().err
    # without --one-sentence-per-line the links are still over the files' lines: French lines 3 and
    # 4 written as one line (the splitter cuts it in two), a blank line after French line 6
    Path("fr/002").write_text("\n".join(french[:3] + [f"{french[3]} {french[4]}"] + french[5:7] + [""] + french[7:10])
                              + "\n", encoding="utf-8")
    Path("en/002").write_text("\n".join(english[:10]) + "\n", encoding="utf-8")
    assert cli.main(["align", "fr/002", "en/002", "--format", "vecalign", "--out", "out/002"]) == 0
    assert Path("out/002").read_text(encoding="utf-8").splitlines() == [
        "[0]:[0]", "[1]:[1]", "[2]:[2]", "[3]:[3,4]", "[4]:[5]", "[5]:[6]", "[6]:[]", "[7]:[7]", "[8]:[8]", "[9]:[9]"]
    Path("pairs.tsv").write_text("fr/001\ten/001\n", encoding="utf-8")
    assert cli.main(["align", "--pairs", "pairs.tsv", "--format", "vecalign"]) == 2
    assert "every pair needs its own output file" in " ".join(capsys.readouterr().err.split())


NONLITERARY = Path(__file__).parent / "data" / "nonliterary"


def test_a_hand_made_non_literary_set_is_aligned_as_its_gold(workspace, tmp_path, monkeypatch, capsys):
    """Academic, policy and magazine texts in Chinese and English (tests/data/nonliterary), aligned
    as issue 11 measures: `align --pairs` without --one-sentence-per-line, links over the lines.
    The magazine's newsletter promo is furniture by the English rules and text in the Chinese: it is
    linked to its translation, and stays a boilerplate unit where the other side has none."""
    monkeypatch.chdir(tmp_path)
    for side in ("en", "zh", "gold"):
        (tmp_path / side).symlink_to(NONLITERARY / side)
    Path("out").mkdir()
    Path("pairs.tsv").write_text("en/001\tzh/001\tout/001\nzh/002\ten/002\tout/002\nen/003\tzh/003\tout/003\n",
                                 encoding="utf-8")
    assert cli.main(["align", "--pairs", "pairs.tsv", "--format", "vecalign"]) == 0
    for name in ("001", "003"):
        assert read_links(Path(f"out/{name}")) == read_links(Path(f"gold/{name}.align")), name
    # measured: the English-only translator's note joins the 2-1 unit before it ([4,5]:[4,5])
    gold, found = read_links(Path("gold/002.align")), read_links(Path("out/002"))
    assert len(set(found) & set(gold)) == len(gold) - 2
    assert "[18]:[17]" in Path("out/003").read_text(encoding="utf-8").splitlines()  # the promo
    english = Path("en/003").read_text(encoding="utf-8").splitlines()
    Path("alone.txt").write_text("\n".join(english[:12]) + "\n" + english[-1] + "\n", encoding="utf-8")
    chinese = Path("zh/003").read_text(encoding="utf-8").splitlines()
    Path("zh.txt").write_text("\n".join(chinese[:11]) + "\n", encoding="utf-8")
    assert cli.main(["align", "alone.txt", "zh.txt", "--out", "alone.jsonl"]) == 0
    units = [json.loads(line) for line in Path("alone.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [u["src_text"] for u in units if u["kind"] == "boilerplate"] == [english[-1]]


GERMAN_FRENCH = Path(__file__).parent / "data" / "de-fr"


def test_a_hand_made_german_french_set_is_aligned_as_its_gold(workspace, tmp_path, monkeypatch):
    """Alpine prose in German and French (tests/data/de-fr), either language first, aligned as
    issue 11 measures: every line one sentence without being told so, merges both ways."""
    monkeypatch.chdir(tmp_path)
    for side in ("de", "fr", "gold"):
        (tmp_path / side).symlink_to(GERMAN_FRENCH / side)
    Path("out").mkdir()
    Path("pairs.tsv").write_text("de/001\tfr/001\tout/001\nfr/002\tde/002\tout/002\n", encoding="utf-8")
    assert cli.main(["align", "--pairs", "pairs.tsv", "--format", "vecalign"]) == 0
    assert read_links(Path("out/002")) == read_links(Path("gold/002.align"))
    # measured: the untranslated thanks join the 2-1 unit before them ([17,18,19]:[17]), as a
    # sentence without a counterpart beside a merge does where a text omits almost nothing
    gold, found = read_links(Path("gold/001.align")), read_links(Path("out/001"))
    assert len(set(found) & set(gold)) == len(gold) - 2


SEED_GOLD = Path(__file__).parent / "data" / "seed-gold" / "facts.tsv"
SEED_NAMES = {"ja": JA, "fr": FR, "bg": BG, "ar1": AR1, "ar2": AR2}


def test_cross_document_links_against_hand_made_gold(seeded, embedder):
    """Top-1 links between seed articles other than the ja-fr pair, against facts paired by hand
    (tests/data/seed-gold/facts.tsv): 15 of 28 right without anchors, 17 with them (names in Arabic
    script included), 19 with the margin of the passage around each candidate, 20 since Arabic
    sentences no longer end at the colon before a quotation, 21 since the English tweets the
    Bulgarian article quotes are read through character 4-grams too (Side.quotes_english: its
    "Jaramanah neighbourhood inside Damascus." finds the French sentence on the statue there)."""
    rows = [line.split("\t") for line in SEED_GOLD.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")][1:]
    docs = {key: store.document(seeded, name) for key, name in SEED_NAMES.items()}
    right, missed = 0, []
    for doc_a, fragment, doc_b, answers in rows:
        a, b = docs[doc_a], docs[doc_b]
        best = {k.index: k for k in compare.links_between(seeded, a, b, embedder)}[sentence_index(a, fragment)]
        found = b.sentences[best.other_index].text
        if any(answer.strip() in found for answer in answers.split("|")):
            right += 1
        else:
            missed.append((doc_a, fragment, doc_b, found[:60]))
    assert len(rows) == 28
    assert right >= 21, missed


def test_the_french_rewrite_of_the_japanese_article_against_hand_made_gold(seeded, embedder):
    """Every sentence of the ja-fr seed pair linked by hand (tests/data/seed-gold/ja-fr.align): the
    French is a rewrite, condensing two or three Japanese sentences into one (7 such links), adding a
    summary lead and two headings, dropping the Japanese second half (Hama, Palmyra, Russia, Homs).
    Measured: strict P 0.603, R 0.471, F1 0.529, lax F1 0.725 (0.539 / 0.778 before a passage the
    first pass omits paid its evidence alone, AlignParams.omission_run; 0.529 / 0.725 before units earned
    their kNN margins where much is omitted, AlignParams.knn_weight; 0.481 / 0.722 before a sentence at
    a unit's edge had to match the other side's block, 0.430 / 0.712 before the French words met the
    Japanese glosses as cognates). The misses are the condensed links: their kNN margins are near
    zero with this embedder (-0.022 for the Daraa sentences), so at this pair's omission rate (20%)
    the aligner omits both sides rather than link them."""
    ja, fr = store.document(seeded, JA), store.document(seeded, FR)
    records = compare.align_documents(seeded, ja, fr, embedder).records()
    test = [(tuple(r["src_ids"]), tuple(r["tgt_ids"])) for r in records]
    gold = read_links(SEED_GOLD.parent / "ja-fr.align")
    assert sorted(i for link in gold for i in link[0]) == [s.index for s in ja.sentences]  # every sentence, once
    assert sorted(j for link in gold for j in link[1]) == [s.index for s in fr.sentences]
    result = score([gold], [test])
    assert result.f1_strict >= 0.5 and result.f1_lax >= 0.65, result
    for one_to_one in (((4,), (8,)), ((5,), (9,)), ((8,), (14,)), ((10,), (18,)), ((19,), (23,))):
        assert one_to_one in test, one_to_one
    # the confidences say what the links are worth: 8 of the 15 links are gold's, mean confidence
    # 0.527 read with the units around each (0.545 before omission_run, 0.517 before knn_weight;
    # 0.813 from the margin alone, as if a translation)
    linked = [(r["score"], link in set(gold)) for r, link in zip(records, test) if link[0] and link[1]]
    assert abs(sum(c for c, _ in linked) - sum(ok for _, ok in linked)) / len(linked) < 0.1, linked


def test_a_unit_closing_a_quotation_on_one_side_only_is_penalised(embedder):
    chinese = ["他问：“你叫什么名字？”", "韦小宝道：“我叫小桂子。", "你呢？”", "两人坐在地上笑了。"]
    english = ["'What's your name?' he asked.", "'Little Laurel,' said Trinket.", "'And you?'",
               "The two of them sat on the floor, laughing."]
    assert list(closes_quote(chinese)) == [True, False, True, False]
    assert list(closes_quote(english + ["« Et toi ? »", "「君は？」", "She said 'no' ", ""])) == [
        False, False, True, False, True, True, True, False]
    closing_only = AlignParams(dialogue_weight=0, inside_quote_weight=0)
    scorer = Scorer(Side(chinese, "zh", [None] * 4), Side(english, "en", [None] * 4), embedder, None, closing_only)
    one_one = scorer.quote_penalty(1, 1)
    assert one_one.shape == (4, 4) and one_one[1, 2] == AlignParams().quote_weight  # "...小桂子。" vs "'And you?'"
    assert one_one[1, 1] == one_one[2, 2] == one_one[3, 3] == 0 and one_one[2, 3] == AlignParams().quote_weight
    assert scorer.quote_penalty(2, 1)[1, 2] == 0  # "小桂子。你呢？”" closes as "'And you?'" does
    # a line of dialogue against narration ("他笑了。" against "'And you?'") loses dialogue_weight; a
    # unit holds a quotation where one of its sentences does
    dialogue_only = AlignParams(quote_weight=0, inside_quote_weight=0)
    told = Scorer(Side(["他问：“你叫什么名字？”", "他笑了。"], "zh", [None] * 2),
                  Side([english[0], english[2], english[3]], "en", [None] * 3), embedder, None, dialogue_only)
    weight = dialogue_only.dialogue_weight
    assert told.quote_penalty(1, 1).tolist() == [[0, 0, weight], [weight, weight, 0]]
    assert told.quote_penalty(1, 2).tolist() == [[0, 0], [weight, weight]]
    unquoted = Scorer(Side(["他笑了。"] * 2, "zh", [None] * 2), Side(english[:2], "en", [None] * 2), embedder, None,
                      AlignParams())
    assert unquoted.quote_penalty(1, 1) == 0.0  # a document that closes no quotation (Wang Anyi's dialogue)


def test_quotation_marks_are_told_from_apostrophes():
    texts = ["'On guard!'", "'Very well!' he replied.", "The other boy's first reaction was alarm.",
             "He saw the boys' room.", 'He said: "no".', "韦小宝道：“好，你上来！”", "« Et toi ? »", "「君は？」",
             "It was fine,' he said.", "Trinket sprang forward and seized the boy’s arms.", "‘Go,’ she said."]
    assert holds_quotation(texts).tolist() == [True, True, False, False, True, True, True, True, True, False, True]
    assert holds_quotation(["„Ние победихме.“", "'Tick – tock –'", "Nobody spoke."]).tolist() == [True, True, False]


def test_a_quotation_running_over_several_sentences_is_followed_to_its_end():
    english = ["He coughed, and went on: 'You did well today.", "You even won some money.",
               "Did they suspect anything?'", "The boy laughed.", "'Not at all,' he said.",
               "'Tick – tock –'", "It was the boys' turn."]
    assert ends_inside_quotation(english).tolist() == [True, True, False, False, False, False, False]
    chinese = ["他咳了一阵，说道：“今天你干得不错。", "他们没起疑心罢？”", "韦小宝道：“好！”"]
    assert ends_inside_quotation(chinese).tolist() == [True, False, False]
    others = ["Той каза: „Ние победихме.", "Утре „Атланта“, продължаваме.“", "« Et toi ?", "Moi ? » dit-il.", "「君は？」"]
    assert ends_inside_quotation(others).tolist() == [True, False, True, False, False]
    news = ['He called it "a disaster" and left.', 'Officials said "the talks', 'will go on" (Reuters).']
    assert ends_inside_quotation(news).tolist() == [False, True, False]
    unclosed = ["'Its closing mark was lost.", "One.", "Two.", "Three.", "Narration again."]
    assert ends_inside_quotation(unclosed).tolist() == [True, True, True, True, False]  # MAX_UNMARKED_QUOTED


def test_german_guillemets_the_other_way_round_read_as_french_and_swiss_ones(embedder):
    # German novels open with » and close with «; French and Swiss texts the reverse. Read with the
    # French rules, every German sentence after the first »...« went on "inside a quotation", so
    # each right link to the French paid inside_quote_weight, and the last one quote_weight too
    german = ["»Komm her!«, sagte er.", "»Ich komme gleich«, antwortete sie.", "Dann ging sie hinaus.",
              "Er rief: »Warte!«", "Sie sagte ›nein‹ und lachte."]
    french = ["« Viens ici ! », dit-il.", "« J'arrive tout de suite », répondit-elle.", "Puis elle sortit.",
              "Il cria : « Attends ! »", "Elle dit ‹ non › et rit."]
    swiss = ["«Komm her!», sagte er.", "«Ich komme gleich», antwortete sie.", "Dann ging sie hinaus.",
             "Er rief: «Warte!»", "Sie sagte ‹nein› und lachte."]
    for texts in (german, french, swiss):
        assert closes_quote(texts).tolist() == [False, False, False, True, False], texts
        assert ends_inside_quotation(texts).tolist() == [False] * 5, texts
        assert holds_quotation(texts).tolist() == [True, True, False, True, True], texts
    # German single quotation marks ‚...‘ open and close like „...“
    assert ends_inside_quotation(["Er sagte: ‚Ja.", "Morgen.‘", "Dann ging er."]).tolist() == [True, False, False]
    assert closes_quote(["Er sagte ‚ja‘"]).tolist() == [True]
    scorer = Scorer(Side(german, "de", [None] * 5), Side(french, "fr", [None] * 5), embedder, None, AlignParams())
    assert np.diag(scorer.quote_penalty(1, 1)).tolist() == [0] * 5  # no right link pays


def test_straight_quotes_between_letters_open_and_close_in_turn():
    # Chinese written with straight quotes (MAC-Dev with its “ ” made ", strict F1 0.925 -> 0.910
    # before these rules): a quotation opens after a colon and runs on to the next sentence
    assert ends_inside_quotation(['韦小宝心想："也是个偷食的。', '我便可大嚼一顿了。"', "他笑了。"]).tolist() == [
        True, False, False]
    # a name in quotes between two characters: neither rule places the marks, which open and close in turn
    assert ends_inside_quotation(['他叫"小桂子"的人。', "他笑了。"]).tolist() == [False, False]
    assert holds_quotation(['他叫"小桂子"的人。', "他笑了。"]).tolist() == [True, False]
    # an Arabic comma after a closing quote (FLORES dev: 'وكالة "أنسا"،' left the next three sentences
    # "inside a quotation")
    arabic = ['وبحسب ما ذكرته وكالة "أنسا"، فإن الشرطة خشيت من وقوع عمليتي اغتيال.', "وقالت الشرطة إنه كان."]
    assert ends_inside_quotation(arabic).tolist() == [False, False]
    # and a plural made of a quoted word (MAC-Dev: 'a series of "okay"s')
    assert ends_inside_quotation(['She heard a series of "okay"s around her.', "Nobody spoke."]).tolist() == [
        False, False]


def test_units_ending_inside_a_quotation_on_one_side_only_pay_for_it(embedder):
    # the Chinese reply is one sentence, the English one three: a unit ending at the first or the
    # second English sentence ends inside the quotation, where the Chinese has closed it
    chinese = ["他咳了一阵，说道：“今天你干得不错，居然赢到了钱，他们没起疑心罢？”", "韦小宝笑了。"]
    english = ["He coughed, and went on: 'You did well today.", "You even won some money.",
               "Did they suspect anything?'", "The boy laughed."]
    none = [None] * 4
    scorer = Scorer(Side(chinese, "zh", none[:2]), Side(english, "en", none), embedder, None,
                    AlignParams(quote_weight=0, dialogue_weight=0, inside_quote_weight=0.015))
    assert np.allclose(scorer.quote_penalty(1, 1), [[0.015, 0.015, 0, 0], [0.015, 0.015, 0, 0]])
    assert np.allclose(scorer.quote_penalty(1, 3), [[0, 0]] * 2)  # the whole reply, or the next three


def test_comparable_mode_finds_merges_and_omissions_inside_moved_passages(embedder):
    src, tgt, gold = moved_passages_pair()
    result = align(src, tgt, embedder, mode="comparable")
    links = [(tuple(u.src_ids), tuple(u.tgt_ids)) for u in result.units]
    merged = {link for link in gold if len(link[0]) == 3}
    # mutual best matches with a neighbour joined (the comparable aligner before runs): no 3-1 unit,
    # strict F1 0.56; now 7 of 11 and 0.85 (the others come out as 2-1 and an omission)
    assert len(merged) >= 4 and len(merged & set(links)) >= 0.5 * len(merged), sorted(merged - set(links))
    assert score([gold], [links]).f1_strict >= 0.8


def test_where_much_is_omitted_left_over_sentences_are_not_linked_to_each_other(embedder, tmp_path):
    japanese = (FLORES / "dev" / "jpn_Jpan.dev").read_text(encoding="utf-8").splitlines()[:150]
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()[:150]
    conn = store.connect(tmp_path / "ws")  # embeddings cached across the runs
    orphans = {}
    for weak_link_weight in (0.0, AlignParams().weak_link_weight):
        orphans[weak_link_weight], right, both = 0, 0, 0
        for seed in (2, 4, 6, 8):  # 30% of the lines deleted on each side, independently
            rng = random.Random(seed)
            src = [i for i in range(150) if rng.random() >= 0.3]
            tgt = [i for i in range(150) if rng.random() >= 0.3]
            result = align(Side([japanese[i] for i in src], "ja", [None] * len(src)),
                           Side([french[i] for i in tgt], "fr", [None] * len(tgt)), embedder, conn, "parallel",
                           AlignParams(weak_link_weight=weak_link_weight, joined_share=0.0, knn_weight=0.0))
            linked = [u for u in result.units if u.src_ids and u.tgt_ids]
            orphans[weak_link_weight] += sum(1 for u in linked if not {src[i] for i in u.src_ids} & set(tgt)
                                             and not {tgt[j] for j in u.tgt_ids} & set(src))
            right += sum(1 for u in linked if [src[i] for i in u.src_ids] == [tgt[j] for j in u.tgt_ids])
            both += len(set(src) & set(tgt))
        assert right >= 0.97 * both, (weak_link_weight, right, both)
    # measured: 22 links between two deleted lines' left-overs without the cost, 12 with it (the
    # kNN margins of AlignParams.knn_weight, left out here, also cut them: 16 without the cost, 13 with)
    assert orphans[AlignParams().weak_link_weight] <= 0.6 * orphans[0.0], orphans


def test_two_short_documents_are_not_one_unit(embedder):
    # a unit spanning both documents has no sentence outside it: it is measured against the mean
    # of all sentence pairs (before: against nothing, so it won with its raw cosine)
    src = ["Les rebelles syriens avancent vers Damas.", "Ils contrôlent Darayya.",
           "Près de 2 000 soldats d’Assad auraient fui vers l’Irak.", "Le fichier est arrivé avec un code de terminal."]
    tgt = ["Syrian rebels advance on Damascus and control Darayya.", "About 2,000 Assad soldiers fled to Iraq."]
    result = align(Side(src, "fr", [None] * 4), Side(tgt, "en", [None] * 2), embedder)
    assert [(u.src_ids, u.tgt_ids) for u in result.units] == [([0, 1], [0]), ([2], [1]), ([3], [])]


def composed_blocks(vectors: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Block vectors formed the plain way: each run of ``size`` sentence vectors summed with its
    weights, normalised (a zero sum stays zero)."""
    rows = [sum(weights[k] * vectors[k] for k in range(i, i + size)) for i in range(len(vectors) - size + 1)]
    return np.array([row / max(np.linalg.norm(row), 1e-12) for row in rows]).reshape(-1, vectors.shape[1])


@pytest.mark.parametrize("kind", ["embeddings", "word vectors"])
def test_block_cosines_equal_those_of_composed_block_vectors(kind):
    rng = np.random.default_rng(3)
    src_lengths, tgt_lengths = rng.integers(5, 300, 9).astype(float), rng.integers(5, 300, 7).astype(float)
    if kind == "embeddings":  # e5-like: unit rows sharing a large common component
        src, tgt = rng.normal(size=(9, 16)) + 3, rng.normal(size=(7, 16)) + 3
        src, tgt = (v / np.linalg.norm(v, axis=1, keepdims=True) for v in (src, tgt))
    else:  # TF-IDF rows over a vocabulary, one text with no 4-gram at all (a zero row)
        src_text = ["Damascus fell.", "", "The rebels took Homs.", "Assad fled to Moscow.", "Crowds gathered.",
                    "Prisoners were freed.", "Israel struck.", "Turkey watched.", "Iran withdrew."]
        tgt_text = ["Rebels entered Damascus.", "Homs was taken.", "Assad is in Moscow.", "People gathered.",
                    "Sednaya prison opened.", "Strikes hit depots.", "Ankara waits."]
        src, tgt = word_vectors(src_text, tgt_text)
        assert not src[1].nnz
    cosines = BlockCosines(src, tgt, np.sqrt(src_lengths), np.sqrt(tgt_lengths), max_block=6)
    dense_src, dense_tgt = (v.toarray() if sparse.issparse(v) else v for v in (src, tgt))
    for a in range(1, 7):
        for b in range(1, 8 - a):
            expected = (composed_blocks(dense_src, np.sqrt(src_lengths), a)
                        @ composed_blocks(dense_tgt, np.sqrt(tgt_lengths), b).T)
            assert cosines(a, b).shape == expected.shape
            np.testing.assert_allclose(cosines(a, b), expected, atol=1e-9)
    assert cosines(10, 1).shape == (0, 7)  # a block longer than the document: no position


def test_joined_blocks_reach_one_sentence_past_the_longest_unit_near_an_irregular_one():
    # a first pass: 1-1 links, a 2-1 unit (source 3-4, target 3), source 5 omitted, 1-1 links
    path = [(range(0, 1), range(0, 1)), (range(1, 2), range(1, 2)), (range(2, 3), range(2, 3)),
            (range(3, 5), range(3, 4)), (range(5, 6), range(4, 4)), (range(6, 7), range(4, 5)),
            (range(7, 8), range(5, 6)), (range(8, 9), range(6, 7))]
    src_reach, tgt_reach = joined_reach(path, 9, 7)
    # the units next to the 2-1 unit may take a third source sentence; beside the omission alone, a
    # second; on the target side, where no unit has two sentences, blocks of two; far off, none
    assert src_reach.tolist() == [0, 0, 3, 3, 3, 3, 2, 0, 0]
    assert tgt_reach.tolist() == [0, 0, 2, 2, 2, 0, 0]


def test_joined_blocks_reach_over_a_run_of_omissions_as_over_one_unit():
    # a first pass: 1-1 links, then target sentences 3-5 omitted one by one (a 1-4 unit it missed)
    path = [(range(0, 1), range(0, 1)), (range(1, 2), range(1, 2)), (range(2, 3), range(2, 3)),
            (range(3, 3), range(3, 4)), (range(3, 3), range(4, 5)), (range(3, 3), range(5, 6)),
            (range(3, 4), range(6, 7)), (range(4, 5), range(7, 8)), (range(5, 6), range(8, 9))]
    src_reach, tgt_reach = joined_reach(path, 6, 9)
    # the links either side of the run may take all three omitted sentences and their own: blocks of 4
    assert src_reach.tolist() == [0, 0, 2, 2, 0, 0]
    assert tgt_reach.tolist() == [0, 0, 4, 4, 4, 4, 4, 0, 0]


def test_joined_blocks_fall_back_to_composed_vectors_where_nothing_is_in_doubt():
    """Blocks holding no doubtful sentence are not embedded (the embedder is never called): their
    vectors are the composed ones, and so are their cosines; only a block holding a doubtful
    sentence gets the embedding of its joined text."""
    rng = np.random.default_rng(5)
    src_texts, tgt_texts = [f"s{k}" for k in range(8)], [f"t{k}" for k in range(6)]
    src, tgt = (v / np.linalg.norm(v, axis=1, keepdims=True) for v in (rng.normal(size=(8, 16)) + 3,
                                                                        rng.normal(size=(6, 16)) + 3))
    src_weights, tgt_weights = np.sqrt(rng.integers(5, 300, 8).astype(float)), np.sqrt(rng.integers(5, 300, 6).astype(float))

    class Refusing:
        name = "refusing"

        def embed(self, texts):
            raise AssertionError(f"embedded {texts}")

    composed = BlockCosines(src, tgt, src_weights, tgt_weights, max_block=6)
    windows = [[vectors] + [window_vectors(texts, " ", vectors, weights, k, np.zeros(len(texts), bool), Refusing(), None)
                            for k in (2, 3)]
               for texts, vectors, weights in ((src_texts, src, src_weights), (tgt_texts, tgt, tgt_weights))]
    joined = JoinedCosines(*windows, composed)
    for a in range(1, 7):
        for b in range(1, 8 - a):
            np.testing.assert_allclose(joined(a, b), composed(a, b), atol=1e-6)

    class Constant:
        name = "constant"

        def embed(self, texts):
            return np.tile(tgt[0], (len(texts), 1))

    doubtful = np.zeros(8, bool)
    doubtful[4] = True  # held by the pairs starting at 3 and 4
    pairs = window_vectors(src_texts, " ", src, src_weights, 2, doubtful, Constant(), None)
    assert [k for k in range(7) if np.allclose(pairs[k], tgt[0])] == [3, 4]


def test_blocks_joined_where_a_unit_is_in_doubt_tell_merges_from_neighbours(embedder):
    """Where a unit is in doubt, blocks are scored half by their sentences' composed vector and half
    by the embedding of their joined text. On the repo's first 150 Arabic and Bulgarian lines, an
    Arabic line against its Bulgarian with the next line joined on (a neighbour taken in) scores
    above the Bulgarian alone for 34% of lines composed, 2% joined and 11% half and half. Against the
    two Arabic lines said as one sentence (a true merge), the two Bulgarian lines score above the
    first alone for 99% / 91% / 98%.
    End to end, on merged_and_omitted_pair documents, the joined share against none:
    - four documents: 0.926 / 0.920 when first measured; 0.923 / 0.920 once an Arabic Monday and "two
      decades" were read; 0.919 / 0.920 once "ساعتين" and "двучасовата" (two hours) were read.
    - twelve: 0.9432 / 0.9426 before those last readings, 0.9419 / 0.9413 after.
    On this material the DP gains little either way. It gains on FLORES dev's merge recipes
    (benchmarks/RESULTS.md), so here the mechanism is asserted, and that the DP loses nothing by it.
    Where the first pass omits much (here 10-20% of the lines have no counterpart), the joined texts
    take up to all the blocks' weight (AlignParams.joined_share_omitted): on the four documents
    0.9258, against 0.9217 with the equal share throughout."""
    arabic, bulgarian = ((FLORES / "dev" / f"{code}.dev").read_text(encoding="utf-8").splitlines()[:150]
                         for code in ("arb_Arab", "bul_Cyrl"))
    src, tgt = embed_cached(None, embedder, arabic), embed_cached(None, embedder, bulgarian)
    src_joined, tgt_joined = (embed_cached(None, embedder, [f"{lines[k]} {lines[k + 1]}" for k in range(149)])
                              for lines in (arabic, bulgarian))
    weights = np.sqrt(np.array([len(t) for t in bulgarian], float) + 1)[:, None]
    composed = weights[:-1] * tgt[:-1] + weights[1:] * tgt[1:]
    composed /= np.linalg.norm(composed, axis=1, keepdims=True)

    def above_alone(line: np.ndarray, block: np.ndarray) -> float:
        return float(np.mean((line * block).sum(1) > (line * tgt[:-1]).sum(1)))

    def half_and_half(line: np.ndarray) -> float:
        scores = ((line * composed).sum(1) + (line * tgt_joined).sum(1)) / 2
        return float(np.mean(scores > (line * tgt[:-1]).sum(1)))

    neighbour_taken_in = above_alone(src[:-1], composed), above_alone(src[:-1], tgt_joined), half_and_half(src[:-1])
    merge = above_alone(src_joined, composed), above_alone(src_joined, tgt_joined), half_and_half(src_joined)
    assert neighbour_taken_in[0] > 0.25 and neighbour_taken_in[2] < neighbour_taken_in[0] / 2, neighbour_taken_in
    assert merge[2] > 0.95 and merge[2] > merge[1], merge
    equal = AlignParams().joined_share
    found = [merged_and_omitted_f1(embedder, joined_share=share, joined_share_omitted=omitted)
             for share, omitted in ((equal, AlignParams().joined_share_omitted), (equal, equal), (0.0, 0.0))]
    assert found[1] >= found[2] - 0.003, found
    assert found[0] >= found[1] + 0.003, found


def test_originals_in_one_script_are_also_compared_by_their_character_4_grams(embedder):
    """Names, numbers and cognates: on FLORES dev's first 300 lines, the 4-grams alone put the right
    English line first for 268 French ones (measured; chance is 1). The view is there for fr-en
    with no English attached, not for ja-en, and not where both sides have English."""
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()[:300]
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[:300]
    japanese = (FLORES / "dev" / "jpn_Jpan.dev").read_text(encoding="utf-8").splitlines()[:30]
    src, tgt = word_vectors(french, english)
    sim = (src @ tgt.T).toarray()
    assert sum(int(sim[i].argmax()) == i for i in range(300)) >= 240

    def views(src_side: Side, params: AlignParams = AlignParams()) -> int:
        return len(Scorer(src_side, Side(english[:30], "en", english[:30]), embedder, None, params).views)

    none = [None] * 30
    assert views(Side(french[:30], "fr", none)) == views(Side(french[:30], "fr", none),
                                                           AlignParams(shared_script_weight=0)) + 1
    assert views(Side(japanese, "ja", none), AlignParams(dictionary_scale=0)) == views(
        Side(japanese, "ja", none), AlignParams(dictionary_scale=0, shared_script_weight=0))
    assert views(Side(french[:30], "fr", english[:30])) == views(Side(french[:30], "fr", english[:30]),
                                                                   AlignParams(shared_script_weight=0))


def test_anchor_bonus_shares_numbers_of_the_larger_set_and_names_of_the_smaller():
    src = [Anchors(frozenset({2000.0, 7.0}), frozenset({"dmsk"})), Anchors(frozenset(), frozenset())]
    tgt = [Anchors(frozenset({2000.0}), frozenset({"dmsk", "hms"})), Anchors(frozenset({7.0}), frozenset({"ms"}))]
    np.testing.assert_allclose(anchor_bonus(src, tgt), [[0.5 + 0.5 * 1 / 1, 0.5], [0.0, 0.0]])
    three = [Anchors(frozenset({1.0}), frozenset({"a", "b"}))]
    assert anchor_bonus(three, [Anchors(frozenset({1.0}), frozenset({"a"}))])[0, 0] == 1.0  # 1 + 0.5, capped


def test_a_long_parallel_pair_is_aligned_in_pieces_cut_at_strong_matches(embedder, monkeypatch):
    french = (FLORES / "dev" / "fra_Latn.dev").read_text(encoding="utf-8").splitlines()
    english = (FLORES / "dev" / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()
    rng = random.Random(5)
    src = [i for i in range(300) if rng.random() >= 0.1]
    tgt = [i for i in range(300) if rng.random() >= 0.1]
    gold = ([((a,), (tgt.index(i),)) for a, i in enumerate(src) if i in tgt]
            + [((a,), ()) for a, i in enumerate(src) if i not in tgt] + [((), (b,)) for b, j in enumerate(tgt) if j not in src])

    def aligned() -> tuple[list, str]:
        result = align(Side([french[i] for i in src], "fr", [None] * len(src)),
                       Side([english[j] for j in tgt], "en", [None] * len(tgt)), embedder, None, "parallel")
        return [(tuple(u.src_ids), tuple(u.tgt_ids)) for u in result.units], result.mode_reason

    whole, reason = aligned()
    assert "pieces" not in reason
    monkeypatch.setattr(auto_module, "MAX_DP_CELLS", 20_000)  # as if these were two books
    monkeypatch.setattr(auto_module, "PIECE_CELLS", 5_000)
    pieces, reason = aligned()
    assert re.search(r"cut at strong matches into [4-9] pieces", reason), reason
    for side in (0, 1):  # every sentence once, in order
        ids = [i for unit in pieces for i in unit[side]]
        assert ids == sorted(ids) == list(range(len(src if side == 0 else tgt)))
    assert score([gold], [pieces]).f1_strict >= score([gold], [whole]).f1_strict - 0.01 >= 0.95


@pytest.mark.parametrize("first, second", [("bg", "ja"), ("ar1", "fr")])
def test_reports_whose_matches_are_in_no_order_are_aligned_as_comparable(seeded, embedder, first, second):
    """Two outlets' reports of the same week, with their clear matches in no more order than
    chance (bg-ja: 4 of 8 in order, though its 3 strong matches are; ar1-fr: 4 of 9). Parallel
    linked every sentence into weak many-sentence units (93 of 93 and 78 of 78 sentences)."""
    a, b = (compare.document_side(seeded, store.document(seeded, SEED_NAMES[key])).side for key in (first, second))
    result = align(a, b, embedder)
    assert result.mode == "comparable" and "random order" in result.mode_reason
    linked = sum(len(u.src_ids) + len(u.tgt_ids) for u in result.units if u.src_ids and u.tgt_ids)
    assert linked < 0.5 * (len(a.texts) + len(b.texts))
    # the ja-fr rewrite, whose clear matches are in order (11 of 15), stays parallel
    ja, fr = (compare.document_side(seeded, store.document(seeded, SEED_NAMES[key])).side for key in ("ja", "fr"))
    assert align(ja, fr, embedder).mode == "parallel"


def test_order_no_better_than_chance():
    assert auto_module.unordered([(i, 8 - i) for i in range(9)])  # reversed: 1 in order
    assert not auto_module.unordered([(i, i) for i in range(9)])
    assert not auto_module.unordered([(i, 3 - i) for i in range(4)])  # too few to say
