"""Offline translation into English: argos, OPUS-MT and NLLB-200 models (families.py) run directly
on CTranslate2, cached and resumable.

We never call argostranslate.translate: it re-splits sentences with a model it downloads at
translate time. Our sentences come from the ingest stage. Inference streams: all pending
sentences of a language, length-sorted, cut into token-bounded batches that are queued on the
engine ahead of time (asynchronous ``translate_batch``), so the engine never waits for Python;
results are committed as they come back, every N sentences or T seconds.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import store
from .external import is_external
from .language import UNDETERMINED
from .models import InstalledModel, models_to_english
from .outputs import write_atomically
from .processes import return_freed_memory
from .quality import QualityChecker, QualityFlag, as_dict
from .records import Sentence, StoredDocument
from .segment import as_read

ENGLISH = "en"
# Sentences in no language (numbers, symbols, URLs) have nothing to translate either.
PASS_THROUGH = {ENGLISH, UNDETERMINED}


class Translator(Protocol):
    """Anything that puts sentences into English. ``cache_id`` names model and options.
    ``translate_stream`` yields (index in ``sentences``, English) as each is done, in any order."""

    model_id: str
    cache_id: str

    def translate(self, sentences: list[str]) -> list[str]: ...

    def translate_stream(self, sentences: list[str]) -> Iterator[tuple[int, str]]: ...


# --quality: what an analyst chooses instead of beam sizes and compute types. balanced is the
# default and argostranslate's own setting (beam 4; int8 on CPU). fast is greedy decoding; best
# widens the beam and computes in float (int8 rounds weights to 256 levels). The compute type is
# the device's: on a GPU, float16 for best, int8 weights with float16 activations otherwise.
QUALITY_SETTINGS: dict[str, dict[str, tuple[int, str]]] = {
    "fast": {"cpu": (1, "int8"), "cuda": (1, "int8_float16")},
    "balanced": {"cpu": (4, "int8"), "cuda": (4, "int8_float16")},
    "best": {"cpu": (6, "float32"), "cuda": (6, "float16")},
}


@dataclass(frozen=True)
class DecodingOptions:
    beam_size: int = 4
    compute_type: str = "int8"
    device: str = "cpu"  # or "cuda" (devices.resolve turns --device auto into one of them)
    threads: int = 0  # 0: every core
    # Tokens per engine batch. Sweep of 1024-8192 through the workbench on transformer-base int8,
    # 2 cores, beam 4, 1,040 sentences (benchmarks/RESULTS.md, issue 16): 7.47 / 8.77 / 9.46 / 8.70
    # sentences/s; 4096 is the fastest (raw CTranslate2's best at that size too).
    max_batch_tokens: int = 4096
    # Batches queued on the engine ahead of the one it is running: enough that it never waits
    # for Python, few enough that a stop loses little queued work.
    batches_ahead: int = 2
    # A bad model must not loop: output is capped relative to the source length.
    length_ratio: float = 2.0
    length_margin: int = 10
    length_penalty: float = 0.2  # as argostranslate
    # Longer inputs are translated in pieces: argos models are trained on sentences, and an
    # encoder has a fixed number of positions (a 5,000-token input would be cut or garbled).
    max_input_tokens: int = 250
    quality: str = "balanced"  # the --quality setting beam and compute type came from ("custom" if set by hand)

    @classmethod
    def for_quality(cls, quality: str, device: str = "cpu", **others: Any) -> DecodingOptions:
        """Options of a --quality setting on a device; ``others`` (threads, batch tokens) as given."""
        if quality not in QUALITY_SETTINGS:
            raise ValueError(f"--quality must be one of {', '.join(QUALITY_SETTINGS)}, not {quality!r}")
        beam, compute_type = QUALITY_SETTINGS[quality][device]
        return cls(beam_size=beam, compute_type=compute_type, device=device, quality=quality, **others)

    def signature(self) -> dict:
        """What a run's English was made with, written beside its outputs (run.json)."""
        return {"quality": self.quality, "beam": self.beam_size, "compute_type": self.compute_type,
                "device": self.device, "max_decoding_length": f"{self.length_ratio} x source + {self.length_margin}",
                "max_input_tokens": self.max_input_tokens}

    def key(self) -> str:
        """What changes the output: beam, compute type, device (a GPU's kernels round differently
        from the CPU's), limits; threads and batching do not. CPU keys are as they were before
        devices were choosable, so existing caches stay valid."""
        device = "" if self.device == "cpu" else f",device={self.device}"
        return (f"beam={self.beam_size},ct={self.compute_type}{device},ratio={self.length_ratio}+{self.length_margin}"
                f",chunk={self.max_input_tokens}")


