"""The alignment metric (strict/lax after Veronis & Langlais, as Vecalign scores), on cases worked by hand."""
from __future__ import annotations

import pytest

from workbench.align_eval import calibration_error, format_link, line_links, read_links, score, unaligned_sentences

GOLD = [((0,), (0,)), ((1, 2), (1,)), ((3,), ()), ((4,), (2, 3))]
TEST = [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), ()), ((4,), (2,)), ((), (3,))]


def test_strict_and_lax_scores_worked_by_hand():
    # precision over the 6 test links: strict hits [0]:[0] and the omission [3]:[]; lax adds
    # [1]:[1] (gold links source 1 to target 1) and [4]:[2]; omissions are never lax hits.
    # recall over the 3 gold links that are not omissions, against the test's 3 non-omissions:
    # strict [0]:[0]; lax also [1,2]:[1] (test links 1 to 1) and [4]:[2,3] (test links 4 to 2).
    s = score([GOLD], [TEST])
    assert (s.precision_strict, s.recall_strict, s.f1_strict) == pytest.approx((2 / 6, 1 / 3, 1 / 3))
    assert (s.precision_lax, s.recall_lax, s.f1_lax) == pytest.approx((4 / 6, 1.0, 0.8))


def test_unaligned_sentences_are_counted_on_both_sides_worked_by_hand():
    # gold leaves source 3 without a counterpart; the test source 2, source 3 and target 3
    assert (unaligned_sentences(GOLD), unaligned_sentences(TEST)) == (1, 3)
    assert unaligned_sentences([((0, 1), ()), ((), (0, 1, 2))]) == 5


def test_a_perfect_alignment_scores_one_and_counts_are_summed_over_documents():
    perfect = score([GOLD, GOLD], [GOLD, GOLD])
    assert perfect.f1_strict == perfect.f1_lax == 1.0
    # micro average: the second document's one wrong link of one weighs 1 in 7 links, not 1/2
    mixed = score([GOLD, [((0,), (0,))]], [GOLD, [((0,), (1,))]])
    assert mixed.precision_strict == pytest.approx(4 / 5) and mixed.recall_strict == pytest.approx(3 / 4)
    assert score([[]], [[]]).f1_strict == 0.0


def test_links_read_and_written_in_vecalign_format(tmp_path):
    path = tmp_path / "001.align"
    path.write_text("".join(format_link(link) + "\n" for link in GOLD))
    assert path.read_text().splitlines()[1:3] == ["[1,2]:[1]", "[3]:[]"]
    assert read_links(path) == GOLD
    path.write_text("[0]:[0]\n[1]-[1]\n")
    with pytest.raises(ValueError, match="001.align:2"):
        read_links(path)
    # Vecalign's output carries each link's cost after a third colon
    path.write_text("\ufeff[0]:[0]:0.1234\r\n[1,2]:[1]:0.5\r\n\r\n[3]:[]:0.3\r\n", encoding="utf-8")  # BOM, CRLF
    assert read_links(path) == [((0,), (0,)), ((1, 2), (1,)), ((3,), ())]
    for bad in ("[0]:[0]:0.1:2", "[-1]:[0]", "[0]:[1.5]", "0:0", "[x]:[0]"):
        path.write_text(bad + "\n")
        with pytest.raises(ValueError, match="001.align:1: not a link"):
            read_links(path)


def test_calibration_error_worked_by_hand():
    # bin 0.9-1.0: confidences 0.95 and 1.0, one right: mean 0.975 against 0.5, 2 of 4 samples;
    # bin 0.6-0.7: 0.6 and 0.65, both right: 0.625 against 1.0, 2 of 4
    samples = [(0.95, True), (1.0, False), (0.6, True), (0.65, True)]
    assert calibration_error(samples) == pytest.approx(0.5 * 0.475 + 0.5 * 0.375)
    assert calibration_error([(0.8, True)] * 4 + [(0.8, False)]) == pytest.approx(0.0)  # 80% right
    assert calibration_error([]) == 0.0


def test_units_become_links_over_the_files_lines_worked_by_hand():
    """Vecalign's sentence ids are line numbers: a line a splitter cut in two joins its units into
    one link, a blank line is an omission, and each link comes where its lines are."""
    src = "Il pleut. Le vent souffle.\nNous restons.\n\nLe chat dort.\n"  # lines 0, 1, blank 2, 3
    tgt = "It rains.\nThe wind blows.\nWe stay.\nThe cat sleeps."  # no final line break: 4 lines
    assert src[10:26] == "Le vent souffle." and tgt[26:34] == "We stay." and tgt[35:50] == "The cat sleeps."
    units = [([[0, 9]], [[0, 9]]), ([[10, 26]], [[10, 25]]), ([[27, 40]], [[26, 34]]), ([[42, 55]], [[35, 50]])]
    assert line_links(units, src, tgt) == [((0,), (0, 1)), ((1,), (2,)), ((2,), ()), ((3,), (3,))]
    # the line's second sentence left out and "The wind blows." too: the line is still one link
    omitted = [units[0], ([[10, 26]], []), ([], [[10, 25]]), units[2], units[3]]
    assert line_links(omitted, src, tgt) == [((0,), (0,)), ((), (1,)), ((1,), (2,)), ((2,), ()), ((3,), (3,))]
    # a unit over two sentences on two lines, and a file with nothing aligned: every line, once
    assert line_links([([[0, 40]], [[0, 25]])], src, tgt) == [((0, 1), (0, 1)), ((2,), ()), ((3,), ()), ((), (2,)),
                                                              ((), (3,))]
    assert line_links([], "\n\nA.\n", "B.") == [((0,), ()), ((1,), ()), ((2,), ()), ((), (0,))]
