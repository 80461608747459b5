"""Cross-lingual sentence alignment of two documents.

Scores: cosine similarity of multilingual embeddings of the originals (and of the English
translations where both sides have them, with a TF-IDF word overlap of those English sides; else,
for Chinese and Japanese, of their words glossed through a dictionary against the other side's
English words, or its names and cognates where it is written in Latin letters: dictionary.py),
and of word translations learned from the pair's own clear matches
(lexicon.py); without English, the originals' embeddings are also compared carried into each
other's space by linear maps those clear matches teach (space_map.py). All of single sentences
and of blocks of consecutive sentences (block vectors composed from the sentences' own, as
Vecalign's overlap embeddings but with no model call per block; where a first pass leaves a unit's
extent in doubt, also the embeddings of blocks' joined texts), made comparable with a margin
against each block's nearest neighbours of the same shape (margin-based bitext mining), plus a
small bonus for shared numbers and names.

Two aligners over those scores:
- parallel: a monotonic dynamic program (as Vecalign/Bertalign) with units of up to six
  sentences a side (a + b <= 7: 1-1 ... 1-6, 2-5, ...) and omissions. A unit earns its local
  margin (its similarity less that of the sentences just outside it, as Bertalign's: what
  decides a unit's boundaries is whether the neighbouring sentence belongs in it), a small reward
  per unit (minimal units are preferred), less a Gale-Church length penalty where lengths are
  trusted and penalties where one side's last sentence closes a quotation and the other's does
  not, one side ends inside a quotation and the other outside, or one side holds a quotation
  and the other none (dialogue turns survive translation), and where a sentence just beyond the
  unit matches the opening or closing clause of the other side's edge sentence better than the
  unit's own edge sentence does (clauses are embedded only where a first pass leaves an edge in
  doubt: not inside runs of strong 1-1 links).
  Omitting a sentence costs what the data says: a first pass estimates this pair's omission
  rate, the cost falls as that rate rises (-log of it, as a prior would), and a sentence with a
  clear counterpart somewhere (one not already the clear match of another) costs more to omit
  than one with none; where the rate is high, weak units holding no mutual best match pay for
  their weakness, and so does a unit with a sentence at its edge that does not match the other
  side's block, blocks are scored more by their joined texts, and each unit also earns its kNN
  margin (left-over sentences just outside a unit make its local margin favour taking them in), as
  it does in short documents.
  Each DP row is vectorised; omissions of target sentences are a running maximum over cumulative
  costs.
- comparable: reordered, partially overlapping reports; mutual best matches above a margin
  threshold that go forward together on both sides are a passage both reports tell, wherever
  each placed it; each passage, with its unmatched neighbours, goes through the monotonic DP
  (its units earning their kNN margins too where a first pass over the passages omits very much,
  or the documents are short).
``auto`` takes comparable where the clear matches are in no more order than chance puts them,
parallel where 30 or more strong matches are in order; where they are fewer or out of order, it runs
both aligners and keeps comparable only if its links are clearly better supported (less
clearly where the parallel result breaks a clear match, as a moved passage makes it do; where
many strong matches in order chose parallel, broken clear matches send it to the same
comparison: ``Alignment.mode_reason``).
A parallel pair too long for the DP's memory (two books) is cut at runs of strong matches into
pieces aligned one by one (as Bertalign's anchors bound its DP).

Modules, in the order the work flows: params (what the aligner is given and returns), views
(similarities of sentences and blocks), quotes and clauses (what a unit's edges must respect),
scorer (all views of one pair, margins, confidences), costs (what units earn and omissions cost),
refine (a second look where a first pass leaves units in doubt), parallel and comparable (the two
aligners), auto (the entry point and the choice between them).
"""
from .auto import align
from .clauses import edge_clauses
from .params import MODES, Alignment, AlignParams, Side
from .scorer import Scorer
from .views import margins

__all__ = ["MODES", "AlignParams", "Alignment", "Scorer", "Side", "align", "edge_clauses", "margins"]
