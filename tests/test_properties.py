"""Property-based tests (hypothesis): segmentation spans, number normalisation, the monotonic DP,
TMX export and links over lines hold for arbitrary input, not just the examples we thought of."""
from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workbench import export, translate
from workbench.align import AlignParams, Side, align
from workbench.align_eval import line_links
from workbench.numbers import numbers
from workbench.segment import segment

LANGS = ["en", "fr", "ja", "ar", "bg", "ru", "und"]
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300)  # every code point but surrogates
SOME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SOME
@given(text=ANY_TEXT | st.lists(st.sampled_from(["Le 7 déc.", " M. Dupont", "!", "?", "。", "\n", "\u202e", " ",
                                                 "،", "\x00", "pic.twitter.com/x", "Dr.", "2,000", "…", "Am 2.", " und 3. Juli"]))
       .map("".join), lang=st.sampled_from(LANGS))
def test_sentence_spans_round_trip_for_any_text(text, lang):
    sentences = segment(text, lang)
    end = 0
    for s in sentences:
        assert text[s.start:s.end] == s.text
        assert s.text and s.text == s.text.strip() and "\n" not in s.text and "\r" not in s.text
        assert s.start >= end  # in order, never overlapping
        end = s.end
    assert [s.index for s in sentences] == list(range(len(sentences)))


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def grouped(n: int, separator: str) -> str:
    return f"{n:,}".replace(",", separator)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 10**12), separator=st.sampled_from([",", ".", " ", "\u00a0", "\u202f", "\u2009", "،", "'", "\u2019"]),
       digits=st.sampled_from([None, ARABIC_INDIC, FULL_WIDTH]),
       context=st.sampled_from(["{} soldats", "نحو {} جندي", "約{}人", "About {}.", "{}"]))
def test_a_number_reads_the_same_in_any_script_and_grouping(n, separator, digits, context):
    written = grouped(n, separator) if n >= 1000 else str(n)
    if digits:
        written = written.translate(digits)
    assert numbers(context.format(written)) == {float(n)}


@settings(max_examples=200, deadline=None)
@given(whole=st.integers(0, 999), fraction=st.integers(1, 99), mark=st.sampled_from([".", ","]))
def test_decimals_keep_their_fraction(whole, fraction, mark):
    assert numbers(f"{whole}{mark}{fraction:02d}%") == {float(f"{whole}.{fraction:02d}")}


class HashEmbedder:
    """Deterministic random unit vectors per text: arbitrary, reproducible similarity structure."""
    name = "test:hash"

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            vector = np.random.default_rng(seed).standard_normal(16).astype(np.float32)
            rows.append(vector / np.linalg.norm(vector))
        return np.stack(rows) if rows else np.zeros((0, 16), np.float32)


WORDS = st.text("abcdefgh ", min_size=1, max_size=12)


@SOME
@given(src=st.lists(WORDS, max_size=25), tgt=st.lists(WORDS, max_size=25), shared=st.integers(0, 10))
def test_monotonic_dp_uses_every_sentence_once_in_order(src, tgt, shared):
    tgt = src[:shared] + tgt  # some identical sentences give real matches
    result = align(Side(src, "fr", [None] * len(src)), Side(tgt, "en", [None] * len(tgt)), HashEmbedder(),
                   mode="parallel")
    assert [i for u in result.units for i in u.src_ids] == list(range(len(src)))
    assert [j for u in result.units for j in u.tgt_ids] == list(range(len(tgt)))
    most = AlignParams().max_block  # linked units: a + b <= max_block + 1; omissions: one sentence
    assert all(len(u.src_ids) + len(u.tgt_ids) <= most + 1 and (u.src_ids or u.tgt_ids) for u in result.units)
    assert all(len(u.src_ids) + len(u.tgt_ids) == 1 for u in result.units if not (u.src_ids and u.tgt_ids))
    assert all(0.0 <= u.score <= 1.0 for u in result.units)


