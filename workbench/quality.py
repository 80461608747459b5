"""Quality flags on machine-translated English: which English sentences an analyst should not trust.

Three flags, computed offline at translate time and stored with the English (name -> reason):
- ``mt_untranslated``: the English is not English (another script, or langdetect is sure of
  another language), or it copies the source.
- ``mt_degenerate``: a word or phrase repeated over and over (a decoding loop), or a length far
  outside what this source language's translations into English have (FLORES-200 dev), e.g. an
  output cut at the decoding limit or a sentence dropped to a few words.
- ``mt_low_similarity``: the multilingual embedder (e5, its last and a middle layer mixed) scores
  the source against its English below a per-language threshold calibrated on FLORES-200 dev
  (benchmarks/mt_quality.py; precision/recall on devtest in benchmarks/RESULTS.md).
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

import numpy as np

from .embed import Embedder, e5_layers, embed_cached
from .language import detect, dominant_script, letter_count

FLAGS = ("mt_low_similarity", "mt_untranslated", "mt_degenerate")

# Similarity of source and English (similarities: e5's last and mid layers mixed) below which the
# English is flagged: per language, the similarity 95% of FLORES-200 dev's human translations reach
# (benchmarks/mt_quality.py --split dev, 2026-12-06; recall of wrong English on devtest in
# benchmarks/RESULTS.md). DEFAULT, for other languages, is the lowest of them (an unknown language
# is not flagged more eagerly).
SIMILARITY_THRESHOLDS = {"ja": 0.825, "ar": 0.825, "fr": 0.874, "bg": 0.838}
DEFAULT_SIMILARITY_THRESHOLD = min(SIMILARITY_THRESHOLDS.values())

# English characters per source character that a translation may have: the 0.1% and 99.9%
# quantiles of FLORES-200 dev's human translations (benchmarks/mt_quality.py), widened by half
# again (LENGTH_SLACK); outside them the English is degenerate (a loop cut at the decoding limit,
# a sentence dropped to a few words). Other languages: wide bounds, nothing was measured.
LENGTH_SLACK = 1.5
ENGLISH_LENGTH_QUANTILES = {"ja": (1.28, 4.1), "ar": (0.69, 1.85), "fr": (0.53, 1.27), "bg": (0.55, 1.57)}
DEFAULT_LENGTH_QUANTILES = (0.3, 5.0)
MIN_LENGTH_CHARS = 12  # short sentences ("Yes.", a name) vary too much for a ratio to mean anything
REPEATS = 4  # the same word or phrase this many times in a row: a decoding loop
MIN_DETECT_LETTERS = 20  # langdetect is unreliable below this
_WORD = re.compile(r"\w+")
_ENGLISH_WORDS = frozenset("the a an of and to in is are was were for on with by that this it as at from "
                           "be has have had not but or said will would".split())


@dataclass(frozen=True)
class QualityFlag:
    name: str  # one of FLAGS
    reason: str  # in words, for the analyst


def _repeated_phrase(words: list[str]) -> str | None:
    """A phrase of 1-4 words occurring REPEATS times in a row, if any."""
    for size in range(1, 5):
        for start in range(len(words) - size * REPEATS + 1):
            phrase = words[start:start + size]
            if all(words[start + k * size:start + (k + 1) * size] == phrase for k in range(1, REPEATS)):
                return " ".join(phrase)
    return None


def untranslated(source: str, english: str, lang: str) -> QualityFlag | None:
    """The English copies the source, is in the source's script, or is confidently another language."""
    if not english.strip():
        return QualityFlag("mt_untranslated", "the English is empty")
    if " ".join(english.split()).casefold() == " ".join(source.split()).casefold():
        return QualityFlag("mt_untranslated", "the English is the source text copied")
    script = dominant_script(english)
    if script and script != "latin":
        return QualityFlag("mt_untranslated", f"the English is written in {script} script")
    words = [w.lower() for w in _WORD.findall(english)]
    if letter_count(english) < MIN_DETECT_LETTERS or _ENGLISH_WORDS.intersection(words):
        return None  # too short to judge, or has English function words: langdetect not needed
    found, probability = detect(english)
    if found not in ("en", "und") and probability >= 0.9:
        same = " (the source's language)" if found == lang else ""
        return QualityFlag("mt_untranslated", f"the English reads as {found}{same}, p={probability:.2f}")
    return None


