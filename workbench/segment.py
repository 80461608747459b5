"""Split a decoded text into sentences with exact character spans, language and boilerplate marks.

Each non-empty line is a paragraph (scraped news puts one paragraph per line); sentences never
cross a line break, but in a hard-wrapped text (hard_wrapped), where paragraphs end at blank lines
and at lines the next word would have fitted after (_paragraphs), and models read the sentence as it
was before it was wrapped (as_read).
pysbd splits each paragraph for the document's language; its output is located in the text again
so that ``text[start:end] == sentence.text`` always holds.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import pysbd
from pysbd.languages import LANGUAGE_CODES

from . import boilerplate
from .language import sentence_languages
from .records import Sentence

FALLBACK_SEGMENTER_LANG = "en"  # pysbd's English rules handle ". ! ?" scripts reasonably
_LINE = re.compile(r"[^\r\n]+")
# A paragraph of a hard-wrapped text (a PDF's or an e-mail's lines, Project Gutenberg): lines up to a
# blank line
_BLOCK = re.compile(r"[^\r\n]+(?:\r?\n[^\S\r\n]*[^\s][^\r\n]*)*")
# Hard wrapping shows in the lines followed by another line of their paragraph: most end inside a
# sentence, they run to about one width (wrapped at 60-80 characters, PDF lines up to ~100), where
# one paragraph a line (scraped news) ends at a sentence end, however long, and most are full: the
# next line's first word would not have fitted after them (a subtitle's cue number and time are not)
WRAPPED_OPEN_SHARE = 0.5
# A line that ends on a clause's end is not open either: a novel one sentence a line ends lines at
# semicolons, colons and dashes too (MAC-Dev's Chinese: "...不规则地闪烁着；", "...另外一些东西：", "——")
_CLAUSE_ENDS = (";", ":", "\uff1b", "\uff1a", "\u061b", "\u2014", "\u2015")
WRAPPED_MEDIAN = (25, 110)
WRAPPED_FULL_SHARE = 0.5
# A line is full when it, a space and the next word reach this share of the text's width (its 95th
# percentile line length): lines set in proportional type (PDF) hold ~10% more or fewer characters
FULL_WIDTH = 0.85
# Lines of verse, a list or a table can be full too, but they start anew: where a script has case,
# many lines of wrapped prose go on in lower case (English and French ~70%, German ~50%); where it has
# none, they go on with a letter, not a digit (a table's rows, a subtitle's times)
WRAPPED_LOWER_SHARE = 0.3
# An embedded tweet's link and attribution is never part of the sentence before it,
# even when that sentence ends without punctuation ("... critical areas… pic.twitter.com/x").
# A sentence does not end on a comma or a colon (pysbd's Arabic rules end sentences at the Arabic
# comma and at the colon of "وقال:" before a quotation).
_CONTINUES = (",", "\u060c", "\u3001", ":", "\uff1a")  # Latin, Arabic and ideographic commas, colons
# Quotation marks and brackets: each closer with the openers it closes. "\u201c" closes "\u201e" in
# Bulgarian, German, Russian (\u201e...\u201c) and opens in English and Chinese (\u201c...\u201d);
# German novels write guillemets the other way round (\u00bb...\u00ab, \u203a...\u2039) from French and
# Swiss texts (\u00ab...\u00bb): each closes the other where the other is open (_closes_open_quote).
_CLOSERS = {"\u201d": "\u201c\u201e", "\u201c": "\u201e", "\u2019": "\u2018\u201a", "\u00bb": "\u00ab",
            "\u00ab": "\u00bb", "\u300d": "\u300c", "\u300f": "\u300e", "\u203a": "\u2039", "\u2039": "\u203a",
            ")": "(", "\uff09": "\uff08", "]": "["}
_TERMINALS = (".", "!", "?", "\u2026", "\u3002", "\uff01", "\uff1f", "\u061f", "\u06d4", '"', "\u00bb", "\u00ab",
              "\u201d", ")")
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f\u061f\u06d4][\"\u00bb\u00ab\u201d)]*\s*")
WINDOW = 2000
# Where pysbd takes an abbreviation for a sentence end (found in FLORES-200 dev and devtest, whose lines
# hold one or two sentences: "Roe v. Wade", "Six Flags St. Louis", "le Dr. Damadian", "Джон Ф. Кенеди",
# "„Св. Петър“", "اكتشف د. توني مول", "avant J.-C.", "Hale Jr., a dit", "ピケJr.は"):
# a title before a name, ...
_TITLES = frozenset({"Dr", "St", "Ste", "Mr", "Mrs", "Ms", "Mme", "Mlle", "MM", "Prof", "Gen", "Mt", "Hr", "Hrn",
                     "Frl", "Св", "Проф", "Ген", "Акад",
                     # ... or a word no sentence ends with: "cf. | Section 4", "In Proc. | ACL", "Vgl.
                     # Jahrb. | S.A.C.", "Jos. | Imboden" (given names abbreviated in alpine club reports)
                     "cf", "vs", "Proc", "Jahrb", "bzw", "bezw", "resp", "Jos", "Joh", "Friedr", "Heinr",
                     "Wilh", "ex"})  # "p. ex. | Dupont" (par exemple)
# ... an abbreviation that stands before a number: a month ("le 2 sept. 1950", "im Sept. 1951",
# "Jan. 2019"), a number, a page or a part of a paper ("Nr. 3", "Bd. 12", "vol. 2", "pp. 4-9", "Eq.
# 2", "Fig. 3"), about ("ca. 300 m", "env. 4000 m", "approx. 300"); only where the next piece opens
# with a digit
_BEFORE_NUMBER = frozenset({
    "Jan", "Feb", "Febr", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Okt", "Nov", "Dec", "Dez",
    "janv", "févr", "avr", "juil", "sept", "oct", "nov", "déc",
    "Nr", "No", "Bd", "Vol", "vol", "pp", "Abs", "Art", "Kap", "Jh", "Fig", "Figs", "Eq", "Eqs", "Tab", "Sec",
    "Sect", "Ch", "Chap", "ca", "env", "approx", "vgl", "Std", "Min",
    "Tel", "tel", "Tél", "tél", "Fax", "fax", "Anm", "Ziff",  # "Auskunft: Tel. | 027 783 14 38." was cut
    "Abb", "Taf", "pl", "Pt", "pt", "Fr"})  # "Siehe Abb. | 3", "bis Pt. | 2871", "kostete Fr. | 25000"
# A number in Roman numerals counts as a number after those: "Bd. | III", "Taf. | IV", "pl. | IV"
_NUMBER_START = re.compile(r"\d|\(\d|[IVXLC]+\b")
# (an apostrophe after a letter is no quotation mark: "Qiyao's. | Her" is no initial)
_LAST_WORD = re.compile(r"(?:^|[\s(\"\u201e\u201c\u00ab]|(?<![^\W\d_])')([^\W\d_]+)\.$")
# ... an initial: a capital, an Arabic letter (no case) or a Latin lower-case letter and a full stop,
# but not a Roman numeral ("World War I.") or a vowel that is a word ("Il y en a."); never Cyrillic
# lower case ("г." and "в.", year and century, end many sentences)
_NOT_INITIALS = set("IVX") | set("aeiouy")
# A letter after a number is a unit that ends the sentence, not an initial ("Le sommet culmine à
# 4 478 m. Nous y sommes arrivés.")
_UNIT_AFTER_NUMBER = re.compile(r"\d\s?[^\W\d_]\.$")
_ONLY_INITIALS = re.compile(r"(?:[^\W\d_]\.)+$")  # "J." of "J.-C." cut off on its own
# French given names as initials ("J.-J. | Weilenmann", "J.-P."), but not "J.-C." (Jésus-Christ), which
# ends many sentences ("en 52 av. J.-C.")
_HYPHENED_INITIALS = re.compile(r"(?:^|\s)[A-Z]\.-(?!C\.)[A-Z]\.$")
# ... a piece that opens with a comma or a joined hyphen ("-C.", not the dialogue dash "\u2013 Oui"), ...
_MID_SENTENCE = re.compile(r"[,;\u060c\u061b]|[-\u2010\u2011\u2013]\S")
# ... and a Latin abbreviation inside Chinese or Japanese, which end sentences with their own marks
_LATIN_STOP = re.compile(r"[A-Za-z]\.$")
_CJK_START = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# pysbd reads a number and a full stop as a list item's and starts a sentence there when two such
# follow in a line: German ordinals "Am | 2. und | 3. Juli", "Vom | 1. bis | 2. August"
_ORDINAL = re.compile(r"\d+\.(?!\d)")
_TWEET_LINK = re.compile(r"\s+(?=(?:https?://)?pic\.twitter\.com/)")
# pysbd never ends a sentence between two quotations ('"Wake up!" "What?"', "« Viens. » « Non », dit-elle",
# "„Wach auf!“ „Was?“"): a quotation that closes on a sentence end, and another that opens on a capital
_BETWEEN_QUOTATIONS = re.compile(r"[.!?\u2026][^\S\r\n]?[\"'\u201d\u201c\u2019\u00bb\u00ab](\s+)"
                                 r"[\"'\u201c\u201e\u2018\u00ab\u00bb][^\S\r\n]?([^\W\d_])")
# ... (in Chinese and Japanese with no space between: 「行こう！」「どこへ？」, “去吗？”“去。”), nor after a
# Japanese quotation that ends a sentence where no particle quotes it (「どこへ？」| 二人は, but
# 「行こう。」と彼は言った, 「…。」って, など, の, も)
_BETWEEN_CJK_QUOTATIONS = re.compile(r"[\u3002\uff01\uff1f\u2026][\u300d\u300f\u201d](\s*)[\u300c\u300e\u201c]([^\W\d_])")
_AFTER_JAPANESE_QUOTATION = re.compile(r"[\u3002\uff01\uff1f\u2026][\u300d\u300f](\s*)(?![\u3068\u3063\u306a\u306e\u3082])([^\W\d_])")
# ... nor after a capital letter that is no initial, before a word no surname is ("in Appendix A. | We",
# "Plan B. | Das")
_NO_SURNAME = frozenset({"The", "This", "These", "That", "Those", "We", "It", "They", "He", "She", "Our", "There",
                         "However", "Il", "Elle", "Ils", "Elles", "Nous", "Ce", "Cette", "Ces", "Cela", "Mais",
                         "Wir", "Es", "Er", "Sie", "Ich", "Das", "Die", "Der", "Dies", "Diese", "Dieser", "Dann",
                         "Man"})
_LETTER_BEFORE_NO_SURNAME = re.compile(r"(?<![\w.'\u2019])[A-Z]\.(\s+)(" + "|".join(sorted(_NO_SURNAME)) + r")\b")
# ... nor in German after a unit of length ("auf 4478 m. Wir", "auf 2495 m ü. M. Sie": a German noun
# after a unit takes no full stop, "4478 m Höhe")
_AFTER_UNIT = re.compile(r"\d[^\S\r\n]?(?:[kcm]?m(?:[^\S\r\n]ü\.[^\S\r\n]?M)?|kg)\.(\s+)([^\W\d_])")


def segmenter_language(lang: str) -> str:
    return lang if lang in LANGUAGE_CODES else FALLBACK_SEGMENTER_LANG


@functools.lru_cache(maxsize=None)
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=segmenter_language(lang), clean=False)


def _windows(line: str) -> list[tuple[int, int]]:
    """[start, end) windows of at most WINDOW characters covering ``line``.

    pysbd's time grows faster than linearly with the length of its input (a 200,000-character
    line without punctuation takes over 30 s), so long lines are cut, preferably after a
    sentence end, else at a space, else anywhere (scripts without spaces).
    """
    windows = []
    start = 0
    while len(line) - start > WINDOW:
        limit = start + WINDOW
        cut = max((m.end() for m in _SENTENCE_END.finditer(line, start + WINDOW // 2, limit)), default=-1)
        if cut < 0:
            cut = line.rfind(" ", start + WINDOW // 2, limit) + 1 or limit
        windows.append((start, cut))
        start = cut
    windows.append((start, len(line)))
    return windows


def _piece_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """pysbd's sentences of ``text`` (and tweet links split off) located in ``text``, whitespace trimmed."""
    spans = []
    cursor = 0
    pieces = [part for piece in _segmenter(lang).segment(text) for part in _TWEET_LINK.split(piece)]
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        start = text.find(piece, cursor)
        if start < 0:  # pysbd altered the text; fall back to the rest of the window
            rest = text[cursor:]
            if rest.strip():
                start = cursor + rest.index(rest.strip())
                spans.append((start, start + len(rest.strip())))
            break
        spans.append((start, start + len(piece)))
        cursor = start + len(piece)
    return spans


