"""Hard-wrapped text: do a text's sentences come out whole when its paragraphs are wrapped at a width?

Each FLORES-200 article (the lines of one URL in metadata_<split>.tsv) becomes a paragraph, and a
run of articles a document, in English, French, Bulgarian, Arabic and Japanese. The reference is
the document with one paragraph a line, as scraped news comes. Each layout wraps the same paragraphs
(greedily, at 60, 80 and 100 characters; Japanese at 30, 40 and 50, cut anywhere):

  blank       paragraphs parted by blank lines (e-mail, Project Gutenberg)
  no-blank    no blank line between paragraphs (text copied out of a PDF)
  headed      no blank line, and a heading line without a full stop above each paragraph
  hyphenated  no blank line, a long word that does not fit broken at the line's end with a hyphen
              (English, French and Bulgarian: Arabic print stretches its lines instead)
  pdf         hyphenated, and each line's width drawn within 10% of the width (proportional type)

Score: the sentences, as a model reads them (segment.as_read, spaces collapsed), that match the
reference's, as F1 over each layout's documents; beside it the baseline of reading every line as a
paragraph (what the segmenter did before it knew wrapped text), measured in the same run. Control
rows: the reference texts and FLORES's own one-sentence-a-line files must not be taken as wrapped.

  python benchmarks/wrapped_text.py --split dev
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from alignment_eval import CODES, documents, flores_dir, load  # noqa: E402  (beside this file)

from workbench.segment import as_read, hard_wrapped, segment, split_line  # noqa: E402

LAYOUTS = ["blank", "no-blank", "headed", "hyphenated", "pdf"]
WIDTHS = (60, 80, 100)
CJK_WIDTHS = (30, 40, 50)
HEADING_WORDS = 4  # a heading: the paragraph's first words, no full stop
HEADING_CHARACTERS = 10  # ... in Japanese, its first characters
BROKEN_WORD_MIN = 3  # letters either side of a hyphen that breaks a word
HYPHENATED = {"en", "fr", "bg"}  # Arabic print stretches its lines rather than break words


def wrap(paragraph: str, width: int, rng: random.Random, hyphenate: bool, jitter: float) -> list[str]:
    """Greedy wrapping at ``width`` (drawn within ``jitter`` of it line by line); a word that does
    not fit is broken with a hyphen where ``hyphenate`` and both halves keep BROKEN_WORD_MIN letters."""
    def limit() -> int:
        return round(width * rng.uniform(1 - jitter, 1 + jitter))

    lines: list[str] = []
    line, room = "", limit()
    for word in paragraph.split():
        joined = f"{line} {word}" if line else word
        if len(joined) <= room:
            line = joined
            continue
        head = room - len(line) - 2  # the space before the word and the hyphen after its head
        if hyphenate and line and word.isalpha() and head >= BROKEN_WORD_MIN and len(word) - head >= BROKEN_WORD_MIN:
            lines.append(f"{line} {word[:head]}-")
            line, room = word[head:], limit()
            continue
        if line:
            lines.append(line)
        line, room = word, limit()
    return lines + [line] if line else lines


def cut(paragraph: str, width: int) -> list[str]:
    """Japanese wrapped as it is typeset: at the width, anywhere in a word."""
    return [paragraph[k:k + width] for k in range(0, len(paragraph), width)]


def heading(paragraph: str, lang: str) -> str:
    if lang == "ja":
        return paragraph[:HEADING_CHARACTERS].rstrip("。、")
    return " ".join(paragraph.split()[:HEADING_WORDS]).rstrip(".,;:!?")


def as_words(texts: list[str]) -> Counter:
    return Counter(" ".join(as_read(text).split()) for text in texts)


def f1(found: Counter, reference: Counter) -> tuple[int, int, int]:
    return sum((found & reference).values()), sum(found.values()), sum(reference.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "devtest"], default="dev")
    parser.add_argument("--flores", help="FLORES-200 folder (default: ../shared/data/flores200)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.time()
    lines, articles = load(flores_dir(args.flores), args.split)
    docs = documents(articles, random.Random(args.seed), size=(20, 60))
    print(f"# Hard-wrapped text, FLORES-200 {args.split}: {len(docs)} documents a language, "
          f"widths {WIDTHS} (ja {CJK_WIDTHS}), seed {args.seed}\n")
    print("| lang | layout | detected as wrapped | sentence F1 | read line by line (baseline) |")
    print("| --- | --- | ---: | ---: | ---: |")
    controls: Counter = Counter()
    for lang in CODES:
        controls["one sentence a line"] += hard_wrapped("\n".join(lines[lang]) + "\n")
        for layout in LAYOUTS:
            counts, baseline, detected, cases = [0, 0, 0], [0, 0, 0], 0, 0
            for number, doc in enumerate(docs):
                rng = random.Random(f"{args.seed}-{lang}-{layout}-{number}")
                paragraphs = [("" if lang == "ja" else " ").join(lines[lang][i] for i in article) for article in doc]
                heads = [heading(p, lang) for p in paragraphs] if layout == "headed" else []
                plain = "\n".join(line for pair in zip(heads, paragraphs) for line in pair) if heads \
                    else "\n".join(paragraphs)
                controls["one paragraph a line"] += hard_wrapped(plain)
                reference = as_words([s.text for s in segment(plain, lang)])
                for width in CJK_WIDTHS if lang == "ja" else WIDTHS:
                    wrapped_paragraphs = [
                        "\n".join(cut(p, width) if lang == "ja" else
                                  wrap(p, width, rng, layout in ("hyphenated", "pdf") and lang in HYPHENATED,
                                       0.1 if layout == "pdf" else 0))
                        for p in paragraphs]
                    if heads:
                        wrapped_paragraphs = [f"{h}\n{p}" for h, p in zip(heads, wrapped_paragraphs)]
                    text = ("\n\n" if layout == "blank" else "\n").join(wrapped_paragraphs) + "\n"
                    detected += hard_wrapped(text)
                    cases += 1
                    found = f1(as_words([s.text for s in segment(text, lang)]), reference)
                    by_line = f1(as_words([line[a:b] for line in text.splitlines() for a, b in split_line(line, lang)]),
                                 reference)
                    counts = [x + y for x, y in zip(counts, found)]
                    baseline = [x + y for x, y in zip(baseline, by_line)]
            score, base = (2 * c[0] / (c[1] + c[2]) for c in (counts, baseline))
            print(f"| {lang} | {layout} | {detected}/{cases} | {score:.3f} | {base:.3f} |")
    print(f"\nControls taken as wrapped (should be 0): one paragraph a line {controls['one paragraph a line']} "
          f"texts, FLORES's one-sentence-a-line files {controls['one sentence a line']} of {len(CODES)}.")
    print(f"{time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