def degenerate(source: str, english: str, lang: str) -> QualityFlag | None:
    """A decoding loop, or a length far outside this language's usual proportions."""
    words = [w.lower() for w in _WORD.findall(english)]
    phrase = _repeated_phrase(words)
    if phrase is not None:
        return QualityFlag("mt_degenerate", f"'{phrase}' repeated {REPEATS}+ times in a row")
    source_chars, english_chars = len(source.strip()), len(english.strip())
    if max(source_chars, english_chars) < MIN_LENGTH_CHARS or not source_chars or not english_chars:
        return None
    low, high = ENGLISH_LENGTH_QUANTILES.get(lang, DEFAULT_LENGTH_QUANTILES)
    ratio = english_chars / source_chars
    if ratio > high * LENGTH_SLACK:
        return QualityFlag("mt_degenerate", f"longer than usual for {lang}->en: {ratio:.1f} English characters "
                                            f"per source character (human translations: at most {high:.1f})")
    if ratio < low / LENGTH_SLACK:
        return QualityFlag("mt_degenerate", f"shorter than usual for {lang}->en: {ratio:.2f} English characters "
                                            f"per source character (human translations: at least {low:.2f})")
    return None


def similarity_threshold(lang: str) -> float:
    return SIMILARITY_THRESHOLDS.get(lang, DEFAULT_SIMILARITY_THRESHOLD)


# With e5 on CTranslate2, the cosine of the vectors after e5's MID_LAYER-th layer is mixed in at
# MID_LAYER_SHARE beside the last layer's: the two err on different sentences. FLORES-200, a line's
# English told from the English of the 8 lines either side (1 - AUC, mean of the 10 pairs of ja, ar,
# fr, bg, en): dev, last layer 0.0040, layer 7 alone 0.0133, mixed at 0.2 / 0.3 / 0.4: 0.0020 /
# 0.0018 / 0.0019 (layers 3-10 tried, 5-7 best: 0.0020 / 0.0019 / 0.0018 at 0.3); devtest 0.0039 ->
# 0.0016. It costs a second pass of 7 of the model's 12 layers over both texts.
MID_LAYER, MID_LAYER_SHARE = 7, 0.3


def similarities(embedder: Embedder, conn: sqlite3.Connection | None, sources: list[str],
                 english: list[str]) -> np.ndarray:
    """Cosine of each source with its English (cached embeddings: alignment reuses them), mixed
    with that of e5's mid-layer vectors where ``embedder`` is e5 on CTranslate2."""
    if not sources:
        return np.zeros(0)
    a, b = embed_cached(conn, embedder, sources), embed_cached(conn, embedder, english)
    cosines = np.einsum("ij,ij->i", a, b)
    mid = e5_layers(embedder, MID_LAYER)
    if mid is None:
        return cosines
    a, b = embed_cached(conn, mid, sources), embed_cached(conn, mid, english)
    return (1 - MID_LAYER_SHARE) * cosines + MID_LAYER_SHARE * np.einsum("ij,ij->i", a, b)


class QualityChecker:
    """Flags for a language's (source, English) pairs; ``embedder`` None checks the text only."""

    def __init__(self, embedder: Embedder | None, conn: sqlite3.Connection | None = None):
        self.embedder, self.conn = embedder, conn

    def check(self, lang: str, sources: list[str], english: list[str]) -> list[list[QualityFlag]]:
        flags: list[list[QualityFlag]] = [
            [f for f in (untranslated(s, e, lang), degenerate(s, e, lang)) if f is not None]
            for s, e in zip(sources, english)]
        if self.embedder is not None:
            threshold = similarity_threshold(lang)
            for found, score in zip(flags, similarities(self.embedder, self.conn, sources, english)):
                if score < threshold:
                    found.insert(0, QualityFlag("mt_low_similarity",
                                                f"source and English agree poorly: similarity {score:.2f} "
                                                f"< {threshold:.2f} for {lang}->en"))
        return flags


def as_dict(flags: list[QualityFlag]) -> dict[str, str]:
    return {f.name: f.reason for f in flags}