# For each closer, the marks that close what it closes (\u201d and \u201c both close \u201e), less its own openers
_RIVALS = {closer: [c for c, opens in _CLOSERS.items() if set(opens) & set(openers) and c not in openers]
           for closer, openers in _CLOSERS.items()}


def _closes_open_quote(previous: str, closer: str) -> bool:
    """Does ``closer`` (a closing mark) close a quotation or bracket ``previous`` left open (opened
    more often than closed)?"""
    if closer not in _CLOSERS:
        return False
    closed = sum(map(previous.count, _RIVALS[closer])) + previous.count(closer)
    return sum(map(previous.count, _CLOSERS[closer])) > closed


def _is_initial(letter: str) -> bool:
    if letter in _NOT_INITIALS:
        return False
    if letter.islower():  # Latin lower case: "v." (versus), "p." (page), "ü. M." (über Meer)
        return unicodedata.name(letter, "").startswith("LATIN")
    return letter.isupper() or "\u0600" <= letter <= "\u06ff"  # Arabic has no case: "د." (Dr.)


def _cut_at_abbreviation(previous: str, piece: str) -> bool:
    """Did pysbd end ``previous`` at an abbreviation, so that ``piece`` goes on with its sentence?"""
    last = _LAST_WORD.search(previous)
    if last and (last.group(1) in _TITLES or len(last.group(1)) == 1 and _is_initial(last.group(1))
                 and not _UNIT_AFTER_NUMBER.search(previous)
                 or last.group(1) in _BEFORE_NUMBER and _NUMBER_START.match(piece)):
        return True
    return bool(_ONLY_INITIALS.match(piece) or _MID_SENTENCE.match(piece) or _HYPHENED_INITIALS.search(previous)
                or _LATIN_STOP.search(previous) and _CJK_START.match(piece))


