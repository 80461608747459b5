"""Recognise scraped-page boilerplate so it can be marked (never deleted).

Marked sentences stay in the store with their spans; translation and alignment skip them.
"""
from __future__ import annotations

import re
import unicodedata

_AD_MARKER = re.compile(r"^\s*\[ad_\d+\]\s*$", re.I)
_BARE_TWEET_LINK = re.compile(r"^\s*(https?://)?pic\.twitter\.com/\S+", re.I)
_NEWSLETTER = re.compile(
    r"\b(newsletter|sign up|subscribe|abonnez-vous|inscrivez-vous)\b"
    r"|قم بالتسجيل|نشرة .{0,40}الإخبارية|абонирайте се|подпишитесь|メルマガ|ニュースレター",
    re.I,
)
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
    return bool(
        not any(ch.isalnum() for ch in text)  # separators and stray symbols: nothing to translate or align
        or _AD_MARKER.match(text)
        or _BARE_TWEET_LINK.match(text)
        or _NEWSLETTER.search(text)
        or _READ_MORE.match(text)
    )


def is_comments_trailer(line: str) -> bool:
    """A header after which everything is visitors' comments, not the article."""
    return bool(_COMMENTS_TRAILER.match(line))


def repeats_previous(line: str, previous: str | None) -> bool:
    """A title line repeated right below itself (as scraped pages often do)."""
    return previous is not None and bool(line.strip()) and _fold(line) == _fold(previous)
