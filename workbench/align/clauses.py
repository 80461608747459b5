"""A sentence's opening and closing clauses, and how far a unit's edges fall short against them:
where a translator split or joined sentences, a unit's boundary falls where the clauses say."""
from __future__ import annotations

import re

import numpy as np

from ..embed import Embedder, embed_cached
from ..segment import goes_on
from .views import pair_cosines

# where a sentence's clauses part: commas, semicolons and colons of Latin, Chinese, Japanese and
# Arabic script, and the ideographic enumeration comma
_CLAUSE_BREAK = re.compile(r"[,;:，；：、،؛]")
_CLAUSE_EDGE = " \"'“”‘’「」『』«»„()（）"
# where a text given as one unit may hold more than one sentence (a line of a one-sentence-per-line
# file that holds two; an abbreviation the splitter kept inside): a full stop, question or
# exclamation mark before a space, or an ideographic one, each with the quotation mark or bracket it closes
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?\u061f])|(?<=[.!?\u061f][\"”’»)]))\s+"
                             r"|(?:(?<=[。！？])|(?<=[。！？][”」』）]))(?![”」』）])")


def opening_and_closing_clause(text: str) -> tuple[str, str]:
    """A text's first and last clause (the whole text for both where it has one). A text of two or
    more sentences parts at their ends too: its opening clause lies inside its first sentence, its
    closing clause inside its last (else the opening clause of two sentences, the first with no
    comma, would run on into the second)."""
    sentences: list[str] = []
    for piece in _SENTENCE_BREAK.split(text):
        if sentences and goes_on(sentences[-1], piece):  # "Dr. Smith", "5 h. du matin"
            sentences[-1] += " " + piece
        elif piece:
            sentences.append(piece)
    clauses = [c for sentence in sentences for c in _CLAUSE_BREAK.split(sentence) if c.strip(_CLAUSE_EDGE)]
    return (clauses[0], clauses[-1]) if len(clauses) > 1 else (text, text)


# An edge clause is embedded where it is at most this share of its sentence's characters; a longer
# one is close enough to the sentence to stand for it (MAC-Dev with zh .trans: 0.9228 at 1.0, 0.8
# and 0.67, 0.9217 at 0.6, 0.9202 at 0.5). FLORES dev: the clauses embedded hold 0.40-0.54 of the
# sentences' characters at 0.67, 0.55-0.68 at 1.0.
CLAUSE_SHARE = 0.67


def _clauses_to_embed(text: str) -> list[tuple[int, str]]:
    """The edges (0 opening, 1 closing) of ``text`` whose clause is embedded: short enough to differ
    from the sentence (CLAUSE_SHARE)."""
    return [(edge, clause) for edge, clause in enumerate(opening_and_closing_clause(text))
            if len(clause) <= CLAUSE_SHARE * len(text)]


def edge_clauses(texts: list[str]) -> list[str]:
    """Every clause of ``texts`` that clause_shortfalls may embed: to embed many documents' in one
    call before aligning them pair by pair (compare.align_stories)."""
    return [clause for text in texts for _, clause in _clauses_to_embed(text)]


def clause_shortfalls(embedded: list[tuple[list[str], list[str], np.ndarray, np.ndarray, float]],
                      doubtful: tuple[np.ndarray, np.ndarray], embedder: Embedder, conn) -> list[np.ndarray]:
    """Four n x m arrays, each how far (<= 0) a unit starting or ending at a sentence pair falls
    short at one edge (AlignParams.clause_weight), for a unit starting at source i and target j:
    [0] target j against the opening clause of source i, less the target sentence before it;
    [2] source i against the opening clause of target j, less the source sentence before it;
    and for a unit ending at source i and target j: [1] target j against the closing clause of
    source i, less the target sentence after it; [3] likewise with the sides swapped. An edge
    with no sentence beyond it costs nothing. Cosines are summed over the ``embedded`` views of
    the pair (source texts, target texts, their vectors, weight: the originals, and the English
    where both sides have it), as the sentences' are. Only the ``doubtful`` sentences (source,
    target masks) have their clauses embedded (CLAUSE_SHARE); any other sentence stands for its
    own opening and closing clause, as one with a single clause does."""
    wanted = [(view, side, edge, int(k), clause)  # (view, side, 0 opening / 1 closing, sentence, clause)
              for view, (src_texts, tgt_texts, *_) in enumerate(embedded)
              for side, texts in enumerate((src_texts, tgt_texts))
              for k in np.flatnonzero(doubtful[side]) for edge, clause in _clauses_to_embed(texts[k])]
    # one embedder call for the pair: calls of a few clauses each keep one of the engine's replicas
    # busy, not all (align-all on 200 generated articles spent more on clauses than on sentences)
    found = embed_cached(conn, embedder, [clause for *_, clause in wanted]) if wanted else np.zeros((0, 1))
    shape = (len(embedded[0][0]), len(embedded[0][1]))
    cosines = {(side, edge): np.zeros(shape) for side in (0, 1) for edge in (0, 1)}
    for view, (_, _, src_vectors, tgt_vectors, weight) in enumerate(embedded):
        for side, (own, other) in enumerate(((src_vectors, tgt_vectors), (tgt_vectors, src_vectors))):
            for edge in (0, 1):
                clauses = own.copy()
                rows = [(k, n) for n, (v, s, e, k, _) in enumerate(wanted) if (v, s, e) == (view, side, edge)]
                if rows:
                    clauses[[k for k, _ in rows]] = found[[n for _, n in rows]]
                against = pair_cosines(clauses, other)
                cosines[(side, edge)] += weight * (against if side == 0 else against.T)
    src_opening, src_closing, tgt_opening, tgt_closing = (cosines[key] for key in ((0, 0), (0, 1), (1, 0), (1, 1)))
    differences = [np.zeros_like(src_opening) for _ in range(4)]
    differences[0][:, 1:] = src_opening[:, 1:] - src_opening[:, :-1]
    differences[1][:, :-1] = src_closing[:, :-1] - src_closing[:, 1:]
    differences[2][1:, :] = tgt_opening[1:, :] - tgt_opening[:-1, :]
    differences[3][:-1, :] = tgt_closing[:-1, :] - tgt_closing[1:, :]
    return [np.minimum(d, 0.0) for d in differences]


def clause_misfit(shortfalls: list[np.ndarray], a: int, b: int) -> np.ndarray:
    """For every a x b unit, the sum of its four edges' clause ``shortfalls`` (clause_shortfalls)."""
    src_opening, src_closing, tgt_opening, tgt_closing = shortfalls
    n, m = src_opening.shape
    starts = (slice(0, n - a + 1), slice(0, m - b + 1))
    ends = (slice(a - 1, n), slice(b - 1, m))
    return src_opening[starts] + tgt_opening[starts] + src_closing[ends] + tgt_closing[ends]
