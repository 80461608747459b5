"""Language identification with langdetect, made deterministic and robust for short text.

langdetect samples features at random; a fixed seed makes every run give the same answer.
Per sentence it is noisy on short or same-script text (bg/mk, ja/zh, ar/fa), so a sentence
only gets a language other than its document's when the evidence is strong: a different
script, or a long sentence (English: a shorter one) detected with near certainty. Every answer
is held to the script the text is written in (``detect``).
"""
from __future__ import annotations

import functools
import re
import unicodedata

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

DetectorFactory.seed = 0

UNDETERMINED = "und"
MIN_LETTERS = 20  # below this a sentence inherits its document's language
# A sentence in its document's script takes another language from this many letters, detected at
# SAME_SCRIPT_MIN_PROB (langdetect's probability tells little: the same shares at 0.9 and 0.9999).
# FLORES-200 dev + devtest lines cut to their first words, those of 60 letters or more taken for
# another language: Bulgarian 0.4% (Macedonian), French 0.09%, English 0.02%, Arabic none.
SAME_SCRIPT_MIN_LETTERS = 60
# ... and English from this many: an English quotation in a French article ("The regime has fallen
# and the dictator has fled the country.") was sent to the French model. The same cut lines of 40-60
# letters: taken for English 0.04% of French, 0.03% of Bulgarian, none of Arabic; 97% of English
# found; for any language, Bulgarian would be Macedonian 2.3% of the time, so only English
ENGLISH_MIN_LETTERS = 40
# Languages langdetect takes for each other inside a document: its Bulgarian sentences of 60 letters
# or more were Macedonian 0.4% of the time (FLORES-200 dev + devtest, 29 of 7,333 cut lines), and so
# left untranslated by a Bulgarian model. A sentence keeps its document's language against its sibling.
SIBLINGS = {"bg": "mk", "mk": "bg"}
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


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        script = _char_script(ch)
        if script:
            counts[script] = counts.get(script, 0) + 1
    return counts


def dominant_script(text: str) -> str | None:
    counts = _script_counts(text)
    return max(counts, key=lambda script: counts[script]) if counts else None


def majority_script(text: str) -> str | None:
    """The script of more than half the letters of ``text``, if one is."""
    counts = _script_counts(text)
    script = max(counts, key=lambda script: counts[script]) if counts else None
    return script if script and 2 * counts[script] > sum(counts.values()) else None


def script_of_language(lang: str) -> str:
    return _SCRIPT_OF_LANG.get(lang, "latin")


def letter_count(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _normalise(code: str) -> str:
    return code.split("-")[0]  # langdetect says zh-cn / zh-tw


# Where langdetect names no language written in a text's script, the one the script says
_LANGUAGE_OF_SCRIPT = {"hangul": "ko", "arabic": "ar", "hebrew": "he", "greek": "el", "thai": "th",
                       "devanagari": "hi"}
_KANA = re.compile("[\u3040-\u30ff]")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff]")
# Japanese writes its particles and endings in kana, Chinese none: of FLORES-200 dev + devtest's
# 2,009 Japanese lines the fewest kana are 27% of their CJK characters, a headline in kanji may have
# one particle in twelve ("東京都知事選挙の結果発表"); MAC-Dev's and the tests' Chinese lines have none,
# a Chinese article naming a Japanese firm in katakana a few in hundreds. langdetect took the
# headline "岸田首相、訪米へ" for Chinese.
JAPANESE_KANA_SHARE = 0.05


def detect(text: str) -> tuple[str, float]:
    """Best language code and its probability, or ("und", 0.0) when langdetect cannot say; held to
    the script of more than half the text's letters, where one is. langdetect maps Chinese
    characters onto a few classes, so Latin words weigh more than their share: it took a Chinese
    abstract citing "Brown et al., 1993" for Norwegian (0.99999) and "本文提出一种新的方法。" for
    Korean. So Chinese characters are Japanese with kana (JAPANESE_KANA_SHARE), else Chinese; in
    another script, langdetect's best candidate written in it, else the language the script implies,
    at probability 0. A text in several scripts, none of them most of it, keeps langdetect's answer."""
    try:
        candidates = detect_langs(text)
    except LangDetectException:
        return UNDETERMINED, 0.0
    script = majority_script(text)
    if script == "cjk":
        lang = "ja" if len(_KANA.findall(text)) >= JAPANESE_KANA_SHARE * len(_CJK.findall(text)) else "zh"
        return lang, next((c.prob for c in candidates if _normalise(c.lang) == lang), 0.0)
    for candidate in candidates:
        lang = _normalise(candidate.lang)
        if script in (None, "other") or script_of_language(lang) == script:
            return lang, candidate.prob
    return _LANGUAGE_OF_SCRIPT.get(script or "", _normalise(candidates[0].lang)), 0.0


@functools.lru_cache(maxsize=65536)  # bylines, captions and repeated lines come back often
def judge_sentence(text: str, doc_lang: str) -> str | None:
    """Language of one sentence inside a document in ``doc_lang``; None when too short to judge."""
    letters = letter_count(text)
    if letters < MIN_LETTERS:
        return None
    script = dominant_script(text)
    if letters < ENGLISH_MIN_LETTERS and script == script_of_language(doc_lang):
        return doc_lang  # too short to overrule the document in its own script, whatever langdetect says
    lang, prob = detect(text)
    if lang in (UNDETERMINED, doc_lang, SIBLINGS.get(doc_lang)):
        return doc_lang
    if script != script_of_language(doc_lang):
        # A different script is strong evidence, but trust the script over langdetect's
        # guess when they disagree (a Latin sentence is never "ja").
        return lang if script_of_language(lang) == script else None
    # In the document's own script: enough letters (English needs fewer), and a language written in
    # that script (a Chinese sentence citing "Brown et al." is not Norwegian, whatever langdetect says)
    enough = ENGLISH_MIN_LETTERS if lang == "en" else SAME_SCRIPT_MIN_LETTERS
    if letters >= enough and prob >= SAME_SCRIPT_MIN_PROB and script_of_language(lang) == script:
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