def goes_on(previous: str, piece: str) -> bool:
    """Is ``piece`` the rest of ``previous``'s sentence, though a full stop stands between them (an
    abbreviation, an initial, a first word in lower case)?"""
    words = piece.split(maxsplit=1)
    return bool(words and words[0].islower()) or _cut_at_abbreviation(previous, piece)


def split_line(line: str, lang: str) -> list[tuple[int, int]]:
    """[start, end) spans of the sentences in one line, whitespace trimmed.

    Two pieces are one sentence when the first ends with a comma or a colon, when a window cut
    fell inside a sentence, when the second has no letter or digit, when its first word is in
    lower case (pysbd took an abbreviation for a sentence end: "vers 5 h. du matin"), when the
    second opens with an ordinal and the first has no sentence end (_ORDINAL), or when the first
    ends with a title, an initial or an abbreviation before a number (_cut_at_abbreviation). A closing
    quotation mark or bracket that begins a piece belongs to the sentence that opened it (pysbd
    splits “你好。”他说。 after the full stop, before the quotation closes). A sentence is also cut
    where pysbd sees no end: between two quotations, after a German unit, after a capital that is no
    initial (_ends_pysbd_misses).
    """
    spans: list[tuple[int, int]] = []
    for window_start, window_end in _windows(line):
        pieces = [(window_start + a, window_start + b)
                  for a, b in _piece_spans(line[window_start:window_end], lang)]
        for number, (start, end) in enumerate(pieces):
            previous = line[spans[-1][0]:spans[-1][1]] if spans else ""
            while spans and start < end and _closes_open_quote(previous, line[start]):
                spans[-1] = (spans[-1][0], start + 1)
                previous = line[spans[-1][0]:spans[-1][1]]
                start += 1
                while start < end and line[start].isspace():
                    start += 1
            if start >= end:
                continue
            cut_inside = number == 0 and window_start > 0 and not previous.endswith(_TERMINALS)
            wordless = not any(ch.isalnum() for ch in line[start:end])  # "…", "\x07", "***"
            ordinal = not previous.endswith(_TERMINALS) and _ORDINAL.match(line, start)
            # goes_on: "vers 5 h. | du matin" (lower case), "le Dr. | Damadian" (a title)
            if spans and (previous.endswith(_CONTINUES) or cut_inside or wordless or ordinal
                          or goes_on(previous, line[start:end])):
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return [part for start, end in spans for part in _ends_pysbd_misses(line, start, end)]


