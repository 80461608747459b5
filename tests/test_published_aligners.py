"""The published aligners' algorithms that benchmarks/alignment_eval.py runs beside the workbench
(benchmarks/published_aligners.py): Vecalign's cost, deletion penalty and DP, Bertalign's margin,
anchors and band, on cases worked by hand, and both on a document made to a known gold."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "published_aligners.py"
_spec = importlib.util.spec_from_file_location("published_aligners", _PATH)
assert _spec and _spec.loader
aligners = importlib.util.module_from_spec(_spec)
sys.modules["published_aligners"] = aligners
_spec.loader.exec_module(aligners)


def test_overlap_texts_are_the_runs_of_sentences_ending_at_each_line():
    assert aligners.overlap_texts(["A.", "B.", "C."], 3) == [
        ["A.", "B.", "C."], ["", "A. B.", "B. C."], ["", "", "A. B. C."]]


def test_the_link_cost_worked_by_hand():
    # one source block of 2 sentences and one target sentence at cosine 0.6; norms 0.9 and 0.7:
    # 2 * 2 * 1 * (1 - 0.6) / (0.9 + 0.7) = 1.0; a 1-1 link at the same cosine and norms costs 0.5
    x, y = np.array([0.6, 0.8]), np.array([1.0, 0.0])
    src = np.stack([np.array([[0.6, 0.8], [0.6, 0.8]]), np.array([[0.0, 0.0], x])] + [np.zeros((2, 2))] * 2)
    tgt = np.stack([np.array([y])] + [np.zeros((1, 2))] * 3)
    costs = aligners.link_costs(src, tgt, np.full((4, 2), 0.9), np.full((4, 1), 0.7))
    assert costs[2, 1][1, 0] == pytest.approx(1.0, abs=1e-5)
    assert costs[1, 1][0, 0] == pytest.approx(0.5, abs=1e-5)
    assert costs[2, 1][0, 0] == np.inf  # no 2-sentence block ends at the first sentence


def test_the_deletion_penalty_is_the_20th_percentile_of_random_pairs_costs():
    costs = np.arange(25, dtype=float).reshape(5, 5)  # 25 pairs, all taken: the 20th percentile is 4.8
    assert aligners.deletion_penalty(costs, np.random.default_rng(0)) == pytest.approx(4.8)


def _costs(n: int, m: int, fill: float = 9.0) -> dict:
    return {shape: np.full((n, m), fill) for shape in aligners.VECALIGN_SHAPES}


def test_the_dp_takes_a_merge_where_it_is_cheaper_than_a_link_and_an_omission():
    # source 0-1 against target 0: the 2-1 link costs 0.5; a 1-1 link (0.3) and omitting the other
    # sentence (penalty 0.4) would cost 0.7
    costs = _costs(2, 1)
    costs[1, 1][0, 0] = costs[1, 1][1, 0] = 0.3
    costs[2, 1][1, 0] = 0.5
    assert aligners.best_path(costs, 0.4) == [((0, 1), (0,))]
    costs[2, 1][1, 0] = 0.8  # now 0.3 + 0.4 is cheaper
    assert aligners.best_path(costs, 0.4) in ([((0,), (0,)), ((1,), ())], [((0,), ()), ((1,), (0,))])


def test_the_dp_omits_a_run_of_target_sentences_at_one_penalty_each():
    # source 0 <-> target 0 and source 1 <-> target 3; targets 1 and 2 have no counterpart
    costs = _costs(2, 4)
    costs[1, 1][0, 0] = costs[1, 1][1, 3] = 0.1
    assert aligners.best_path(costs, 1.0) == [((0,), (0,)), ((), (1,)), ((), (2,)), ((1,), (3,))]


def _made_document() -> tuple[np.ndarray, np.ndarray, list]:
    """Two documents' block vectors (a block's vector: its sentences' sum) and their gold: 40 random
    "sentences"; the target has each with noise, source 10 left out, sources 20-21 rendered as one
    sentence and source 30 as two (its halves). Source 10 weighs 4x (a long sentence): an equal one
    joined to its neighbour's link would cost Vecalign less than its omission (cosine ~0.71 with the
    neighbour's translation: 4 * 0.29 / 2 = 0.59, against a penalty near 0.9, the 20th percentile
    of random pairs' ~1)."""
    rng = np.random.default_rng(3)
    src_lines = rng.normal(size=(40, 64))
    src_lines[10] *= 4
    tgt_lines, gold = [], []
    for i in range(40):
        if i == 10:
            gold.append(((10,), ()))
        elif i == 21:
            continue
        elif i == 20:
            tgt_lines.append(src_lines[20] + src_lines[21])
            gold.append(((20, 21), (len(tgt_lines) - 1,)))
        elif i == 30:
            half = rng.normal(size=64)
            tgt_lines += [src_lines[30] / 2 + half, src_lines[30] / 2 - half]
            gold.append(((30,), (len(tgt_lines) - 2, len(tgt_lines) - 1)))
        else:
            tgt_lines.append(src_lines[i] + 0.3 * rng.normal(size=64))
            gold.append(((i,), (len(tgt_lines) - 1,)))

    def blocks(lines: np.ndarray) -> np.ndarray:
        sums = [np.array([lines[i - k:i + 1].sum(axis=0) if i >= k else np.zeros(64) for i in range(len(lines))])
                for k in range(aligners.OVERLAPS)]
        return np.stack([s / np.maximum(np.linalg.norm(s, axis=1, keepdims=True), 1e-9) for s in sums])

    return blocks(src_lines), blocks(np.array(tgt_lines)), gold


