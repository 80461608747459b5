"""Recognise scraped-page boilerplate so it can be marked (never deleted).

Marked sentences stay in the store with their spans; translation and alignment skip them.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

_AD_MARKER = re.compile(r"^\s*\[ad_\d+\]\s*$", re.I)
_BARE_TWEET_LINK = re.compile(r"^\s*(https?://)?pic\.twitter\.com/\S+", re.I)
# A newsletter promo is a call to action. Other languages' forms below are imperatives already;
# English "subscribe" is a verb of ordinary prose too ("scholars who subscribe to this view"), so
# it counts only at the start of a sentence or as "subscribe to our / now / here".
_CALL_TO_ACTION = re.compile(
    r"^\W*(subscribe|sign up)\b|\b(subscribe|sign up)\s+(to our|for our|now|today|here|for free)\b"
    r"|\b(abonnez-vous|inscrivez-vous)\b|قم بالتسجيل|абонирайте се|подпишитесь|メルマガ登録",
    re.I,
)
# A newsletter's name as a header over its sign-up form: "Middle East Eye new newsletter:"
_NEWSLETTER_HEADER = re.compile(r"newsletter|lettre d'information|نشرة .{0,40}الإخبارية|бюлетин|рассылка|ニュースレター",
                                re.I)
_MAX_HEADER_WORDS = 8
_MAX_PROMO_WORDS = 45  # the seed Arabic sign-up line has 27 words; prose that mentions subscribing runs on
_READ_MORE = re.compile(
    r"^\s*(read more|read also|see also|related|lire aussi|à lire aussi|още|прочетете още|"
    r"читайте также|اقرأ أيضا|اقرأ أيضاً|あわせて読みたい|関連記事)\s*[:：]",
    re.I,
)
_COMMENTS_TRAILER = re.compile(
    r"^\s*(تعليقات الزوار|comments|leave a comment|commentaires|коментари|комментарии|コメント)\s*$",
    re.I,
)


def _fold(text: str) -> str:
    """Compare lines modulo typography: quotes, apostrophes, width and spacing."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split()).casefold()


def is_boilerplate_sentence(text: str) -> bool:
    """Clearly web furniture: ad slots, bare tweet attributions, newsletter calls to action and
    headers, read-more links. Punctuation-only lines are not: in a book they are scene breaks
    that the translation has too."""
    words = len(text.split())
    return bool(
        _AD_MARKER.match(text)
        or _BARE_TWEET_LINK.match(text)
        or (_CALL_TO_ACTION.search(text) and words <= _MAX_PROMO_WORDS)
        or (_NEWSLETTER_HEADER.search(text) and text.rstrip().endswith((":", "：")) and words <= _MAX_HEADER_WORDS)
        or _READ_MORE.match(text)
    )


def is_comments_trailer(line: str) -> bool:
    """A header after which everything is visitors' comments, not the article."""
    return bool(_COMMENTS_TRAILER.match(line))


TITLE_LINES = 3  # a scraped page repeats its title within its first lines, not further down


def repeats_title(line: str, previous: str | None, paragraph: int) -> bool:
    """A title line repeated right below itself, near the top (as scraped pages often do).
    Further down, a line equal to the one before is the text's own ("Wake up!" / "Wake up!")."""
    return (paragraph < TITLE_LINES and previous is not None and bool(line.strip())
            and _fold(line) == _fold(previous))


# A running head repeats down a text, its page number changing ("The Alpine Journal 45"): this
# many lines that differ only in their digits
RUNNING_HEAD_REPEATS = 3
_DIGITS = re.compile(r"\d+")


def print_furniture(sentences: list[str]) -> list[bool]:
    """Page numbers ("45", "— 45 —": no letter at all) and running heads (RUNNING_HEAD_REPEATS or
    more lines alike but for their digits) among a text's sentences, as text taken from print
    (PDF, OCR) carries them. Not marked: the other document may carry them too, and then they
    link; the aligner only lets them go unlinked at what their evidence says (costs.omission_costs)."""
    shapes = [_DIGITS.sub("#", s.strip()) for s in sentences]
    counts = Counter(shapes)
    return [not any(ch.isalpha() for ch in s) or "#" in shape and counts[shape] >= RUNNING_HEAD_REPEATS
            for s, shape in zip(sentences, shapes)]