@SOME
@given(src=st.lists(WORDS, max_size=25), tgt=st.lists(WORDS, max_size=25))
@example(src=[" "], tgt=[])  # no 4-gram in either document: TF-IDF had no vocabulary to fit
def test_comparable_matching_uses_every_sentence_exactly_once(src, tgt):
    tgt = tgt + src[::-1][:5]  # reordered matches
    result = align(Side(src, "fr", [None] * len(src)), Side(tgt, "en", [None] * len(tgt)), HashEmbedder(),
                   mode="comparable")
    assert sorted(i for u in result.units for i in u.src_ids) == list(range(len(src)))
    assert sorted(j for u in result.units for j in u.tgt_ids) == list(range(len(tgt)))


EVERY_CODE_POINT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None), max_size=80)


def unit_row(src_text: str, tgt_text: str, note: str) -> dict:
    return {"src_ids": [0], "tgt_ids": [0], "score": 0.5, "status": "accepted", "src_doc": "a.txt",
            "tgt_doc": "b.txt", "reviewer": note, "reviewed_at": "", "flags": [], "note": note,
            "src_lang": "fr", "tgt_lang": "ja", "src_text": src_text, "tgt_text": tgt_text, "signature": {}}


@SOME
@given(src=EVERY_CODE_POINT, tgt=EVERY_CODE_POINT, note=EVERY_CODE_POINT)
def test_tmx_is_well_formed_and_round_trips_any_text(src, tgt, note):
    root = ET.fromstring(export.render([unit_row(src, tgt, note)], "tmx"))  # raises if not well-formed XML
    assert [export.segment_text(seg) for seg in root.iter("seg")] == [src, tgt]


@given(lengths=st.lists(st.integers(1, 300), max_size=400), max_tokens=st.sampled_from([64, 1024, 4096]))
def test_translation_batches_are_few_even_and_cover_every_sentence_once(lengths, max_tokens):
    batches = translate.balanced_batches(lengths, max_tokens)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert len(batches) <= -(-sum(lengths) // max_tokens)  # no more batches than the tokens need
    flat = [lengths[i] for batch in batches for i in batch]
    assert flat == sorted(flat)  # shortest first, so each batch pads little
    for batch in batches:  # no batch above its share by more than one sentence
        assert sum(lengths[i] for i in batch) <= -(-sum(lengths) // len(batches)) + max(lengths)


LINE = st.lists(st.sampled_from(["Il pleut.", " Le vent souffle.", " M. Dupont", "!", "。", "\u3000", " "]),
                max_size=4).map("".join)


@SOME
@given(src_lines=st.lists(LINE, max_size=8), tgt_lines=st.lists(LINE, max_size=8), final_break=st.booleans(),
       draw=st.randoms(use_true_random=False))
def test_links_over_lines_hold_every_line_once_and_each_unit_in_one_link(src_lines, tgt_lines, final_break, draw):
    """However a splitter cut the lines and the units group the sentences (one-sided units too),
    every line of both texts is in exactly one link and a unit's lines are in one link."""
    texts = ["\n".join(lines) + ("\n" if final_break and lines else "") for lines in (src_lines, tgt_lines)]
    spans = [[[s.start, s.end] for s in segment(text, "fr")] for text in texts]
    units: list[tuple[list, list]] = []
    for side in (0, 1):
        for span in spans[side]:  # each sentence joins a random earlier unit or opens a new one
            if units and draw.random() < 0.5:
                units[draw.randrange(len(units))][side].append(span)
            else:
                units.append(([span], []) if side == 0 else ([], [span]))
    links = line_links(units, *texts)
    for side, text in enumerate(texts):  # the lines as Vecalign reads a file
        assert sorted(line for link in links for line in link[side]) == list(range(len(io.StringIO(text).readlines())))
    for unit in units:
        held = {k for k, link in enumerate(links) for side in (0, 1) for start, _ in unit[side]
                if texts[side].count("\n", 0, start) in link[side]}
        assert len(held) == 1
