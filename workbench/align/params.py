"""What the aligner is given and returns: its parameters (each with where its value came from), a
document's sentences ready to align, and the alignment."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..records import AlignedUnit

MODES = ("auto", "parallel", "comparable")
NO_SPACE_LANGS = {"ja", "zh", "th"}
# The aligner's revision, raised whenever a change to its code (not to its parameters, which the
# signature holds already) changes what it outputs for the same inputs: a stored alignment of an
# earlier revision is then no longer current (compare.is_current), and align-all aligns it again
# once, decisions kept on their sentences. 1: the edge clauses of a text of two or more sentences
# (clauses.opening_and_closing_clause), 2026-12-06. 2: blocks' joined texts weigh more where a
# first pass omits much (AlignParams.joined_share_omitted), 2026-12-07. 3: units earn their kNN
# margins too where it omits very much (AlignParams.knn_weight), 2026-12-07. 4: so do the
# comparable aligner's, at the rate a first pass over its passages omits, 2026-12-07. 5: a side
# quoting English sentences is read through character 4-grams too (Side.quotes_english), 2026-12-07.
# 6: units of short documents earn their kNN margins too (short_knn_weight), 2026-12-07. 7: German
# guillemets (»so«) read as French ones, and straight double quotes that no context places open and
# close in turn (quotes.py); Swiss thousands (4'478), German times (14.30 Uhr) and Chinese numerals
# with "more than" inside (一百多亿) among the anchors; Latin names inside Japanese and Chinese end
# where their letters end (anchors._LATIN_NAME), 2026-12-07. 8: a passage one side leaves out is
# omitted at the cost its evidence sets (AlignParams.omission_run), 2026-12-07. 9: so are page
# numbers and running heads (boilerplate.print_furniture), 2026-12-07.
REVISION = 9


@dataclass(frozen=True)
class AlignParams:
    knn: int = 4  # neighbours in the (kNN) margin of comparable mode, strong matches and confidences
    # Parallel DP. Units of up to max_block sentences a side with a + b <= max_block + 1 (MAC-Dev's
    # gold has 1-5 and 1-6 links); each earns its local margin + unit_reward - length penalty.
    # Values from a search on MAC-Dev and FLORES-200 dev together (benchmarks/RESULTS.md).
    max_block: int = 6
    unit_reward: float = 0.03
    # Gale-Church: a unit whose character lengths (L1 scaled by the pair's ratio, L2, counted in the
    # longer-written language) disagree loses length_weight * (L2 - L1)^2 / mean(L1, L2); English
    # lengths where both sides have English (one language: proportions far tighter). Only where the
    # mutual best matches show lengths are kept: rewrites (RMS log-ratio ~0.8 on the seed ja-fr) do
    # not, translations do (~0.2-0.25 on FLORES; more on MAC-Dev's novels, whose best matches are
    # noisier); full weight up to length_spread_full, none from length_spread_none (MAC-Dev 0.828 ->
    # 0.868 without English from 0.25/0.5 to 0.5/0.8).
    length_weight: float = 0.0007
    length_spread_full: float = 0.5
    length_spread_none: float = 0.8
    # The length penalty goes no higher than length_cap: lengths are a prior, and a sentence that
    # renders only part of a merged one (a third of a 3-1 unit whose other lines the translation
    # left out) is still its link. Uncapped, a 3:1 length mismatch costs ~0.14, far above any
    # margin, and the DP omitted both sides. FLORES-200 dev, rows' summed strict F1 against no cap
    # (parallel / comparable; rows down): 0.03: -0.024 / -0.008 (14); 0.05: +0.048 / +0.054 (7);
    # 0.06: +0.063 / +0.068 (4); 0.075: +0.052 / +0.047 (none); 0.1: +0.024 / +0.011 (1). MAC-Dev
    # 0.922 -> 0.920 without English, 0.923 -> 0.924 with zh .trans.
    length_cap: float = 0.075
    # Omitting a sentence costs omission_offset + omission_scale * -log(rate + 0.01), the rate
    # estimated by a first pass (MAC-Dev's novels ~2%, FLORES with 30% deleted ~15%), plus
    # omission_evidence * the sentence's best kNN margin against the other side.
    omission_offset: float = -0.132
    omission_scale: float = 0.06
    omission_evidence: float = 0.5
    # ... the best margin among counterparts not already claimed by another sentence's mutual best
    # match of at least claim_margin: a sentence whose best counterpart is a clear match of its
    # neighbour is an omission beside that link, not a part of it (FLORES's merges put it in a 1-2
    # unit, whose composed block is more similar than the link alone). FLORES dev parallel mean /
    # worst 0.971 / 0.942 -> 0.974 / 0.945, each merge-1to4-both +0.002..+0.015; MAC-Dev 0.901 /
    # 0.908 -> 0.901 / 0.909. At 0.03 / 0.07 / 0.1: FLORES dev ar-bg merge 0.949 / 0.948 / 0.942,
    # MAC-Dev with zh .trans 0.908 / 0.910 / 0.908; any mutual best match claiming: 0.947, 0.898.
    claim_margin: float = 0.05
    # ... and where it omits very much, a unit also earns knn_weight x its kNN margin (beside the
    # local margin of unit_reward's comment), in full from an omission rate of knn_rate_full, not
    # at all up to knn_rate_none. The local margin takes off the similarity of the sentences just
    # outside a unit; where those are left-over sentences of the same story, it favours a unit
    # that takes one in (FLORES devtest ar-bg, a 1-2 unit of a link and the next, left-over line:
    # local margin 0.177 against the link's 0.167; kNN margins 0.085 against 0.099) and links two
    # left-over sentences whose own neighbours are unrelated. The kNN margin compares a block with
    # its nearest blocks of the same shape anywhere. Added everywhere at 0.25 / 0.5 / 1, it cost
    # MAC-Dev without English 0.879 -> 0.878 / 0.844 / 0.699 (RESULTS.md, "Tried in the evening of
    # 2026-12-03"); FLORES's 30% deletions omit 20-25% at the first pass, its merge
    # recipes 4-13%, MAC-Dev's novels 1-5%. FLORES dev, rows' summed strict F1 (parallel;
    # comparable unchanged), weight 0.5 / 1 / 2 from 0.13 / 0.18: +0.019 / +0.021 / +0.021 (at 1
    # every del30 row up, none down, worst 0.960 -> 0.964; at 2 one down, worst 0.961); from 0.05 /
    # 0.10 the merge rows fall (ar-bg merge-1to4-both -0.002 to -0.005). Devtest at 1: +0.022, the
    # six del30 rows up, none down. The comparable aligner's passages the same, at the rate a first
    # pass over them omits (comparable.passages_omitted_share): FLORES dev comparable +0.047 (the
    # six shuffle-del30 rows up, bg-en shuffle-del10-merge4 -0.002); at its fixed 0.3 instead,
    # +0.021 (every shuffle-del10-merge4 row down, up to -0.012).
    knn_weight: float = 1.0
    knn_rate_none: float = 0.13
    knn_rate_full: float = 0.18
    # ... and in short documents (news-article lengths), x short_knn_weight, in full from short_full
    # sentences a side down, not at all from scorer.FULL_POOL (40) up (costs.short_share): among a
    # few dozen sentences the local margin, as where much is omitted, favours taking in a neighbour.
    # Chosen on FLORES dev documents of 8-30 sentences by refitting the final pass's weights at once
    # (RESULTS.md, "Short documents: units earn their kNN margins too"): of ten unit features only
    # this one and the unit reward moved; this alone, full from 25: dev parallel rows +0.036 summed
    short_knn_weight: float = 0.6
    short_full: int = 25
    # ... never below this: where the rate is high (rewrites, 30% deletions) omitting may earn a
    # little, never enough to leave a clear 1-1 link unmade
    omission_floor: float = -0.02
    # ... except in a passage one side leaves out (an abridged translation, a paragraph of one
    # outlet's only): sentences the first pass omits omission_run or more in a row on their side pay
    # the evidence alone (a passage that matches nothing is its own evidence), not the cost the
    # rate sets, which made a text that omits little absorb the passage into the units beside it
    # (MAC-Dev with 10 English lines cut from each chapter: 8 sentences left unaligned against
    # gold's 46, Chinese 1-6 units). FLORES dev, a passage of 10 units cut from the target or 5 from
    # each side (--recipes passage): rows' summed strict F1 +0.092 (12 up, none down), worst 0.979
    # -> 0.989; the six recipes tuned on +0.001, documents of 8-30 and the extra recipes unchanged;
    # MAC-Dev 0.925 / 0.924 unchanged; the seed ja-fr rewrite against hand gold 0.539 -> 0.529 (it
    # leaves out passages too, as a rewrite). At 2: the six recipes +0.004, but MAC-Dev 0.921 (11 sentences
    # unaligned against gold's 6); at 4: the passage rows +0.088; half the rate's cost paid in a
    # run: +0.075 (RESULTS.md, "A passage left out").
    omission_run: int = 3
    # Where the first pass omits much, two left-over sentences side by side are likely both
    # omissions, not a link: a unit holding no mutual best match whose kNN margin is below
    # weak_link_margin loses weak_link_weight x the shortfall, in full from an omission rate of
    # weak_link_rate_full, not at all up to weak_link_rate_none (MAC-Dev's novels: 1-7%, where a
    # weak margin is a hard link, not an orphan). FLORES dev, all pairs: parallel worst 0.920 ->
    # 0.930, comparable worst 0.904 -> 0.921; MAC-Dev unchanged. Units with a mutual best match are
    # exempt: the seed ja-fr rewrite (20% omitted) lost 6 of its 18 links without that.
    weak_link_weight: float = 2.0
    weak_link_margin: float = 0.02
    weak_link_rate_none: float = 0.08
    weak_link_rate_full: float = 0.12
    # ... and where it omits much, a unit loses edge_fit_weight x how far below 0 the margin of a
    # sentence at one end of a side falls against the other side's block (much_omitted_costs: a
    # sentence next to a link whose counterpart was left out joins it, as the block of the two
    # scores higher than the link alone). The seed ja-fr rewrite against hand gold 0.481 -> 0.529;
    # FLORES dev parallel mean / worst 0.974 / 0.945 -> 0.974 / 0.946, comparable 0.950 / 0.921 ->
    # 0.951 / 0.924; MAC-Dev unchanged (its rates are below weak_link_rate_none). At 1.0: parallel
    # 0.975 / 0.946, but ar-en shuffle-del10-merge4 0.942 -> 0.930 (merged parts match weakly).
    edge_fit_weight: float = 0.5
    # A sentence's knn nearest neighbours among few candidates are less alike than among many, so
    # every kNN margin of a short document runs high (~0.02 on documents of 10-20 sentences;
    # RESULTS.md, "Short documents") and so omitting there seems costlier, and weak links and
    # misfit edges cheaper, than in a long one. The three omission costs above (not the matches,
    # which seed comparable passages: the full offset there cost comparable rows 0.15) take
    # small_pool_offset x log(FULL_POOL / candidates) off the margins they read, averaged over the
    # two sides, where a side has fewer than FULL_POOL sentences. FLORES dev, documents of 8-30
    # sentences, rows' summed strict F1 (parallel / comparable): 0.01: +0.046 / +0.020; 0.015:
    # +0.047 / +0.052 (21 rows up, 8 down: del30 up to +0.011, merge rows down to -0.007); 0.025:
    # +0.026 / +0.070; 0.04: -0.042 / +0.015. Documents of 40-200: one row -0.002; MAC-Dev and the
    # seed ja-fr rewrite unchanged.
    small_pool_offset: float = 0.015
    omission_percentile: float = 20.0  # auto: margins above this percentile count as support
    lexical_weight: float = 0.1  # TF-IDF overlap of the two English sides, beside the embeddings
    # ... and of the originals where they share a script and not both have English: names, numbers
    # and cognates (FLORES dev fr-en, six recipes: parallel mean / worst 0.971 / 0.955 -> 0.975 /
    # 0.958, comparable 0.960 / 0.956 -> 0.965 / 0.959; at 0.05 / 0.2: 0.973 / 0.976 parallel mean;
    # pairs of two scripts gain nothing from it: all five FLORES ones identical with it). Also where
    # a side quotes English sentences (Side.quotes_english: the English tweets in the Bulgarian seed
    # article share names with the French one; seed facts 20 -> 21 of 28). Not for any two scripts:
    # FLORES dev +0.007 summed, but MAC-Dev 0.925 -> 0.924 (chapter 006: COBE, WMAP, 3K on both sides)
    shared_script_weight: float = 0.1
    # Word translations learned from this pair's own clear mutual best matches (lexicon.py), beside
    # the embeddings, with or without English. MAC-Dev 0.879 -> 0.883 embeddings only, 0.901 ->
    # 0.906 with zh .trans; FLORES dev parallel 0.965 / 0.930 -> 0.966 / 0.933 (mean / worst),
    # comparable 0.944 / 0.920 -> 0.947 / 0.921. At 0.02 / 0.05 / 0.1: MAC-Dev 0.881 / 0.904, 0.882 /
    # 0.906, 0.876 / 0.894 (a novel's loose translation teaches a noisier table than FLORES's).
    lexicon_weight: float = 0.03
    # Without English, each side's vectors are also compared carried into the other's space by a map
    # fitted on the pair's mutual best matches (space_map.py), ridge-regressed towards the identity
    # with this weight (0: no map). MAC-Dev without English 0.913 -> 0.917 (either document first);
    # FLORES dev parallel mean / worst 0.976 / 0.946 -> 0.978 / 0.949, devtest 0.973 / 0.937 ->
    # 0.976 / 0.940. Ridge 0.3 / 0.5 / 2 / 4: MAC-Dev 0.907 / 0.913 / 0.915 / 0.917. With English on
    # both sides a map of the originals cost MAC-Dev with zh .trans 0.923 -> 0.915-0.920: none there.
    space_map_ridge: float = 1.0
    # Blocks of up to joined_size sentences a side are also scored by the embedding of their joined
    # text (Vecalign's overlap embeddings), at joined_share of the originals' weight, the composed
    # block vectors keeping the rest. A composed block barely loses similarity when it takes in an
    # unrelated neighbour of the same story; the joined text's embedding does (FLORES dev, a line
    # against its translation with and without the next line joined: the block scores higher for
    # 42% of ar-bg lines with composed vectors, 2% with joined texts). Told apart from true 2-1
    # merges, 1 - AUC falls from 0.013 / 0.018 (ar-bg / ja-fr, composed) to 0.006 / 0.010 (the two
    # halves summed). Embedded only for the blocks holding a sentence a first pass leaves in doubt
    # near a unit it made other than 1-1 (doubtful_sentences, joined_reach). MAC-Dev without English 0.917 -> 0.922 (shares 0.4 / 0.6: 0.920 /
    # 0.921; sizes 2 / 3 with every block embedded: 0.918 / 0.917), with zh .trans 0.923 (the same);
    # FLORES dev parallel mean 0.978 -> 0.980, comparable 0.954 -> 0.957, 23 of 36 rows up, 3 down.
    joined_share: float = 0.5
    joined_size: int = 4
    # ... and where a first pass omits much, up to joined_share_omitted: none of it up to an
    # omission rate of joined_rate_none, all from joined_rate_full. Where many sentences have no
    # counterpart, a link that took in a left-over neighbour is the likely error, and the joined
    # text's cosine shows it where the composed vector's hardly moves; a translation that omits
    # little (MAC-Dev's novels: 1-5% omitted by the first pass) keeps the equal share that suits
    # its loose renderings. FLORES dev, rows' summed strict F1 (parallel; comparable unchanged)
    # from 0.05 / 0.10: +0.031 (10 rows up, 1 down; ar-bg merge-1to4-both 0.968 -> 0.977), from the
    # weak-link cost's 0.08 / 0.12: +0.017 (6 up, 1 down); MAC-Dev unchanged.
    joined_share_omitted: float = 1.0
    joined_rate_none: float = 0.05
    joined_rate_full: float = 0.10
    # Where a side with no English attached has a dictionary (dictionary.py: CC-CEDICT for Chinese,
    # JMdict for Japanese) and the other has English words (it is English, has English attached, has
    # a dictionary too, or is written in Latin letters: its names and the words it shares with
    # English, dictionary.cognate_words): its words glossed into English, against the other side's,
    # weighted by the dictionary's own weight (Dictionary.weight) times this factor (0: none). MAC-Dev
    # embeddings only 0.883 -> 0.897 (either document first; 0.913 with CC-CEDICT's weight at 0.2,
    # dictionary.cc_cedict; this factor at 2.0: ja-fr merge-1to4-both -0.006). FLORES devtest ja-fr with the French
    # side's English attached, CC-CEDICT for the kanji: parallel mean / worst 0.956 / 0.937 -> 0.959 /
    # 0.940, comparable 0.943 / 0.935 -> 0.954 / 0.947.
    dictionary_scale: float = 1.0
    # A unit of which one side ends by closing a quotation and the other does not loses this:
    # translators keep dialogue turns (punctuation as an alignment criterion: Chuang & Yeh 2005).
    # Only where both documents close quotations at all (Wang Anyi's dialogue has none). MAC-Dev
    # 0.869 -> 0.886 without English, 0.889 -> 0.899 with; a like penalty for question vs
    # statement endings was tried and dropped (+0.003 on dialogue, -0.014 on a chapter without).
    quote_weight: float = 0.015
    # ... and one of which one side ends inside a quotation and the other outside (a reply split
    # over several English sentences ends where the Chinese one closes; an English "'...,' said
    # X." ends outside as the Chinese "X道：“...”" does, though only one closes a quotation).
    # MAC-Dev 0.901 / 0.909 -> 0.904 / 0.911 (without / with zh .trans, either document first; at
    # 0.01 / 0.02 / 0.03: 0.903 / 0.908, 0.901 / 0.911, 0.896 / 0.906); FLORES dev parallel as before,
    # two comparable rows -0.002 (deletions and shuffles cut quotations).
    inside_quote_weight: float = 0.015
    # ... and a unit of which one side holds a quotation and the other none loses this: a line of
    # dialogue and the narration beside it are separate units in both (the short reply "'On guard!'"
    # joined the narration after it). MAC-Dev 0.897 -> 0.901 without English, 0.906 -> 0.908 with,
    # either document first (0.015 / 0.02 / 0.03 / 0.05: 0.900 / 0.900 / 0.901 / 0.893 without English);
    # FLORES dev parallel mean / worst 0.969 / 0.933 -> 0.970 / 0.936, comparable 0.949 / 0.921 as before.
    dialogue_weight: float = 0.025
    # A unit's first sentence on one side should match the opening clause of the other side's first
    # sentence at least as well as the sentence just before the unit does; its last sentence, the
    # closing clause of the other side's last sentence, as well as the sentence just after. Each
    # shortfall costs clause_weight x the difference (clause_shortfalls). Where a translator splits
    # a sentence, the boundary falls where the clauses say: "Okay, that's done." opens the unit of
    # "好了，从现在起……", not closes the one before. MAC-Dev without / with zh .trans 0.904 / 0.911 ->
    # 0.907 / 0.923 (English first 0.907 / 0.923); at 0.1 / 0.2 / 0.3: 0.906 / 0.9195, 0.907 / 0.922,
    # 0.901 / 0.924. Charging and rewarding alike (signed differences) at 0.05 / 0.1 / 0.2: 0.909 /
    # 0.918, 0.909 / 0.917, 0.906 / 0.916. FLORES dev parallel mean 0.974 -> 0.976; devtest parallel
    # mean / worst 0.971 / 0.924 -> 0.973 / 0.937. The embedder's extra work: the edge clauses of the
    # sentences a first pass leaves in doubt (doubtful_sentences), those of at most CLAUSE_SHARE of
    # their sentence; cached like sentences. align-all on 1,000 generated articles 1.77x -> 1.30x
    # the time without the rule (benchmarks/RESULTS.md).
    clause_weight: float = 0.15
    match_threshold: float = 0.01  # comparable mode: margin of the matches that seed passages
    # Comparable mode: matches at most run_step sentences apart on both sides are one passage, which
    # takes in up to run_reach unmatched sentences either side; omissions priced as if 30% of the
    # sentences had no counterpart (0.3 and 0.6 alike on FLORES dev: the cost floor decides).
    run_step: int = 4
    run_reach: int = 3
    comparable_omission_rate: float = 0.3
    english_weight: float = 0.5  # weight of the English-side similarity when both sides have one
    anchor_weight: float = 0.03
    strong_match: float = 0.03  # auto: margin of the matches whose order decides the mode
    monotonic_ratio: float = 0.8  # auto: share of strong matches in order that settles "parallel"
    # auto: the strong matches it takes for their order to settle "parallel" with no comparison. A
    # short report that moves one passage (its lead from the end to the top) keeps 80% of its few
    # strong matches in order: 91 of FLORES dev's 582 shuffled documents of 8-30 sentences did. With
    # fewer, both aligners run and their support decides. FLORES dev 8-30, comparable rows' summed
    # strict F1 +0.020 / +0.047 / +0.047 at 15 / 30 / 60, parallel rows unchanged; 40-200: no document's
    # units change (MAC-Dev's chapters have 63-192)
    order_evidence: int = 30
    # auto, where the strong matches are too few or look reordered: both aligners run, and comparable
    # is kept only with this many times the parallel result's support. FLORES-200 dev (three pairs x
    # six recipes): comparable / parallel support <= 1.10 on every parallel document, >= 1.52 on
    # every shuffled one; MAC-Dev's chapters <= 0.97. A few spurious strong matches out of order (a
    # small model on literary text) must not turn a translation into comparable reports.
    comparable_support: float = 1.25
    # ... and this many where the parallel result breaks a mutual best match of margin >= moved_match
    # (does not link its two sentences to each other: a translation keeps its clearest pairs, while a
    # passage another report moved is left out or taken into units with others by the monotonic DP).
    # The same test runs where many strong matches in order settled "parallel" (a long report that
    # moved its lead to the top). FLORES dev 8-30, shuffled documents' mean strict F1 0.927 -> 0.937
    # at 1.1 / 0.05 (2 of 1,196 documents of the parallel recipes then taken as comparable; at 1.0 /
    # 0.03: 29). The seed ja-fr rewrite (comparable 1.19x, parallel right) breaks one match of
    # 0.03-0.05, none above; MAC-Dev's chapters break 0-1 (support 0.54-0.94x: still parallel).
    moved_support: float = 1.1
    moved_match: float = 0.05
    # logistic calibration of margin -> confidence, fitted on the 24,519 linked units of FLORES-200
    # dev's six perturbation recipes (2026-12-05, after joined blocks; benchmarks/alignment_eval.py
    # prints the refit and the expected calibration error). Held out: devtest 0.0043 (0.0168 with
    # the fit before, 0.004 / 0.012); MAC-Dev 0.157 (0.167): literary translations' margins are
    # lower throughout, so their confidences say less than the links deserve (RESULTS.md)
    confidence_center: float = -0.0001
    confidence_scale: float = 0.0173
    # ... and for the units of an alignment, shifted by the share of the context_reach units either
    # side that are links too: + context_weight x (share - 1) + context_bonus on the logit
    # (scorer.confidences_in_context), fitted on the same units with the margin's curve above held
    # (2026-12-06, night; RESULTS.md, "Confidences read in context"). Expected calibration error,
    # margin only -> in context: FLORES devtest 0.0063 -> 0.0046, MAC-Dev 0.153 -> 0.072, the seed ja-fr
    # rewrite 0.279 -> 0.265 (mean 0.813 -> 0.517 where 53% are right). Reach 3 / 8: MAC-Dev 0.078 /
    # 0.062, the rewrite's mean 0.590 / 0.469: FLORES dev's log-loss falls as the reach grows
    # towards the document's whole omission rate, which under-rates a rewrite's few links
    context_reach: int = 5
    context_weight: float = 3.67
    context_bonus: float = 0.86

    def signature(self) -> dict:
        """The parameters and the aligner's REVISION: what an alignment was made with."""
        return {"revision": REVISION, **asdict(self)}


@dataclass
class Side:
    """One document's content sentences, ready to align."""
    texts: list[str]
    lang: str
    english: list[str | None]

    @property
    def quotes_english(self) -> bool:
        """Whether this side, in another language, holds sentences in English (the English tweets a
        Bulgarian article quotes): those that are their own English (compare.document_side)."""
        return self.lang != "en" and any(e == t for t, e in zip(self.texts, self.english))

    @property
    def separator(self) -> str:
        """What joins two sentences of this language into one passage."""
        return "" if self.lang in NO_SPACE_LANGS else " "


@dataclass
class Alignment:
    units: list[AlignedUnit]  # positions are indices into Side.texts
    mode: str
    monotonicity: float
    used_english: bool = False  # both sides' English translations were part of the score
    mode_reason: str = ""  # why auto mode chose this mode, in words
    dictionary: str = ""  # the dictionary whose glosses were part of the score (dictionary.py)
