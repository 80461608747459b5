"""Quotation marks: which sentences hold one, end inside one, or close one (translators keep
dialogue turns)."""
from __future__ import annotations

import re

import numpy as np

_CLOSING_QUOTES = frozenset("”’\"'»」』›")
# Quotation marks by what they do: « „ 「 『 ‹ always open and ” » 」 』 › always close; “ opens
# before a word (English, Chinese) and closes after one (Bulgarian and German „...“); straight and
# single marks open at the start or after a space or bracket, before a word; " closes after a word,
# before a space or punctuation; single marks close only after the sentence's punctuation
# (elsewhere they are apostrophes: "the boy's", "the boys' room").
_OPENING_MARK = re.compile(r"[«„「『‹]|“(?=\w)|(?:^|(?<=[\s(\[]))['\"‘’](?=\S)")
_CLOSING_MARK = re.compile(r"[”»」』›]|“(?!\w)|(?<=\S)\"(?=[\s.,;:!?)\]…]|$)|(?<=[.!?,;:…—–-])['’]")


def holds_quotation(texts: list[str]) -> np.ndarray:
    """Per sentence: does it hold a quotation mark (told from apostrophes as _OPENING_MARK says)?"""
    return np.array([bool(_OPENING_MARK.search(text) or _CLOSING_MARK.search(text)) for text in texts], bool)


# A quotation whose closing mark is lost (a mark the rules above miss, a sentence left out) must
# not make everything after it quoted: novels' replies run over a few sentences, and a new
# paragraph of one reopens it. MAC-Dev without / with zh .trans: 0.902 / 0.910 after 1 sentence,
# 0.905 / 0.910 after 2, 0.904 / 0.911 after 3, 0.905 / 0.911 after 5 or none.
MAX_UNMARKED_QUOTED = 3


def ends_inside_quotation(texts: list[str]) -> np.ndarray:
    """Per sentence: does the text go on inside a quotation after it (its last quotation mark opens
    one; a sentence with no mark is where the one before it left off, "'You did well today." /
    "At least you won." / "Were they suspicious?'", for up to MAX_UNMARKED_QUOTED sentences)."""
    inside, found, carried = False, [], 0
    for text in texts:
        marks = [(m.start(), True) for m in _OPENING_MARK.finditer(text)]
        marks += [(m.start(), False) for m in _CLOSING_MARK.finditer(text)]
        if marks:
            inside = max(marks)[1]
            carried = 0
        else:
            carried += 1
            if carried > MAX_UNMARKED_QUOTED:
                inside = False
        found.append(inside)
    return np.array(found, bool)


def closes_quote(texts: list[str]) -> np.ndarray:
    """Per sentence: does it end by closing a quotation (after its own punctuation)?"""
    return np.array([text.rstrip()[-1:] in _CLOSING_QUOTES for text in texts], bool)