class ModelTranslator:
    """One installed model (argos, OPUS-MT or NLLB-200: families.py) for one source language on
    CTranslate2, loaded on first use; translators of one model folder (NLLB's languages) share
    one engine."""

    def __init__(self, model: InstalledModel, options: DecodingOptions = DecodingOptions()):
        self.model = model
        self.options = options
        self.model_id = model.id
        self.cache_id = f"{model.id}|{options.key()}"
        self.layout = model.layout
        # loaded on first use; ctranslate2 and sentencepiece ship no type information
        self._engine: Any = None
        self._sp: Any = None
        self._target_sp: Any = None

    def _load(self) -> None:
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(self.layout.source_spm))
        self._target_sp = self._sp if self.layout.target_spm == self.layout.source_spm else \
            sentencepiece.SentencePieceProcessor(model_file=str(self.layout.target_spm))
        self._engine = _engine(self.layout.model_dir, self.model.fingerprint, self.options.device,
                               self.options.compute_type, self.options.threads or os.cpu_count() or 1)

    def translate(self, sentences: list[str]) -> list[str]:
        return collect(self.translate_stream(sentences), len(sentences))

    def translate_stream(self, sentences: list[str]) -> Iterator[tuple[int, str]]:
        """Each sentence's English as soon as all of its pieces are back from the engine: shortest
        sentences first, batches of ``max_batch_tokens`` queued ``batches_ahead`` in advance."""
        if not sentences:
            return
        if self._engine is None:
            self._load()
        chunks: list[list[str]] = []  # token pieces, each at most max_input_tokens long
        owner: list[int] = []  # chunk -> sentence
        for i, sentence in enumerate(sentences):
            # a hard-wrapped text's sentence holds its line breaks (segment.hard_wrapped)
            pieces = self._sp.encode(as_read(sentence), out_type=str)
            for chunk in split_tokens(pieces, self.options.max_input_tokens):
                chunks.append(chunk)
                owner.append(i)
        batches = balanced_batches([len(chunk) for chunk in chunks], self.options.max_batch_tokens)
        english: list[str | None] = [None] * len(chunks)
        pieces_of: dict[int, list[int]] = defaultdict(list)
        for c in range(len(chunks)):
            pieces_of[owner[c]].append(c)
        waiting = {i: len(pieces) for i, pieces in pieces_of.items()}  # pieces still at the engine
        queued: deque[tuple[list[int], list[Any]]] = deque()
        upcoming = iter(batches)
        for batch in upcoming:
            queued.append((batch, self._submit([chunks[c] for c in batch])))
            if len(queued) > self.options.batches_ahead:
                break
        while queued:
            batch, results = queued.popleft()
            for c, result in zip(batch, results):
                english[c] = self._text(result.result())
                waiting[owner[c]] -= 1
                if not waiting[owner[c]]:
                    yield owner[c], " ".join(english[p] or "" for p in pieces_of[owner[c]] if english[p])
            # The engine's threads free a batch's buffers into malloc arenas that glibc keeps; with
            # an engine per language they added up (peak RSS 2.4-2.6 GB with four base models,
            # 1.2-1.3 GB when handed back: benchmarks/RESULTS.md, issue 16). A trim costs
            # milliseconds, a batch seconds.
            return_freed_memory()
            following = next(upcoming, None)
            if following is not None:
                queued.append((following, self._submit([chunks[c] for c in following])))

    def _submit(self, batch: list[list[str]]) -> list[Any]:
        """Queue one length-sorted batch on the engine (each input with the tokens its family puts
        around it); one future per input."""
        around = self.layout
        longest = max(len(t) for t in batch) + bool(around.target_prefix)  # the prefix is output too
        prefix = [[around.target_prefix]] * len(batch) if around.target_prefix else None
        return self._engine.translate_batch(
            [[*around.source_prefix, *tokens, *around.source_suffix] for tokens in batch],
            target_prefix=prefix, beam_size=self.options.beam_size,
            max_batch_size=0, asynchronous=True,  # batched already: one engine batch per call
            max_decoding_length=int(self.options.length_ratio * longest) + self.options.length_margin,
            length_penalty=self.options.length_penalty, replace_unknowns=True)

    def _text(self, output: Any) -> str:
        pieces = output.hypotheses[0]
        if self.layout.target_prefix and pieces[:1] == [self.layout.target_prefix]:
            pieces = pieces[1:]
        return self._target_sp.decode(pieces)  # sentencepiece restores spacing and underscores


