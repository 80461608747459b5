"""Language identification with langdetect, made deterministic and robust for short text.

langdetect samples features at random; a fixed seed makes every run give the same answer.
Per sentence it is noisy on short or same-script text (bg/ru, ja/zh, ar/fa), so a sentence
only gets a language other than its document's when the evidence is strong: a different
script, or a long sentence detected with near certainty.
"""
from __future__ import annotations

import functools
import unicodedata

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0

UNDETERMINED = "und"
MIN_LETTERS = 20  # below this a sentence inherits its document's language
SAME_SCRIPT_MIN_LETTERS = 60
SAME_SCRIPT_MIN_PROB = 0.99

_SCRIPT_OF_LANG = {
    "ja": "cjk", "zh": "cjk", "ko": "hangul",
    "ar": "arabic", "fa": "arabic", "ur": "arabic",
    "bg": "cyrillic", "ru": "cyrillic", "uk": "cyrillic", "mk": "cyrillic", "sr": "cyrillic",
    "he": "hebrew", "el": "greek", "hi": "devanagari", "mr": "devanagari", "ne": "devanagari",
    "th": "thai",
}


def _char_script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    for key, script in (
        ("CJK", "cjk"), ("HIRAGANA", "cjk"), ("KATAKANA", "cjk"), ("HANGUL", "hangul"),
        ("ARABIC", "arabic"), ("CYRILLIC", "cyrillic"), ("HEBREW", "hebrew"),
        ("GREEK", "greek"), ("DEVANAGARI", "devanagari"), ("THAI", "thai"), ("LATIN", "latin"),
    ):
        if name.startswith(key):
            return script
    return "other"


def dominant_script(text: str) -> str | None:
    counts: dict[str, int] = {}
    for ch in text:
        script = _char_script(ch)
        if script:
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda script: counts[script]) if counts else None


def script_of_language(lang: str) -> str:
    return _SCRIPT_OF_LANG.get(lang, "latin")


def letter_count(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _normalise(code: str) -> str:
    return code.split("-")[0]  # langdetect says zh-cn / zh-tw


def detect(text: str) -> tuple[str, float]:
    """Best language code and its probability, or ("und", 0.0) when langdetect cannot say."""
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return UNDETERMINED, 0.0
    return _normalise(best.lang), best.prob


@functools.lru_cache(maxsize=65536)  # bylines, captions and repeated lines come back often
def judge_sentence(text: str, doc_lang: str) -> str | None:
    """Language of one sentence inside a document in ``doc_lang``; None when too short to judge."""
    letters = letter_count(text)
    if letters < MIN_LETTERS:
        return None
    if letters < SAME_SCRIPT_MIN_LETTERS and dominant_script(text) == script_of_language(doc_lang):
        return doc_lang  # too short to overrule the document in its own script, whatever langdetect says
    lang, prob = detect(text)
    if lang == UNDETERMINED or lang == doc_lang:
        return doc_lang
    script = dominant_script(text)
    if script != script_of_language(doc_lang):
        # A different script is strong evidence, but trust the script over langdetect's
        # guess when they disagree (a Latin sentence is never "ja").
        return lang if script_of_language(lang) == script else None
    if letters >= SAME_SCRIPT_MIN_LETTERS and prob >= SAME_SCRIPT_MIN_PROB:
        return lang
    return doc_lang


def sentence_languages(texts: list[str], doc_lang: str) -> list[str]:
    """Languages of a document's sentences in order.

    A sentence too short to judge takes the language of the nearest judged sentence in the
    same script (a short line inside a quoted English tweet is English), else the document's.
    """
    judged = [judge_sentence(text, doc_lang) for text in texts]
    scripts = [dominant_script(text) for text in texts]
    doc_script = script_of_language(doc_lang)
    result = []
    for i, lang in enumerate(judged):
        if lang is None and scripts[i] not in (None, doc_script):
            nearest = (j for distance in range(1, len(texts)) for j in (i - distance, i + distance)
                       if 0 <= j < len(texts))  # the one before first at equal distance
            lang = next((judged[j] for j in nearest if judged[j] and scripts[j] == scripts[i]), None)
        result.append(lang or doc_lang)
    return result
