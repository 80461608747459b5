"""Anchors that hold across languages: numbers (any script or convention: numbers.py) and names.

Names: capitalised Latin and Cyrillic words, katakana runs and Arabic-script words, romanised and
reduced to a consonant skeleton so that "Homs", "Хомс", "ホムス" and "حمص" meet.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from anyascii import anyascii
from scipy import sparse

from .numbers import numbers

# Latin letters (and digits: "A1GP") only, not any word character: in Japanese and Chinese a name
# runs straight into the script around it ("NASAは", "のGoogleで"), which \w would have taken in
# ("nsksnsng..." against "ns")
_LATIN_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_LATIN_NAME = re.compile(rf"(?<![{_LATIN_LETTERS}0-9])[A-Z\u00c0-\u00d6\u00d8-\u00de][{_LATIN_LETTERS}0-9'-]{{2,}}")
_CYRILLIC_NAME = re.compile(r"\b[А-ЯЁ][а-яёА-ЯЁ-]{2,}")
# katakana without the middle dot and double hyphen (U+30FB, U+30A0), which part the words of a
# foreign name: ディロクリット・パッタヴィー is Dilokrit Pattavee, two names. FLORES-200 dev, ten pairs of
# ja, ar, fr, bg and en, lines where both sides have a name: 3,208 -> 3,396 of 7,084 translations
# share one (+2.7 points), 3,154 -> 3,273 of 19,971 other lines of the same article (+0.6)
_KATAKANA_RUN = re.compile(r"[\u30a1-\u30fa\u30fc-\u30ff]{3,}")
# Arabic script has no capitals: every word of four or more letters is a candidate (the function
# words, في من على إلى عن, are shorter), its article and conjunction prefixes taken off.
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3]{4,}")
_ARABIC_PREFIX = re.compile(r"^(?:وال|بال|فال|كال|لل|ال)")
_SAME_SOUND = str.maketrans({"f": "h", "v": "b", "w": "", "y": "", "q": "k", "c": "k", "j": "g", "x": "ks",
                             "l": "r", "p": "b", "t": "d", "z": "s", "h": ""})


def skeleton(word: str) -> str:
    """A rough consonant skeleton, script-neutral: 'Homs', 'Хомс', 'ホムス' and 'حمص' -> 'ms'.
    Any script is romanised by anyascii; vowels, which scripts write differently or not at all,
    are dropped and sounds that romanisations confuse are merged."""
    romanised = anyascii(unicodedata.normalize("NFC", word).replace("ッ", "")).casefold()  # ッ: a doubling
    latin = re.sub(r"[^a-z]", "", romanised).replace("kh", "h")  # Хомс, خ: "kh" in anyascii, "h" in English
    consonants = re.sub(r"[aeiou]", "", latin).translate(_SAME_SOUND)
    return re.sub(r"(.)\1+", r"\1", consonants)


def names(text: str) -> set[str]:
    """Skeletons of the proper names in ``text`` (sentence-initial words included: cheap and noisy)."""
    words = _LATIN_NAME.findall(text) + _CYRILLIC_NAME.findall(text) + _KATAKANA_RUN.findall(text)
    words += [_ARABIC_PREFIX.sub("", w) for w in _ARABIC_WORD.findall(text)]
    return {s for s in map(skeleton, words) if len(s) >= 2}


# Numbers below this on one side only are not flagged: translations write them as words, Arabic
# duals ("هدفين", two goals) and ordinals ("الفئة الرابعة", Category 4), which numbers.py does not
# read. FLORES-200 dev, each line against its translation in the ten pairs of en, fr, bg, ar, ja
# (true translations: a flag is a false alarm unless a unit was converted): 987 of 2,738 line
# pairs with numbers flagged (36%) before; 885 of 3,181 with numbers.py alone, 388 of 2,738 with
# this alone, 277 of 3,181 (8.7%) with both (RESULTS.md, "Number flags that true translations do
# not raise"); 249 of 3,159 (7.9%) once plural scale words alone were no number; 166 of 3,161 (5.3%)
# once dozens, decades, Japanese 千/万 inside digits and Bulgarian ordinals were read ("Dozens,
# decades and per cent: number flags", RESULTS.md)
ONE_SIDED_FROM = 13


@dataclass(frozen=True)
class Anchors:
    numbers: frozenset[float]
    names: frozenset[str]


@functools.lru_cache(maxsize=100_000)  # align-all meets each article's sentences once per pair
def anchors(text: str) -> Anchors:
    return Anchors(frozenset(numbers(text)), frozenset(names(text)))


def number_flags(a: Anchors, b: Anchors, one_sided_from: float = ONE_SIDED_FROM) -> list[str]:
    """Disagreements between the numbers of two aligned passages: numbers on both sides that
    differ (number_mismatch), or one of at least ``one_sided_from`` on one side only
    (number_one_sided)."""
    only_a, only_b = _unmatched(a.numbers - b.numbers, b.numbers), _unmatched(b.numbers - a.numbers, a.numbers)
    if only_a and only_b:
        return ["number_mismatch"]
    if any(value >= one_sided_from for value in only_a | only_b):
        return ["number_one_sided"]
    return []


def _unmatched(numbers: frozenset[float], other: frozenset[float]) -> set[float]:
    """``numbers`` less the decades one side writes short and the other whole: "60-те" and
    "الستينيات" are "the 1960s" (numbers.py reads each decade as it is written)."""
    decades = {year % 100 for year in other if 1000 <= year < 2100 and year % 10 == 0}
    short = {value for value in other if 10 <= value < 100 and value % 10 == 0}
    return {value for value in numbers if not (10 <= value < 100 and value in decades)
            and not (1000 <= value < 2100 and value % 100 in short)}


def unit_flags(src_texts: list[str], tgt_texts: list[str]) -> list[str]:
    """number_flags of a unit of these sentences, read from their texts (none where a side is empty)."""
    if not (src_texts and tgt_texts):
        return []
    return number_flags(anchors(" ".join(src_texts)), anchors(" ".join(tgt_texts)))


def anchor_bonus(src: list[Anchors], tgt: list[Anchors]) -> np.ndarray:
    """Agreement of anchors in [0, 1] of every source with every target passage: the share of
    numbers shared (of the larger set) plus half the share of names shared (of the smaller set).

    Differing numbers earn nothing but cost nothing either: two reports of one fact that
    disagree on a figure are exactly what the analyst needs linked (and flagged).
    """
    score = np.zeros((len(src), len(tgt)))
    for field, weight, scale in (("numbers", 1.0, np.maximum), ("names", 0.5, np.minimum)):
        src_sets, tgt_sets = [getattr(a, field) for a in src], [getattr(b, field) for b in tgt]
        vocabulary = {item: k for k, item in enumerate(set().union(*src_sets, *tgt_sets))}
        if not vocabulary:
            continue
        shared = (_incidence(src_sets, vocabulary) @ _incidence(tgt_sets, vocabulary).T).toarray()
        sizes = scale.outer(np.array([len(s) for s in src_sets]), np.array([len(t) for t in tgt_sets]))
        score += weight * np.divide(shared, sizes, out=np.zeros_like(score), where=sizes > 0)
    return np.minimum(score, 1.0)


def _incidence(sets: list[frozenset], vocabulary: dict) -> sparse.csr_matrix:
    """Rows: the sets; columns: the vocabulary; 1 where a set holds the item."""
    rows = [k for k, items in enumerate(sets) for _ in items]
    columns = [vocabulary[item] for items in sets for item in items]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(sets), len(vocabulary)))