def collect(stream: Iterable[tuple[int, str]], count: int) -> list[str]:
    """A ``translate_stream``'s results in input order."""
    english = [""] * count
    for i, text in stream:
        english[i] = text
    return english


def balanced_batches(lengths: list[int], max_tokens: int) -> list[list[int]]:
    """Indices into ``lengths``, shortest first, cut into as few batches of at most about
    ``max_tokens`` tokens as there can be, all of about the same size: a last batch of a few
    sentences would run nearly alone on the engine (on a 400-sentence folder, where a language
    has one or two batches, that was a twentieth of the run)."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    total = sum(lengths)
    count = max(1, -(-total // max(max_tokens, 1)))
    batches: list[list[int]] = [[] for _ in range(count)]
    done = 0
    for index in order:
        # the batch this sentence's middle token falls in, of ``count`` equal shares of the tokens
        batches[min(count - 1, (done + lengths[index] // 2) * count // max(total, 1))].append(index)
        done += lengths[index]
    return [batch for batch in batches if batch]


_CLAUSE_END = (",", ";", ":", ".", "!", "?", "\u060c", "\u061b", "\u3001", "\u3002", "\uff0c")


def split_tokens(pieces: list[str], limit: int) -> list[list[str]]:
    """``pieces`` cut into chunks of at most ``limit``: after a clause end in the second half of a
    chunk if there is one, else before a word start, else anywhere. Nothing is dropped; an empty
    input has no chunks (and translates to "")."""
    chunks = []
    while len(pieces) > limit:
        window = range(limit, limit // 2, -1)
        cut = next((k for k in window if pieces[k - 1].endswith(_CLAUSE_END)), None) \
            or next((k for k in window if pieces[k].startswith("\u2581")), limit)
        chunks.append(pieces[:cut])
        pieces = pieces[cut:]
    return chunks + [pieces] if pieces else chunks


_engines: dict[tuple[Path, str, str, str, int], Any] = {}


def _engine(model_dir: Path, fingerprint: str, device: str, compute_type: str, threads: int) -> Any:
    """One CTranslate2 engine per model folder and settings in this process (the fingerprint: a
    model replaced in the same folder gets a new engine)."""
    import ctranslate2

    key = (model_dir, fingerprint, device, compute_type, threads)
    if key not in _engines:
        _engines[key] = ctranslate2.Translator(str(model_dir), device=device, compute_type=compute_type,
                                               inter_threads=1, intra_threads=threads)
    return _engines[key]


_loaded: dict[str, ModelTranslator] = {}


def translators_to_english(options: DecodingOptions = DecodingOptions(),
                           on_error: Callable[[str], None] | None = None,
                           choices: dict[str, str] | None = None) -> dict[str, Translator]:
    """One translator per installed X->en model per process (engines load lazily); ``choices``
    names a language's model family or id where several are installed (models_to_english)."""
    found: dict[str, Translator] = {}
    for lang, model in models_to_english(on_error, choices).items():
        key = f"{model.id}|{options}"
        if key not in _loaded:
            _loaded[key] = ModelTranslator(model, options)
        found[lang] = _loaded[key]
    return found


# --- bulk translation of stored documents -------------------------------------------------

