"""Word translations learned from the very pair being aligned: IBM Model 1 trained on the pair's
own confident links, as Moore (2002) bootstraps a lexicon from a first, length-based alignment.

A small embedding model knows little of a novel's names ("韦小宝" is "Trinket" in its English
edition) or of a report's recurring terms; a chapter repeats them often enough for the pair's
mutual best matches to teach them. Each sentence's words, carried through the learned table into
the other language, become a sparse vector whose dot product with the other side's word vectors
says how much of one sentence the other translates: an extra view of the aligner's scores
(align.views.BlockCosines), in both directions at once.
"""
from __future__ import annotations

import math
import re

import numpy as np
from scipy import sparse

from .embed import MAX_EMBED_CHARS

_WORD = re.compile(r"\w+")
# EM iterations and the word pairs a table keeps: those seen together in at least two links, so that
# a word seen once does not learn whatever the first pass linked it with and vote for that link
# again. MAC-Dev embeddings only, measured with the table taught by every mutual best match: 0.879
# after 2 iterations, 0.886 after 5, 0.887 after 10; 0.879 keeping every pair, 0.886 from two links,
# 0.884 from three (benchmarks/RESULTS.md)
ITERATIONS = 5
MIN_LINKS = 2
MIN_TRAINING_LINKS = 5  # fewer: nothing to learn from


def words(text: str, no_space: bool) -> list[str]:
    """Lower-cased words; each letter of a language written without spaces (Chinese characters
    carry meaning alone; adding their bigrams did no better on MAC-Dev, as measured above: 0.880
    against 0.886)."""
    text = text.lower()
    return [c for c in text if c.isalnum()] if no_space else _WORD.findall(text)


def word_matrix(texts: list[str], no_space: bool) -> sparse.csr_matrix:
    """(texts x vocabulary) with 1 where the text holds the word."""
    vocabulary: dict[str, int] = {}
    rows, columns = [], []
    for row, text in enumerate(texts):
        for word in dict.fromkeys(words(text, no_space)):  # in order: ids the same on every run
            rows.append(row)
            columns.append(vocabulary.setdefault(word, len(vocabulary)))
    return sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(texts), max(len(vocabulary), 1)))


def ibm_model1(src: sparse.csr_matrix, tgt: sparse.csr_matrix) -> sparse.csr_matrix:
    """t(target word | source word) by EM over linked (source, target) word sets, one row per link.
    Vectorised over every (link, source word, target word) triple: a chapter's few hundred links
    train in milliseconds (no per-word Python loop, as NLTK's IBMModel1 has)."""
    triples = [np.meshgrid(src[k].indices, tgt[k].indices, [k], indexing="ij") for k in range(src.shape[0])]
    flat = [np.concatenate([grid.ravel() for grid in part]) for part in zip(*triples)] if triples else []
    vocabulary = tgt.shape[1]
    if not flat or not len(flat[0]):
        return sparse.csr_matrix((src.shape[1], vocabulary))
    source, target, link = flat
    pairs, pair_of = np.unique(source.astype(np.int64) * vocabulary + target, return_inverse=True)
    pair_source, pair_target = pairs // vocabulary, pairs % vocabulary
    # one slot per (link, target word): the source words of that link compete for it
    _, slot_of = np.unique(link.astype(np.int64) * vocabulary + target, return_inverse=True)
    table: np.ndarray = np.ones(len(pairs))
    for _ in range(ITERATIONS):
        table /= np.maximum(np.bincount(pair_source, weights=table, minlength=src.shape[1])[pair_source], 1e-12)
        share = table[pair_of]
        # + 1e-3: a little mass for the empty word, so that a target word no source word explains
        # does not force its whole count onto whichever word is there
        share = share / (np.bincount(slot_of, weights=share)[slot_of] + 1e-3)
        table = np.bincount(pair_of, weights=share, minlength=len(pairs))
    table /= np.maximum(np.bincount(pair_source, weights=table, minlength=src.shape[1])[pair_source], 1e-12)
    kept = np.bincount(pair_of, minlength=len(pairs)) >= MIN_LINKS
    return sparse.csr_matrix((table[kept], (pair_source[kept], pair_target[kept])), shape=(src.shape[1], vocabulary))


def _idf(matrix: sparse.csr_matrix) -> sparse.dia_matrix:
    documents = np.asarray(matrix.sum(axis=0)).ravel()
    return sparse.diags(np.log((matrix.shape[0] + 1) / (documents + 1)) + 1)


def unit_rows(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    """The rows scaled to unit length (rows of zeros stay zero)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sparse.csr_matrix(sparse.diags(1 / np.maximum(norms, 1e-12)) @ matrix)


def lexicon_vectors(src_texts: list[str], tgt_texts: list[str], src_no_space: bool, tgt_no_space: bool,
                    links: list[tuple[int, int]]) -> tuple[sparse.csr_matrix, sparse.csr_matrix] | None:
    """Row vectors of both documents whose dot products are the learned translation overlap of two
    sentences, or None with fewer than MIN_TRAINING_LINKS links to learn from. A source row is
    [its words carried into the target vocabulary, its own words], a target row [its own words,
    its words carried into the source vocabulary]; each half IDF-weighted and unit length, so the
    dot product is the mean of both directions' cosines and the same whichever document is first."""
    if len(links) < MIN_TRAINING_LINKS:
        return None
    # each text's head, as the embedder reads it (and align.views.word_vectors): a 200,000-character line
    # would otherwise fill the table with one sentence's words
    src_texts, tgt_texts = [t[:MAX_EMBED_CHARS] for t in src_texts], [t[:MAX_EMBED_CHARS] for t in tgt_texts]
    src, tgt = word_matrix(src_texts, src_no_space), word_matrix(tgt_texts, tgt_no_space)
    linked_src, linked_tgt = src[[i for i, _ in links]], tgt[[j for _, j in links]]
    src_weighted, tgt_weighted = src @ _idf(src), tgt @ _idf(tgt)
    src_carried = unit_rows(src_weighted @ ibm_model1(linked_src, linked_tgt))
    tgt_carried = unit_rows(tgt_weighted @ ibm_model1(linked_tgt, linked_src))
    half = 1 / math.sqrt(2)
    return (sparse.csr_matrix(sparse.hstack([src_carried, unit_rows(src_weighted)]) * half),
            sparse.csr_matrix(sparse.hstack([unit_rows(tgt_weighted), tgt_carried]) * half))
