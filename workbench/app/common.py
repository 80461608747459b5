"""Shared helpers for the app's pages: the workspace, the embedder, and safe HTML for article text.

Article text is untrusted: every piece of it passes through ``highlight`` (html.escape, and
invisible characters such as bidi overrides shown as visible escapes) before it reaches
``unsafe_allow_html``, or reaches the review grid as ``segments`` that it inserts as text nodes;
the markup around it is ours.
"""
from __future__ import annotations

import html
import os
import re
import sqlite3
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import streamlit as st

from workbench import store
from workbench.embed import Embedder, get_embedder
from workbench.numbers import number_spans
from workbench.records import Document
from workbench.visible import printable

RTL_LANGS = {"ar", "fa", "ur", "he"}
CSS = """
<style>
.wb-side {padding: 0.4rem 0.6rem; border-radius: 0.3rem; background: rgba(128,128,128,0.06);}
.wb-orig {font-size: 1rem; line-height: 1.5;}
.wb-en {font-size: 0.85rem; color: #6b7280; margin-top: 0.25rem; line-height: 1.4;}
mark.wb-diff {background: #fde68a; color: inherit; padding: 0 0.1rem; border-radius: 0.15rem;}
code.wb-hidden {font-size: 0.75rem; color: #b91c1c; unicode-bidi: isolate;}
[dir="rtl"] {text-align: right;}
/* Streamlit's top bar is see-through: opaque, so that the grid's sticky header is not read through it */
header[data-testid="stHeader"] {background: var(--background-color, #fff);}
</style>
"""


# A flag as a short word for the grid, and the sentence its tooltip and captions give
FLAG_TEXT = {
    "number_mismatch": ("numbers differ", "the two sides give different numbers (highlighted): check which is right"),
    "number_one_sided": ("number on one side", "a number appears on one side only (highlighted)"),
}


def flag_words(flag: str) -> tuple[str, str]:
    return FLAG_TEXT.get(flag, (flag, flag))


def flags_text(flags: list[str] | tuple[str, ...]) -> str:
    """Flags in words, for captions."""
    return ", ".join(flag_words(flag)[1] for flag in flags)


def workspace() -> str:
    return os.environ.get("WORKBENCH_WORKSPACE") or store.DEFAULT_WORKSPACE


def connect() -> sqlite3.Connection:
    return store.connect(workspace())


@st.cache_resource(show_spinner="Loading the embedding model ...")
def embedder() -> Embedder:
    return get_embedder(os.environ.get("WORKBENCH_EMBEDDER"))


def current_stories(conn: sqlite3.Connection) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """Document id -> story number as the last grouping (an align job, ``align-all``, links) recorded it,
    and the cross-language pairs inside the stories. Read, never computed here: grouping embeds
    every document, which would hold a page for minutes."""
    recorded = store.stories(conn)
    number = {story: n for n, story in enumerate(sorted(set(recorded.values())), 1)}  # story 1, 2, ... as shown
    story_of = {doc_id: number[story] for doc_id, story in recorded.items()}
    lang = dict(conn.execute("SELECT id, lang FROM documents").fetchall())
    members: dict[int, list[int]] = {}
    for doc_id, story in story_of.items():
        members.setdefault(story, []).append(doc_id)
    pairs = [(a, b) for group in members.values() for i, a in enumerate(sorted(group)) for b in sorted(group)[i + 1:]
             if lang.get(a) != lang.get(b)]
    return story_of, pairs


def reviewer() -> str:
    return st.session_state.get("reviewer", "").strip()


def doc_label(doc: Document) -> str:
    """A document as plain text for labels and drop-downs: invisible characters in its file name
    (a bidi override turns "txt.exe" into "exe.txt") shown as escapes."""
    return printable(f"{doc.path} ({doc.lang})")


def term_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where the search ``terms`` occur in ``text``, ignoring case."""
    folded = text.casefold()
    spans = []
    for term in {t.casefold() for t in terms if t.strip()}:
        start = folded.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    return spans


def segments(text: str, marked: AbstractSet[float] = frozenset(), terms: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Article text as (piece, kind) for display: kind "mark" for a number whose value is in
    ``marked`` or an occurrence of one of ``terms``, "hidden" for an invisible character (bidi
    override, control) shown as its escape such as ``\\u202e``, "" for the rest. Nothing in it is
    markup."""
    pieces: list[tuple[str, str]] = []

    def plain(part: str) -> None:
        if part.isprintable():  # nearly all text: one piece
            if part:
                pieces.append((part, ""))
            return
        run = ""
        for ch in part:
            if printable(ch) == ch:
                run += ch
                continue
            if run:
                pieces.append((run, ""))
            pieces.append((printable(ch), "hidden"))
            run = ""
        if run:
            pieces.append((run, ""))

    spans = [(start, end) for start, end, value in (number_spans(text) if marked else ()) if value in marked]
    cursor = 0
    for start, end in sorted(spans + term_spans(text, terms), key=lambda span: (span[0], -span[1])):  # longest first
        if start >= cursor:
            plain(text[cursor:start])
            pieces.append((printable(text[start:end]), "mark"))
            cursor = end
    plain(text[cursor:])
    return pieces


_SEGMENT_HTML = {"": "{}", "mark": '<mark class="wb-diff">{}</mark>',
                 "hidden": '<code class="wb-hidden" title="hidden character">{}</code>'}


def highlight(text: str, values: AbstractSet[float] = frozenset(), terms: Sequence[str] = ()) -> str:
    """HTML for article text: markup escaped, the numbers whose value is in ``values`` and the
    ``terms`` marked, and invisible characters, which would act on the page unseen, shown as
    marked escapes."""
    return "".join(_SEGMENT_HTML[kind].format(html.escape(piece)) for piece, kind in segments(text, values, terms))


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|~#$])")  # what can open markup (or LaTeX) mid-line


def plain_md(text: str) -> str:
    """Text from a file name or an article for Streamlit's Markdown: shown as typed, never as
    markup, with invisible characters as escapes."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", printable(text))


def side_html(text: str, english: str | None, lang: str, marked: AbstractSet[float] = frozenset(),
              terms: Sequence[str] = ()) -> str:
    """One sentence and its English (Facts, Search), numbers in ``marked`` and ``terms`` marked."""
    direction = "rtl" if lang in RTL_LANGS else "auto"
    original = highlight(text, marked, terms)
    parts = [f'<div class="wb-side"><div class="wb-orig" dir="{direction}" lang="{html.escape(lang)}">{original}</div>']
    if english is not None and english != text:
        parts.append(f'<div class="wb-en" dir="ltr" lang="en">{highlight(english, marked, terms)}</div>')
    parts.append("</div>")
    return "".join(parts)