@dataclass
class TranslateReport:
    translated: int = 0  # sentences sent to a model in this run
    cached: int = 0  # filled from the translation cache
    done_before: int = 0  # already translated by an earlier (maybe interrupted) run
    english: int = 0  # English (or language-less) sentences passed through
    retranslated: int = 0  # of those translated or cached: made before by another model (or --redo)
    missing: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # lang -> doc paths
    # per language, sentences given English in this run and how many of them got each quality flag
    checked: Counter[str] = field(default_factory=Counter)
    flagged: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    flagged_sentences: Counter[str] = field(default_factory=Counter)
    models: dict[str, str] = field(default_factory=dict)  # lang -> id of the model that translated it

    def missing_lines(self) -> list[str]:
        return [f"{path}: no {lang}->en model installed; run `python -m workbench models install {lang}` "
                f"or `python -m workbench models add FILE.argosmodel`"
                for lang, paths in sorted(self.missing.items()) for path in sorted(paths)]


def _cache_key(translator: Translator, text: str) -> str:
    """Keyed by the text as the model reads it: a sentence wrapped at another width is the same work."""
    return hashlib.sha256(f"{translator.cache_id}\n{as_read(text)}".encode()).hexdigest()


def _pending(conn: sqlite3.Connection, doc: StoredDocument, translators: dict[str, Translator],
             redo: bool = False) -> tuple[list[Sentence], int]:
    """Sentences to translate: not translated yet, or translated by another model than the one now
    installed for their language (a new version, other weights), or all with ``redo``; and how
    many of them are such retranslations."""
    made_by = store.translation_models(conn, doc.id)
    pending, stale = [], 0
    for s in doc.sentences:
        if s.boilerplate:
            continue
        current = translators[s.lang].model_id if s.lang in translators else None
        made = made_by.get(s.index)
        # an analyst's own English (`workbench english`) is not replaced by a model's but with redo
        outdated = s.index in made_by and made is not None and (
            redo or (current is not None and made != current and not is_external(made)))
        if s.index not in made_by or outdated:
            pending.append(s)
            stale += outdated
    return pending, stale


def count_pending(conn: sqlite3.Connection, docs: Iterable[StoredDocument], translators: dict[str, Translator],
                  redo: bool = False) -> int:
    return sum(1 for doc in docs for s in _pending(conn, doc, translators, redo)[0]
               if s.lang not in PASS_THROUGH and s.lang in translators)


def translate_documents(conn: sqlite3.Connection, docs: list[StoredDocument], translators: dict[str, Translator],
                        on_progress: Callable[[int], None] | None = None, commit_every: int = 64,
                        redo: bool = False, commit_seconds: float = 5.0,
                        checker: QualityChecker | None = None) -> TranslateReport:
    """Put every non-boilerplate, non-English sentence of ``docs`` into English; English made by
    another model than the one installed now is made again (all of it with ``redo``, which also
    bypasses the translation cache).

    Each language's sentences stream through its translator (the engine's batch size is its
    own, ``DecodingOptions.max_batch_tokens``); results are committed every ``commit_every``
    sentences or ``commit_seconds``, whichever comes first, so an interrupted run loses at most
    that much and the next run continues from there. With a ``checker``, the English of every
    sentence translated or taken from the cache gets its quality flags (workbench/quality.py),
    stored with it.
    """
    report = TranslateReport(models={lang: t.model_id for lang, t in sorted(translators.items())})
    work: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))  # lang->text->sites
    for doc in docs:
        pending, stale = _pending(conn, doc, translators, redo)
        report.retranslated += stale
        content = sum(1 for s in doc.sentences if not s.boilerplate)
        report.done_before += content - len(pending)
        passed = [s for s in pending if s.lang in PASS_THROUGH]
        store.save_translations(conn, [(doc.id, s.index, s.text, None) for s in passed])
        report.english += len(passed)
        for s in pending:
            if s.lang in PASS_THROUGH:
                continue
            if s.lang not in translators:
                report.missing[s.lang].add(doc.path)
            else:
                work[s.lang][s.text].append((doc.id, s.index))

    for lang, sites_by_text in work.items():
        translator = translators[lang]
        texts = sorted(sites_by_text, key=len)  # similar lengths batch well
        keys = {text: _cache_key(translator, text) for text in texts}
        cached: dict[str, str] = {} if redo else store.cached_translations(conn, list(keys.values()))
        hits = [text for text in texts if keys[text] in cached]
        _save(conn, translator, sites_by_text, keys, {text: cached[keys[text]] for text in hits}, cache=False,
              checker=checker, lang=lang, report=report)
        report.cached += sum(len(sites_by_text[text]) for text in hits)
        if on_progress and hits:
            on_progress(sum(len(sites_by_text[text]) for text in hits))
        todo = [text for text in texts if keys[text] not in cached]
        finished: dict[str, str] = {}
        last_commit = time.monotonic()

        def commit() -> None:
            nonlocal last_commit
            _save(conn, translator, sites_by_text, keys, finished, cache=True, checker=checker, lang=lang,
                  report=report)
            done = sum(len(sites_by_text[text]) for text in finished)
            report.translated += done
            if on_progress:
                on_progress(done)
            finished.clear()
            last_commit = time.monotonic()

        for i, english in translator.translate_stream(todo):
            finished[todo[i]] = english
            if len(finished) >= commit_every or time.monotonic() - last_commit >= commit_seconds:
                commit()
        if finished:
            commit()
    return report