def _ends_pysbd_misses(line: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence ``line[start:end]`` cut where pysbd sees no end: between two quotations
    (_BETWEEN_QUOTATIONS, _BETWEEN_CJK_QUOTATIONS), after a Japanese one (_AFTER_JAPANESE_QUOTATION),
    after a unit (_AFTER_UNIT) and after a letter that is no initial (_LETTER_BEFORE_NO_SURNAME),
    before a capital or a CJK character."""
    patterns = (_BETWEEN_QUOTATIONS, _BETWEEN_CJK_QUOTATIONS, _AFTER_JAPANESE_QUOTATION, _AFTER_UNIT,
                _LETTER_BEFORE_NO_SURNAME)
    gaps = sorted({found.span(1) for pattern in patterns for found in pattern.finditer(line, start, end)
                   if found.group(2)[0].isupper() or _is_wide(found.group(2)[0])})
    parts = []
    for gap_start, gap_end in gaps:
        parts.append((start, gap_start))
        start = gap_end
    return parts + [(start, end)]


@dataclass(frozen=True)
class SegmentOptions:
    """How a text becomes sentences. ``one_per_line``: the file is already split (as the
    benchmarks' files and most bitext are), each non-blank line is one sentence.
    ``keep_boilerplate``: mark nothing as web furniture."""
    one_per_line: bool = False
    keep_boilerplate: bool = False


def _is_wide(character: str) -> bool:
    return unicodedata.east_asian_width(character) in "WF"


def _first_word_length(line: str) -> int:
    """Characters up to the first space, or up to and with the first CJK character (CJK wraps at
    any character: "28歳の..." could have been cut after "28歳")."""
    word = line.split(maxsplit=1)[0]
    return next((k + 1 for k, character in enumerate(word) if _is_wide(character)), len(word))


def _is_full(line: str, next_line: str, width: float) -> bool:
    return len(line.rstrip()) + 1 + _first_word_length(next_line) >= FULL_WIDTH * width


def _width(lines: list[str]) -> float:
    lengths = sorted(len(line.rstrip()) for line in lines)
    return lengths[int(0.95 * (len(lengths) - 1))]


def _blocks(text: str) -> list[list[re.Match]]:
    """The lines of each run of non-blank lines."""
    blocks = [[line for line in _LINE.finditer(text, block.start(), block.end()) if line.group().strip()]
              for block in _BLOCK.finditer(text)]
    return [lines for lines in blocks if lines]


def hard_wrapped(text: str) -> bool:
    """Is ``text`` wrapped at a width, so that a line break is no paragraph's end (WRAPPED_OPEN_SHARE,
    WRAPPED_MEDIAN, WRAPPED_FULL_SHARE, WRAPPED_LOWER_SHARE)?"""
    blocks = [[line.group() for line in lines] for lines in _blocks(text)]
    followed = [(line, following) for lines in blocks for line, following in zip(lines, lines[1:])]
    if len(followed) < 3:
        return False
    inner = sorted((line.strip() for line, _ in followed), key=len)
    width = _width([line for lines in blocks for line in lines])
    open_share = sum(not line.endswith(_TERMINALS + _CLAUSE_ENDS) for line in inner) / len(inner)
    full_share = sum(_is_full(line, following, width) for line, following in followed) / len(followed)
    if not (open_share >= WRAPPED_OPEN_SHARE and WRAPPED_MEDIAN[0] <= len(inner[len(inner) // 2]) <= WRAPPED_MEDIAN[1]
            and full_share >= WRAPPED_FULL_SHARE):
        return False
    starts = [following.lstrip()[0] for _, following in followed]
    cased = [start for start in starts if start.islower() or start.isupper()]
    if len(cased) >= len(starts) / 2:
        return sum(start.islower() for start in cased) >= WRAPPED_LOWER_SHARE * len(cased)
    return sum(start.isalpha() for start in starts) >= len(starts) / 2


# A word a typesetter broke at a line's end with a hyphen ("Gipfel-\nbesteigung"), the rest in lower case;
# not a hyphen that stands for a word's other half ("Nord-\nund Südwand"), nor one before a French
# pronoun after its verb ("dit-\nil", "peut-\non"). Other hyphens of the language at a line's end are
# taken out too ("sud-\nouest" reads "sudouest"): telling them apart takes a dictionary.
_BROKEN_WORD = re.compile(r"(?<=[^\W\d_])[-\u2010][^\S\r\n]*\r?\n\s*(?=([^\W\d_]+))")
_SUSPENDED_BEFORE = frozenset({"und", "oder", "bzw", "sowie", "bis", "and", "or", "et", "ou", "и", "или"})
_PRONOUNS_AFTER_VERB = frozenset({"je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "ce", "t"})
_LINE_BREAK = re.compile(r"\s*[\r\n]\s*")


def _mend_broken_word(match: re.Match) -> str:
    rest = match.group(1)
    if rest in _SUSPENDED_BEFORE or not rest[0].islower():
        return match.group()
    return "-" if rest in _PRONOUNS_AFTER_VERB else ""


def as_read(sentence: str) -> str:
    """A sentence as a model should read it: a hard-wrapped sentence's words broken at a line's end
    whole again, its line breaks as spaces, soft hyphens gone (models' vocabularies know neither)."""
    if "\n" not in sentence and "\r" not in sentence and "\u00ad" not in sentence:
        return sentence
    mended = _BROKEN_WORD.sub(_mend_broken_word, sentence.replace("\u00ad", ""))
    letters = [ch for ch in mended if not ch.isspace()]
    wide_text = sum(_is_wide(ch) for ch in letters) > len(letters) / 2
    return _LINE_BREAK.sub(lambda match: _line_break_read(match, wide_text), mended)


def _line_break_read(match: re.Match, wide_text: bool) -> str:
    """A space, but nothing beside a character of a script written without spaces, nor, in such a
    text, where no space stands at the break (CJK lines break anywhere, inside "11時2|0分" too)."""
    text, start, end = match.string, match.start(), match.end()
    beside_wide = _is_wide(text[start - 1]) or _is_wide(text[end])  # a sentence is stripped: both exist
    bare = not match.group().strip("\r\n")
    return "" if beside_wide or wide_text and bare else " "


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _paragraphs(text: str, wrapped: bool) -> Iterator[tuple[int, int]]:
    """[start, end) of each paragraph: each non-blank line, or in a hard-wrapped text lines up to a
    blank line, a line the next line's first word would have fitted after (a paragraph's last line,
    a heading), or a sentence end before an indented line."""
    if not wrapped:
        yield from ((line.start(), line.end()) for line in _LINE.finditer(text) if line.group().strip())
        return
    blocks = _blocks(text)
    width = _width([line.group() for lines in blocks for line in lines])
    for lines in blocks:
        start = lines[0].start()
        for line, following in zip(lines, lines[1:]):
            text_line, next_line = line.group(), following.group()
            if not _is_full(text_line, next_line, width) or (
                    _indent(next_line) > _indent(text_line) and text_line.rstrip().endswith(_TERMINALS)):
                yield start, line.end()
                start = following.start()
        yield start, lines[-1].end()


def segment(text: str, doc_lang: str, options: SegmentOptions = SegmentOptions()) -> list[Sentence]:
    """The sentences of ``text``, each with its span: split within each line (each paragraph up to
    a blank line where the text is hard_wrapped), or each line one sentence (options.one_per_line)."""
    spans: list[tuple[int, int, int, bool]] = []  # start, end, paragraph, boilerplate
    previous_line: str | None = None
    in_comments = False
    wrapped = not options.one_per_line and hard_wrapped(text)
    for paragraph, (paragraph_start, paragraph_end) in enumerate(_paragraphs(text, wrapped)):
        line = text[paragraph_start:paragraph_end]
        if options.one_per_line:
            stripped = line.strip()
            pieces = [(line.index(stripped), line.index(stripped) + len(stripped))]
        else:  # a wrapped paragraph's line breaks read as spaces, offsets kept
            pieces = split_line(re.sub(r"[\r\n]", " ", line), doc_lang)
        repeated = boilerplate.repeats_title(line, previous_line, paragraph)
        in_comments = in_comments or boilerplate.is_comments_trailer(line)
        for start, end in pieces:
            marked = not options.keep_boilerplate and (
                repeated or in_comments or boilerplate.is_boilerplate_sentence(line[start:end]))
            spans.append((paragraph_start + start, paragraph_start + end, paragraph, marked))
        previous_line = line
    languages = sentence_languages([text[start:end] for start, end, _, _ in spans], doc_lang)
    return [
        Sentence(index=i, start=start, end=end, paragraph=paragraph, lang=lang,
                 text=text[start:end], boilerplate=marked)
        for i, ((start, end, paragraph, marked), lang) in enumerate(zip(spans, languages))
    ]