def test_vecalign_aligns_a_document_made_to_a_known_gold():
    src, tgt, gold = _made_document()
    assert aligners.vecalign(src, tgt) == gold


def test_bertalign_margin_takes_the_sentences_beside_the_other_block():
    # target sentences t0..t3; a source vector's cosines with them 0.1, 0.2, 0.3, 0.4
    sentences = np.eye(4)
    vector = np.array([[0.1, 0.2, 0.3, 0.4]])
    # a block of 2 ending at t1 has only t2 after it; ending at t2: t0 before, t3 after (mean 0.25);
    # ending at t3: t1 before; the block ending at t0 would start before the document
    assert aligners._beside(vector, sentences, 2)[0, 1:] == pytest.approx([0.3, 0.25, 0.2])
    # one sentence at t0: only t1 after it; at t3: only t2 before it
    assert aligners._beside(vector, sentences, 1)[0] == pytest.approx([0.2, 0.2, 0.3, 0.3])


def test_bertalign_second_pass_searches_between_anchors_widened_by_five():
    allowed = aligners._anchor_band([(3, 2), (10, 12)], 20, 30)
    # rows 1-3 up to anchor (3, 2): targets 0 .. 2 + 5; rows 4-10: 2 - 5 -> 0 .. 12 + 5; then the
    # last anchor moved to the end (20, 30): rows 11-20 from 12 - 5 to 30
    assert [tuple(np.flatnonzero(row)[[0, -1]]) for row in allowed[[0, 1, 3, 4, 10, 11, 20]]] == [
        (0, 7), (0, 7), (0, 7), (0, 17), (0, 17), (7, 30), (7, 30)]


def test_bertalign_aligns_a_document_made_to_a_known_gold():
    src, tgt, gold = _made_document()
    src_bytes = np.array([[100.0 * (k + 1)] * src.shape[1] for k in range(aligners.OVERLAPS)])
    tgt_bytes = np.array([[100.0 * (k + 1)] * tgt.shape[1] for k in range(aligners.OVERLAPS)])
    assert aligners.bertalign(src, tgt, src_bytes, tgt_bytes) == gold


def test_documents_shorter_than_the_largest_block_are_aligned():
    # two sentences against one: blocks of 3 and 4 sentences exist on neither side
    src, tgt, _ = _made_document()
    short_src, short_tgt = src[:, :2], tgt[:, :1]
    assert aligners.vecalign(short_src, short_tgt) in ([((0,), (0,)), ((1,), ())], [((0, 1), (0,))])
    assert aligners.bertalign(short_src, short_tgt, np.ones((4, 2)), np.ones((4, 1))) in (
        [((0,), (0,)), ((1,), ())], [((0, 1), (0,))])