def _save(conn: sqlite3.Connection, translator: Translator, sites_by_text: dict[str, list[tuple[int, int]]],
          keys: dict[str, str], english_by_text: dict[str, str], cache: bool, checker: QualityChecker | None,
          lang: str, report: TranslateReport) -> None:
    texts = list(english_by_text)
    flags: list[list[QualityFlag]] | list[None] = \
        checker.check(lang, texts, [english_by_text[t] for t in texts]) if checker else [None] * len(texts)
    rows: list[tuple[int, int, str, str | None]] = []
    row_flags: list[dict[str, str] | None] = []
    for text, found in zip(texts, flags):
        for doc_id, idx in sites_by_text[text]:
            rows.append((doc_id, idx, english_by_text[text], translator.model_id))
            row_flags.append(as_dict(found) if found is not None else None)
            report.checked[lang] += found is not None
            report.flagged[lang].update(f.name for f in found or [])
            report.flagged_sentences[lang] += bool(found)
    store.save_translations(conn, rows, {keys[text]: en for text, en in english_by_text.items()} if cache else None,
                            row_flags)


# --- reading results back and writing them out --------------------------------------------

english_of = store.english_of  # Sentence index -> (English, model id or None for sentences that were English)


def english_text(doc: StoredDocument, english: dict[int, tuple[str, str | None]]) -> str:
    """The document in English, paragraph breaks as in the original; boilerplate left out."""
    parts: list[str] = []
    previous: Sentence | None = None
    for s in doc.sentences:
        if s.boilerplate:
            continue
        if previous is not None:
            breaks = doc.text.count("\n", previous.end, s.start)
            parts.append("\n" * max(breaks, 1) if s.paragraph != previous.paragraph else " ")
        parts.append(english[s.index][0] if s.index in english else s.text)
        previous = s
    return "".join(parts) + "\n"


def write_outputs(conn: sqlite3.Connection, docs: list[StoredDocument], out: Path,
                  signature: dict | None = None) -> list[Path]:
    """``OUT/<path>.en.txt`` per fully translated document, ``OUT/translations.jsonl`` and, given a
    run ``signature``, ``OUT/run.json``."""
    written = []
    lines = []
    for doc in docs:
        english = english_of(conn, doc.id)
        flags = store.translation_flags(conn, doc.id)
        content = [s for s in doc.sentences if not s.boilerplate]
        for s in content:
            if s.index in english:
                en, model = english[s.index]
                lines.append(json.dumps({"doc": doc.path, "index": s.index, "start": s.start, "end": s.end,
                                         "lang": s.lang, "text": s.text, "en": en, "model": model,
                                         "flags": flags.get(s.index, {})}, ensure_ascii=False) + "\n")
        if content and all(s.index in english for s in content):
            target = out / f"{doc.path}.en.txt"
            write_atomically(target, english_text(doc, english).encode("utf-8"))
            written.append(target)
    if signature is not None:
        run = out / "run.json"
        write_atomically(run, (json.dumps(signature, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        written.append(run)
    jsonl = out / "translations.jsonl"
    write_atomically(jsonl, "".join(lines).encode("utf-8"))
    return written + [jsonl]
