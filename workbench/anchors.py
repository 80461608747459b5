"""Anchors that hold across languages: numbers (any script or convention) and names.

Numbers: Arabic-Indic and full-width digits, "2,000" / "2 000" / "2.000", Japanese 万/億/千,
cheap spelled-out numbers ("a thousand", "mille", "хиляда", "ألف") and month names (dates agree
across "7 December 2024", "2024年12月7日", "7 ديسمبر 2024").
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

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９",
                        "012345678901234567890123456789")
# 2,000 | 2 000 | 2.000 (groups of three) | 2.5 | 45
_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:([,.\u00a0\u202f ])\d{3})(?:\2\d{3})*|\d+)(?:([.,])(\d+))?(?![\d])")
_CJK_MULTIPLIER = {"万": 10_000, "億": 100_000_000, "千": 1000}
_WORDS = {
    # value of a standalone word; "two thousand" multiplies
    "thousand": 1000, "million": 1_000_000, "hundred": 100, "mille": 1000, "millions": 1_000_000,
    "million(s)": 1_000_000, "хиляда": 1000, "хиляди": 1000, "милион": 1_000_000, "милиона": 1_000_000,
    "тысяча": 1000, "тысячи": 1000, "тысяч": 1000, "ألف": 1000, "آلاف": 1000, "ألفين": 2000, "مليون": 1_000_000,
}
_SMALL = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "deux": 2, "trois": 3, "quatre": 4,
          "cinq": 5, "dix": 10, "две": 2, "три": 3, "пет": 5, "десет": 10, "два": 2}
_MONTH_NAMES = [  # month names count as their number, so "7 December" and "12月7日" agree
    # English ("march", "may" left out: too often verbs), French, Bulgarian, Russian (both cases), Arabic
    "january february _ april _ june july august september october november december",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "януари февруари март април май юни юли август септември октомври ноември декември",
    "январь февраль _ апрель _ июнь июль _ сентябрь октябрь ноябрь декабрь",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
]
_MONTHS = {name: float(number) for names in _MONTH_NAMES
           for number, name in enumerate(names.split(), 1) if name != "_"}
_WORD = re.compile(r"\w+", re.UNICODE)


def normalise_digits(text: str) -> str:
    return text.translate(_DIGITS)


def number_spans(text: str) -> list[tuple[int, int, float]]:
    """(start, end, value) of every number the text states, values comparable across languages."""
    digits = normalise_digits(text)  # same length as text: spans stay valid
    found: list[tuple[int, int, float]] = []
    for match in _NUMBER.finditer(digits):
        integer, separator, decimal_sep, decimal = match.groups()
        value = float(integer.replace(separator, "")) if separator else float(integer)
        if decimal and not (separator and decimal_sep == separator):
            value = float(f"{int(value)}.{decimal}")
        end = match.end()
        if digits[end:end + 1] in _CJK_MULTIPLIER:
            value *= _CJK_MULTIPLIER[digits[end]]
            end += 1
        found.append((match.start(), end, value))
    words = list(_WORD.finditer(digits))
    for i, word_match in enumerate(words):
        word = word_match.group().casefold()
        if word in _MONTHS:
            found.append((word_match.start(), word_match.end(), _MONTHS[word]))
        elif word in _WORDS:
            previous = words[i - 1].group().casefold() if i else ""
            multiplier = _SMALL.get(previous) or (float(previous) if previous.isdigit() else None)
            start = words[i - 1].start() if multiplier else word_match.start()
            value = _WORDS[word] * multiplier if multiplier and _WORDS[word] >= 1000 else _WORDS[word]
            if multiplier and previous.isdigit():  # "2 thousand": one number, not 2 and 2000
                found = [f for f in found if f[0] != start]
            found.append((start, word_match.end(), float(value)))
    return sorted(found)


def numbers(text: str) -> set[float]:
    return {value for _, _, value in number_spans(text)}


# --- names ------------------------------------------------------------------------------

_LATIN_NAME = re.compile(r"\b[A-Z][\w'-]{2,}")
_CYRILLIC_NAME = re.compile(r"\b[А-ЯЁ][а-яёА-ЯЁ-]{2,}")
_KATAKANA_RUN = re.compile(r"[\u30a0-\u30ff]{3,}")
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


@dataclass(frozen=True)
class Anchors:
    numbers: frozenset[float]
    names: frozenset[str]


@functools.lru_cache(maxsize=100_000)  # align-all meets each article's sentences once per pair
def anchors(text: str) -> Anchors:
    return Anchors(frozenset(numbers(text)), frozenset(names(text)))


def number_flags(a: Anchors, b: Anchors) -> list[str]:
    """Disagreements between the numbers of two aligned passages."""
    if not a.numbers and not b.numbers:
        return []
    if not a.numbers or not b.numbers:
        return ["number_one_sided"]
    only_a, only_b = a.numbers - b.numbers, b.numbers - a.numbers
    if only_a and only_b:
        return ["number_mismatch"]
    if only_a or only_b:
        return ["number_one_sided"]
    return []


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
