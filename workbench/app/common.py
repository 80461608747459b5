"""Shared helpers for the app's pages: the workspace, the embedder, and safe HTML for article text.

Article text is untrusted: every piece of it passes through ``escape`` (html.escape, and
invisible characters such as bidi overrides shown as visible escapes) before it reaches
``unsafe_allow_html``; the markup around it is ours.
"""
from __future__ import annotations

import html
import os
import re
import sqlite3
from collections.abc import Set as AbstractSet

import streamlit as st

from workbench import compare, store
from workbench.anchors import number_spans
from workbench.embed import Embedder, get_embedder
from workbench.records import Document
from workbench.visible import printable

RTL_LANGS = {"ar", "fa", "ur", "he"}
CSS = """
<style>
.wb-side {padding: 0.4rem 0.6rem; border-radius: 0.3rem; background: rgba(128,128,128,0.06);}
.wb-orig {font-size: 1rem; line-height: 1.5;}
.wb-en {font-size: 0.85rem; color: #6b7280; margin-top: 0.25rem; line-height: 1.4;}
.wb-gap {padding: 0.4rem 0.6rem; border: 1px dashed #9ca3af; border-radius: 0.3rem; color: #9ca3af;
         font-size: 0.85rem; text-align: center;}
.wb-band {height: 100%; min-height: 2.4rem; border-radius: 0.2rem; color: white; font-size: 0.8rem;
          text-align: center; padding-top: 0.5rem; font-weight: 600;}
mark.wb-diff {background: #fde68a; color: inherit; padding: 0 0.1rem; border-radius: 0.15rem;}
code.wb-hidden {font-size: 0.75rem; color: #b91c1c; unicode-bidi: isolate;}
[dir="rtl"] {text-align: right;}
.st-key-doc-headers {position: sticky; top: 3.75rem; z-index: 99; background: var(--background-color, #fff);
                     border-bottom: 1px solid rgba(128,128,128,0.3);}
</style>
"""


FLAG_TEXT = {"number_mismatch": "numbers differ", "number_one_sided": "a number on one side only"}


def flags_text(flags: list[str] | tuple[str, ...]) -> str:
    """Flags in words, for captions."""
    return ", ".join(FLAG_TEXT.get(flag, flag) for flag in flags)


def kind_text(src_count: int, tgt_count: int) -> str:
    """A unit's shape in words: "1-2", or which side has no counterpart."""
    if not tgt_count:
        return "left only, no counterpart"
    if not src_count:
        return "right only, no counterpart"
    return f"{src_count}-{tgt_count}"


def workspace() -> str:
    return os.environ.get("WORKBENCH_WORKSPACE") or store.DEFAULT_WORKSPACE


def connect() -> sqlite3.Connection:
    return store.connect(workspace())


@st.cache_resource(show_spinner="Loading the embedding model ...")
def embedder() -> Embedder:
    return get_embedder(os.environ.get("WORKBENCH_EMBEDDER"))


@st.cache_data(show_spinner="Grouping documents into stories ...", max_entries=4)
def stories(workspace_path: str, fingerprint: tuple) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Story groups and the pairs worth aligning, as document ids; computed again only when the
    workspace's documents change (``fingerprint``)."""
    conn = store.connect(workspace_path)
    groups, similarity = compare.story_groups(conn, store.documents(conn), embedder())
    return [[d.id for d in g] for g in groups], [(a.id, b.id) for a, b, _ in compare.suggested_pairs(groups, similarity)]


def current_stories(conn: sqlite3.Connection) -> tuple[list[list[int]], list[tuple[int, int]]]:
    return stories(workspace(), store.documents_fingerprint(conn))


def reviewer() -> str:
    return st.session_state.get("reviewer", "").strip()


def doc_label(doc: Document) -> str:
    return f"{doc.path} ({doc.lang})"


def escape(text: str) -> str:
    """HTML for article text: markup escaped; control characters and bidi overrides, which
    would act on the page unseen, shown as marked escapes such as ``\u202e``."""
    if text.isprintable():
        return html.escape(text)
    return "".join(html.escape(ch) if printable(ch) == ch
                   else f'<code class="wb-hidden" title="hidden character">{printable(ch)}</code>' for ch in text)


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>|~#$])")  # what can open markup (or LaTeX) mid-line


def plain_md(text: str) -> str:
    """Text from a file name or an article for Streamlit's Markdown: shown as typed, never as
    markup, with invisible characters as escapes."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", printable(text))


def highlight(text: str, values: AbstractSet[float]) -> str:
    """Escaped ``text`` with the numbers whose value is in ``values`` marked."""
    parts, cursor = [], 0
    for start, end, value in number_spans(text):
        if value in values and start >= cursor:
            parts.append(escape(text[cursor:start]))
            parts.append(f'<mark class="wb-diff">{escape(text[start:end])}</mark>')
            cursor = end
    parts.append(escape(text[cursor:]))
    return "".join(parts)


def side_html(texts: list[str], english: str | None, lang: str, marked: AbstractSet[float] = frozenset()) -> str:
    if not texts:
        return '<div class="wb-gap">no counterpart</div>'
    direction = "rtl" if lang in RTL_LANGS else "auto"
    original = " ".join(highlight(t, marked) for t in texts)
    parts = [f'<div class="wb-side"><div class="wb-orig" dir="{direction}" lang="{html.escape(lang)}">{original}</div>']
    if english is not None and english != " ".join(texts):
        parts.append(f'<div class="wb-en" dir="ltr" lang="en">{highlight(english, marked)}</div>')
    parts.append("</div>")
    return "".join(parts)


def band_html(score: float) -> str:
    colour = "#16a34a" if score >= 0.7 else "#d97706" if score >= 0.4 else "#dc2626"
    return f'<div class="wb-band" style="background:{colour}">{score:.2f}</div>'
