"""Split a decoded text into sentences with exact character spans, language and boilerplate marks.

Each non-empty line is a paragraph (scraped news puts one paragraph per line); sentences never
cross a line break. pysbd splits each line for the document's language; its output is located
in the text again so that ``text[start:end] == sentence.text`` always holds.
"""
from __future__ import annotations

import functools
import re

import pysbd
from pysbd.languages import LANGUAGE_CODES

from . import boilerplate
from .language import sentence_languages
from .records import Sentence

FALLBACK_SEGMENTER_LANG = "en"  # pysbd's English rules handle ". ! ?" scripts reasonably
_LINE = re.compile(r"[^\r\n]+")
# An embedded tweet's link and attribution is never part of the sentence before it,
# even when that sentence ends without punctuation ("... critical areas… pic.twitter.com/x").
_COMMAS = (",", "\u060c", "\u3001")  # Latin, Arabic, ideographic
_TWEET_LINK = re.compile(r"\s+(?=(?:https?://)?pic\.twitter\.com/)")


def segmenter_language(lang: str) -> str:
    return lang if lang in LANGUAGE_CODES else FALLBACK_SEGMENTER_LANG


@functools.lru_cache(maxsize=None)
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=segmenter_language(lang), clean=False)


def _rejoin_at_commas(pieces: list[str]) -> list[str]:
    """pysbd's Arabic rules end sentences at the Arabic comma; a comma never ends a sentence."""
    joined: list[str] = []
    for piece in pieces:
        if joined and joined[-1].rstrip().endswith(_COMMAS):
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def split_line(line: str, lang: str) -> list[tuple[int, int]]:
    """[start, end) spans of the sentences in one line, whitespace trimmed."""
    spans = []
    cursor = 0
    pieces = [part for piece in _segmenter(lang).segment(line) for part in _TWEET_LINK.split(piece)]
    for piece in _rejoin_at_commas(pieces):
        piece = piece.strip()
        if not piece:
            continue
        start = line.find(piece, cursor)
        if start < 0:  # pysbd altered the text; fall back to the rest of the line
            rest = line[cursor:]
            stripped = rest.strip()
            if stripped:
                start = cursor + rest.index(stripped)
                spans.append((start, start + len(stripped)))
            cursor = len(line)
            break
        spans.append((start, start + len(piece)))
        cursor = start + len(piece)
    return spans


def segment(text: str, doc_lang: str) -> list[Sentence]:
    spans: list[tuple[int, int, int, bool]] = []  # start, end, paragraph, boilerplate
    previous_line: str | None = None
    in_comments = False
    for paragraph, match in enumerate(m for m in _LINE.finditer(text) if m.group().strip()):
        line = match.group()
        repeated = boilerplate.repeats_previous(line, previous_line)
        in_comments = in_comments or boilerplate.is_comments_trailer(line)
        for start, end in split_line(line, doc_lang):
            marked = repeated or in_comments or boilerplate.is_boilerplate_sentence(line[start:end])
            spans.append((match.start() + start, match.start() + end, paragraph, marked))
        previous_line = line
    languages = sentence_languages([text[start:end] for start, end, _, _ in spans], doc_lang)
    return [
        Sentence(index=i, start=start, end=end, paragraph=paragraph, lang=lang,
                 text=text[start:end], boilerplate=marked)
        for i, ((start, end, paragraph, marked), lang) in enumerate(zip(spans, languages))
    ]
