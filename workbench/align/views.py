"""Similarity views: cosines of sentences and of blocks of consecutive sentences (composed from the
sentences' vectors, or the embeddings of their joined texts), kNN margins, and word vectors."""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from ..embed import MAX_EMBED_CHARS, Embedder, embed_cached


def neighbourhoods(sim: np.ndarray, knn: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean similarity of each row's and each column's ``knn`` nearest neighbours."""
    n, m = sim.shape
    rows = np.sort(sim, axis=1)[:, -min(knn, m):].mean(axis=1) if m else np.zeros(n)
    columns = np.sort(sim, axis=0)[-min(knn, n):, :].mean(axis=0) if n else np.zeros(m)
    return rows, columns


def margins(sim: np.ndarray, knn: int) -> np.ndarray:
    """Similarity minus the mean neighbourhood of both sentences (margin-based bitext mining)."""
    rows, columns = neighbourhoods(sim, knn)
    return sim - (rows[:, None] + columns[None, :]) / 2


def pair_cosines(a, b) -> np.ndarray:
    """Every row of ``a`` against every row of ``b`` (rows normalised), dense or sparse."""
    product = a @ b.T
    return product.toarray() if sparse.issparse(product) else np.asarray(product, np.float64)


def _neighbour_dots(vectors, distance: int) -> np.ndarray:
    """The dot product of each sentence's vector with that of the sentence ``distance`` after it."""
    count = vectors.shape[0] - distance
    if sparse.issparse(vectors):
        return np.asarray(vectors[:count].multiply(vectors[distance:]).sum(axis=1), np.float64).ravel()
    return np.einsum("ij,ij->i", vectors[:count], vectors[distance:], dtype=np.float64)


def _block_norms(vectors, weights: np.ndarray, max_block: int) -> list[np.ndarray]:
    """Norms of the weighted sums of every run of 1 .. max_block consecutive sentence vectors
    (index: run length), from each sentence's dot products with its next max_block - 1."""
    pair_terms = [weights[:len(weights) - d] * weights[d:] * _neighbour_dots(vectors, d)
                  for d in range(min(max_block, len(weights)))]
    norms = [np.zeros(0)]
    for size in range(1, max_block + 1):
        squared = window_sum(pair_terms[0], size)
        for d in range(1, min(size, len(pair_terms))):
            squared = squared + 2 * window_sum(pair_terms[d], size - d)
        norms.append(np.maximum(np.sqrt(np.maximum(squared, 0)), 1e-12))
    return norms


class JoinedCosines:
    """Cosines of the embeddings of joined texts for blocks of up to ``len(src_windows)`` a side,
    else of the composed blocks."""

    def __init__(self, src_windows: list[np.ndarray], tgt_windows: list[np.ndarray],
                 composed: BlockCosines | JoinedCosines):
        self._src, self._tgt, self._composed = src_windows, tgt_windows, composed
        self.shape: tuple[int, int] = composed.shape

    def __call__(self, a: int, b: int) -> np.ndarray:
        if a <= len(self._src) and b <= len(self._tgt):
            if a > self.shape[0] or b > self.shape[1]:
                return np.zeros((max(self.shape[0] - a + 1, 0), max(self.shape[1] - b + 1, 0)))
            return pair_cosines(self._src[a - 1], self._tgt[b - 1])
        return self._composed(a, b)


class BlockCosines:
    """In one view (embeddings of the originals, of the English, or word vectors), the cosine of
    every block of ``a`` consecutive source sentences with every block of ``b`` target ones, a
    block's vector being its sentences' vectors summed with sqrt-length weights (Vecalign's overlap
    embeddings, but with no model call per block: embeddings of the joined texts instead did worse,
    MAC-Dev strict F1 0.859 against 0.886 without English, 0.901 against 0.904 with, RESULTS.md;
    beside these, where a unit is in doubt, they do better: JoinedCosines, AlignParams.joined_share;
    weights of length^0.3 .. length^1 lose up to 0.007). No block vector is formed: the dot product of two blocks
    is a window sum of the weighted sentence-pair similarities (a 2-D prefix sum), a block's norm a
    window sum of its sentences' products with their neighbours, so a unit shape costs a few array
    slices whatever the vectors' dimension (word vectors have tens of thousands)."""

    def __init__(self, src: Any, tgt: Any, src_weights: np.ndarray, tgt_weights: np.ndarray, max_block: int):
        weighted = src_weights[:, None] * pair_cosines(src, tgt) * tgt_weights[None, :]
        self.shape: tuple[int, int] = weighted.shape
        self._prefix = np.zeros((weighted.shape[0] + 1, weighted.shape[1] + 1))
        self._prefix[1:, 1:] = weighted.cumsum(axis=0).cumsum(axis=1)
        self._src_norms = _block_norms(src, src_weights, max_block)
        self._tgt_norms = _block_norms(tgt, tgt_weights, max_block)

    def __call__(self, a: int, b: int) -> np.ndarray:
        n, m = self.shape
        if a > n or b > m:
            return np.zeros((max(n - a + 1, 0), max(m - b + 1, 0)))
        total = self._prefix
        dots = total[a:, b:] - total[:n + 1 - a, b:] - total[a:, :m + 1 - b] + total[:n + 1 - a, :m + 1 - b]
        return dots / self._src_norms[a][:, None] / self._tgt_norms[b][None, :]


def window_vectors(texts: list[str], separator: str, vectors: np.ndarray, weights: np.ndarray, size: int,
                   doubtful: np.ndarray, embedder: Embedder, conn) -> np.ndarray:
    """A vector for each run of ``size`` consecutive sentences: the embedding of its joined text
    where it holds a ``doubtful`` sentence, else its sentences' vectors composed as BlockCosines
    composes them."""
    count = len(texts) - size + 1
    if count <= 0:
        return np.zeros((0, vectors.shape[1]), np.float32)
    composed = sum(weights[k:k + count, None] * vectors[k:k + count] for k in range(size))
    composed = composed / np.maximum(np.linalg.norm(composed, axis=1, keepdims=True), 1e-12)
    held = np.flatnonzero(window_sum(doubtful.astype(float), size) > 0)
    if held.size:
        composed[held] = embed_cached(conn, embedder, [separator.join(texts[i:i + size]) for i in held])
    return composed.astype(np.float32)


def window_sum(values: np.ndarray, size: int) -> np.ndarray:
    count = len(values) - size + 1
    if count <= 0:
        return np.zeros(0)
    return np.sum([values[k:k + count] for k in range(size)], axis=0)


def window_max(matrix: np.ndarray, rows: int, columns: int) -> np.ndarray:
    n, m = matrix.shape[0] - rows + 1, matrix.shape[1] - columns + 1
    out = np.full((max(n, 0), max(m, 0)), -np.inf)
    for a in range(rows):
        for b in range(columns):
            out = np.maximum(out, matrix[a:a + n, b:b + m])
    return out


def word_vectors(src: list[str], tgt: list[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """TF-IDF vectors of the character 4-grams inside words (rows L2-normalised) of two lists of
    sentences (two English sides, or originals in one script), fitted on both: the words a machine
    translation shares with a human one (names, objects, actions, and 'twisted' with 'twist') say
    which sentences are one passage more sharply than a small embedding model does. MAC-Dev with zh .trans: 0.904 against 0.899 with
    whole words cut to five letters (n = 3 or 5: 0.903, 0.902). Each text's head only, as the
    embedder reads it: a 200,000-character line would cost seconds in every block holding it."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # 1.4 s to import: only where it is used

    src, tgt = [text[:MAX_EMBED_CHARS] for text in src], [text[:MAX_EMBED_CHARS] for text in tgt]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True)
    try:
        vectorizer.fit(src + tgt)
    except ValueError:  # not one word of three letters or more on either side: no 4-gram to share
        return sparse.csr_matrix((len(src), 1)), sparse.csr_matrix((len(tgt), 1))
    return sparse.csr_matrix(vectorizer.transform(src)), sparse.csr_matrix(vectorizer.transform(tgt))
