"""Sentence-alignment quality as the alignment literature reports it (Vecalign, Bertalign).

A link is a pair of sentence-id tuples, ``((0, 1), (0,))`` = source lines 0 and 1 <-> target line 0;
an omission has one empty side. Strict and lax precision / recall / F1 after Veronis & Langlais
(2000), as Vecalign's scorer computes them:

- precision is over the test links, omissions included; recall over the gold links that are not
  omissions, against the test links that are not omissions (an omission is neither found nor missed);
- strict: a link counts when gold has exactly that link; lax: when some gold link shares a source
  sentence with it and links one of its target sentences (for an omission, never);
- counts are summed over documents before dividing (micro average), and a ratio with nothing to
  count is 0.

And whether an aligner's confidences mean what they say: the expected calibration error of its
links' confidences against which of them are right (``calibration_error``).
"""
from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

Link = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class Scores:
    precision_strict: float
    recall_strict: float
    f1_strict: float
    precision_lax: float
    recall_lax: float
    f1_lax: float


def read_links(path: Path) -> list[Link]:
    """Vecalign's format: one ``[0,1]:[0]`` per line, optionally with the link's cost after a third
    colon as Vecalign writes it (``[0,1]:[0]:0.213``; the cost is not read)."""
    links = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            src, tgt, *cost = line.split(":")
            if len(cost) > 1:
                raise ValueError
            links.append((_ids(src), _ids(tgt)))
        except (ValueError, SyntaxError):
            raise ValueError(f"{path}:{number}: not a link like [0,1]:[2]: {line!r}") from None
    return links


def _ids(field: str) -> tuple[int, ...]:
    ids = ast.literal_eval(field.strip())
    if not isinstance(ids, list) or not all(isinstance(i, int) and i >= 0 for i in ids):
        raise ValueError
    return tuple(ids)


def unaligned_sentences(links: Iterable[Link]) -> int:
    """How many sentences ``links`` leave without a counterpart (those of its omissions, both sides):
    the count issue 11 set against gold's to show an aligner that omits too much."""
    return sum(len(src) + len(tgt) for src, tgt in links if not src or not tgt)


def format_link(link: Link) -> str:
    return f"[{','.join(map(str, link[0]))}]:[{','.join(map(str, link[1]))}]"


def line_links(units: list[tuple[list[list[int]], list[list[int]]]], src_text: str, tgt_text: str) -> list[Link]:
    """Aligned units, each given by its source and target character spans in the two texts, as
    links over the texts' lines, which are the sentence ids of Vecalign's files and gold (every
    line counts, a blank one too). Where a line holds sentences of two units (a splitter cut it),
    the units are one link, as a line cannot be in two; a line no unit touches (a blank one) is
    an omission. Links come in the order of the units, a line no unit touches after its side's
    line before it."""
    texts = (src_text, tgt_text)
    breaks = [[match.start() for match in re.finditer("\n", text)] for text in texts]
    # lines as Vecalign reads a file: a last line without its break counts too
    counts = [len(found) + (1 if text and not text.endswith("\n") else 0) for found, text in zip(breaks, texts)]
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def root(node: tuple[int, int]) -> tuple[int, int]:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    place: dict[tuple[int, int], tuple[int, int, int]] = {}  # where a line's link goes in the output
    for number, unit in enumerate(units):
        nodes = [(side, line) for side in (0, 1) for start, end in unit[side]  # a line: the breaks before
                 for line in range(bisect_left(breaks[side], start), bisect_left(breaks[side], max(end - 1, start)) + 1)]
        for node in nodes:
            parent[root(node)] = root(nodes[0])
            place.setdefault(node, (number, 0, 0))
    for side in (0, 1):  # a line no unit touches goes after its side's line before it
        before = (-1, 0, 0)
        for line in range(counts[side]):
            if (side, line) not in place:
                place[(side, line)] = (before[0], side + 1, line)
                root((side, line))
            before = place[(side, line)]
    held: dict[tuple[int, int], tuple[set[int], set[int]]] = {}  # each link's lines, by its root
    first: dict[tuple[int, int], tuple[int, int, int]] = {}
    for node in parent:
        top = root(node)
        held.setdefault(top, (set(), set()))[node[0]].add(node[1])
        first[top] = min(first.get(top, place[node]), place[node])
    return [(tuple(sorted(held[top][0])), tuple(sorted(held[top][1]))) for top in sorted(held, key=first.__getitem__)]


def _hits(reference: Iterable[Link], candidates: Iterable[Link]) -> tuple[int, int, int]:
    """(candidates, strict hits, lax hits) of ``candidates`` against ``reference``."""
    reference = {link for link in reference if link[0] or link[1]}
    targets_of_source: dict[int, set[int]] = defaultdict(set)
    for src, tgt in reference:
        for i in src:
            targets_of_source[i].update(tgt)
    total = strict = lax = 0
    for src, tgt in {link for link in candidates if link[0] or link[1]}:
        total += 1
        if (src, tgt) in reference:
            strict += 1
            lax += 1
        elif set(tgt) & set().union(*(targets_of_source[i] for i in src)):
            lax += 1
    return total, strict, lax


def score(gold: list[list[Link]], test: list[list[Link]]) -> Scores:
    """Scores of the test alignments of several documents against their gold."""
    if len(gold) != len(test):
        raise ValueError(f"{len(gold)} gold documents but {len(test)} test documents")
    p_total = p_strict = p_lax = r_total = r_strict = r_lax = 0
    for gold_links, test_links in zip(gold, test):
        total, strict, lax = _hits(gold_links, test_links)
        p_total, p_strict, p_lax = p_total + total, p_strict + strict, p_lax + lax
        both = [link for link in test_links if link[0] and link[1]]
        total, strict, lax = _hits(both, [link for link in gold_links if link[0] and link[1]])
        r_total, r_strict, r_lax = r_total + total, r_strict + strict, r_lax + lax

    def ratio(a: int, b: int) -> float:
        return a / b if b else 0.0

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    ps, rs = ratio(p_strict, p_total), ratio(r_strict, r_total)
    pl, rl = ratio(p_lax, p_total), ratio(r_lax, r_total)
    return Scores(ps, rs, f1(ps, rs), pl, rl, f1(pl, rl))


def calibration_error(samples: list[tuple[float, bool]], bins: int = 10) -> float:
    """Expected calibration error of (confidence, right) samples: over ``bins`` equal-width
    confidence bins (the last holds 1.0), the gap between the bin's mean confidence and its share
    right, weighted by its share of the samples; 0 with no samples."""
    total = len(samples)
    grouped: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for confidence, right in samples:
        grouped[min(int(confidence * bins), bins - 1)].append((confidence, right))
    return float(sum(abs(sum(c for c, _ in group) - sum(r for _, r in group)) / total for group in grouped.values()))
