"""Generate the hostile-input corpus: everything an analyst's scraper can hand the workbench.

    python tests/hostile/generate.py OUT [--models GOOD.argosmodel]

writes ``OUT/articles/`` (the folder to ingest), ``OUT/outside/`` (files the articles' symbolic
links point at, which must never be read) and, given a good package, ``OUT/models/`` with broken
.argosmodel files beside it. Nothing is checked in: every file is built here from the seed
articles, so the corpus is the same on every machine.

``build_corpus`` returns what the workbench must do with each file: ``Expect("ingested", lang)``
or ``Expect("skipped", reason)``, keyed by the path the workbench reports.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

SEED_CORPUS = Path(__file__).resolve().parents[2] / "workbench" / "samples" / "syria-2024-12"

AR = "ar-assad-forces-withdraw-daraa.txt"
JA = "ja-rebels-enter-damascus.txt"
FR = "fr-rebelles-damas-statue.txt"
BG = "bg-damask-obgraden.txt"

LONG_SENTENCE_WORDS = 5000
LONG_LINE_CHARS = 200_000
HUGE_FILE_MB = 50


@dataclass(frozen=True)
class Expect:
    outcome: str  # "ingested" or "skipped"
    detail: str = ""  # the language for ingested files, a substring of the reason for skipped ones
    note: str = ""  # what the file is, for reports


def seed(name: str) -> str:
    return (SEED_CORPUS / name).read_text(encoding="utf-8")


def legacy(name: str, encoding: str) -> bytes:
    """A seed article in a legacy encoding (characters the code page lacks are dropped first)."""
    return seed(name).encode(encoding, errors="ignore")


def french_words() -> list[str]:
    return [w.strip(".,;:!?«»()\"'’") for w in seed(FR).split() if w.strip(".,;:!?«»()\"'’").isalpha()]


def build_corpus(root: Path) -> dict[str, Expect]:
    articles, outside = root / "articles", root / "outside"
    articles.mkdir(parents=True)
    outside.mkdir()
    rng = random.Random(20241207)
    expect: dict[str, Expect] = {}

    def write(name: str, data: bytes | str, outcome: str, detail: str, note: str, shown_as: str | None = None):
        path = articles / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        expect[shown_as or name] = Expect(outcome, detail, note)

    # --- encodings that must decode to the right text ------------------------------------------
    write("enc/ar-windows-1256.txt", legacy(AR, "cp1256"), "ingested", "ar", "windows-1256 Arabic")
    write("enc/ja-shift-jis.txt", legacy(JA, "shift_jis"), "ingested", "ja", "Shift-JIS Japanese")
    write("enc/ja-euc-jp.txt", legacy(JA, "euc_jp"), "ingested", "ja", "EUC-JP Japanese")
    write("enc/bg-windows-1251.txt", legacy(BG, "cp1251"), "ingested", "bg", "windows-1251 Bulgarian")
    for name, lang in ((FR, "fr"), (AR, "ar"), (JA, "ja")):
        for codec, bom in (("utf_16_le", b"\xff\xfe"), ("utf_16_be", b"\xfe\xff")):
            body = seed(name).encode(codec)
            write(f"enc/{lang}-{codec}-bom.txt", bom + body, "ingested", lang, f"{codec} with BOM")
            write(f"enc/{lang}-{codec}-no-bom.txt", body, "ingested", lang, f"{codec} without BOM")
    write("enc/fr-utf8-bom.txt", b"\xef\xbb\xbf" + seed(FR).encode(), "ingested", "fr", "UTF-8 with BOM")
    body = seed(FR).encode()
    damaged = body[:400] + b"\xff\xfe" + body[400:900] + b"\x80" + body[900:1500] + "é".encode()[:1] + body[1500:]
    write("enc/fr-invalid-utf8.txt", damaged, "ingested", "fr", "invalid UTF-8 sequences mid-file")
    paragraphs = "".join(f"<p>{line}</p>" for line in seed(BG).splitlines() if line.strip())
    write("enc/bg-meta-says-latin1.html",
          f'<html><head><meta charset="iso-8859-1"><title>Дамаск</title></head><body>{paragraphs}</body></html>'
          .encode("utf-8"), "ingested", "bg", "UTF-8 page whose <meta> declares ISO-8859-1")
    paragraphs = "".join(f"<p>{line}</p>" for line in seed(AR).splitlines() if line.strip())
    write("enc/ar-meta-says-utf8.html",
          f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
          f"<body>{paragraphs}</body></html>".encode("cp1256", errors="ignore"),
          "ingested", "ar", "windows-1256 page whose <meta> declares UTF-8")

    # --- shapes of text ----------------------------------------------------------------------
    words = french_words()
    line = " ".join(rng.choice(words) for _ in range(LONG_LINE_CHARS // 4))[:LONG_LINE_CHARS]
    write("shape/fr-200k-line-no-punctuation.txt", line + "\n", "ingested", "fr",
          "a single 200,000-character line without punctuation")
    sentence = " ".join(rng.choice(words) for _ in range(LONG_SENTENCE_WORDS)) + " fin."
    write("shape/fr-5000-word-sentence.txt", "Début du rapport.\n" + sentence + "\nUne phrase après.\n",
          "ingested", "fr", "one sentence of 5,000 words between two short ones")
    # Real sentences with invisible characters inside, so that they align with other reports.
    fr_lines = [line for line in seed(FR).splitlines() if line.strip()]
    # Eight of them, so that some are linked in any mode auto chooses against any other report.
    controlled = list(fr_lines)
    for k in range(2, 10, 2):
        controlled[k] = controlled[k].replace(" ", " \x1b[1m", 1).replace(" ", "\u202e ", 2)
        controlled[k + 1] = "\u200b" + controlled[k + 1].replace(" ", "\x07 ", 1)
    write("shape/fr-article-with-controls.txt", "\n".join(controlled) + "\n", "ingested", "fr",
          "the French article with terminal escapes, bell, zero-width and bidi characters inside sentences")
    tricks = (f"{fr_lines[0]}\n"
              f"Le fichier \u202etxt.exe est arrivé par courriel\u202c avec un lien.\x07\n"
              f"Des\u200bespaces\u200binvisibles et un joint\u200dure dans la phrase\ufeff.\n"
              f"Une séquence \x1b[31mterminal\x1b[0m dans le texte, puis \x1b]0;titre\x07 fin.\n"
              f"L'isolat \u2067مرحبا\u2069 et l'enchâssement \u202bعربي\u202c restent lisibles.\n")
    write("shape/fr-control-and-bidi.txt", tricks, "ingested", "fr",
          "control characters, zero-width characters and bidi overrides (U+202E)")
    write("shape/digits-only.txt", "2024 12 07 — 121 — 2,000 … 45\n", "ingested", "und", "no words at all")

    # --- markup that must never run -------------------------------------------------------
    page = ("<!doctype html><html><head><title>Damas</title><style>body{background:url(javascript:alert(1))}"
            "</style><script>window.hacked=1</script></head><body onload=\"window.hacked=2\">"
            f"<h1 onclick=\"alert(3)\">{fr_lines[0]}</h1>"
            "<iframe src=\"javascript:alert(4)\" srcdoc=\"<script>alert(5)</script>\">iframe fallback</iframe>"
            "<object data=\"x.swf\">object fallback</object><embed src=\"x.swf\">"
            "<svg onload=\"alert(6)\"><text>svg text</text></svg>"
            + "".join(f"<p onmouseover=\"alert(7)\">{line}</p>" for line in fr_lines[1:])
            + "<a href=\"javascript:alert(8)\">lien</a><img src=x onerror=\"window.hacked=3\"></body></html>")
    write("markup/fr-scripts-iframes-handlers.html", page, "ingested", "fr",
          "HTML with scripts, styles, iframes, plug-ins, SVG and event handlers")
    markdown = ("# " + fr_lines[0] + "\n\n" + fr_lines[2] + "\n\n"
                "<script>window.hacked = 4</script>\n<img src=x onerror=\"window.hacked=5\">\n"
                "<iframe src=\"javascript:alert(9)\"></iframe>\n"
                "[cliquez](javascript:alert(10)) et **gras** <b onmouseover=alert(11)>survol</b>\n\n"
                + "\n\n".join(fr_lines[3:8]) + "\n")
    write("markup/fr-raw-html.md", markdown, "ingested", "fr", "Markdown with raw HTML")

    # --- file names -------------------------------------------------------------------------
    ja_text = seed(JA)
    names = {
        "names/with spaces in it.txt": "spaces",
        "names/日本語の記事.txt": "a Unicode name",
        "names/-rf.txt": "a leading dash",
        "names/--help.txt": "two leading dashes",
        "names/[red]markup[/red].txt": "console markup in the name",
        "names/..hidden-dots.txt": "leading dots",
    }
    for name, note in names.items():
        write(name, ja_text, "ingested", "ja", f"file name with {note}")
    write("names/line\nbreak.txt", ja_text, "ingested", "ja", "file name with a line break",
          shown_as="names/line\\nbreak.txt")
    write("names/esc\x1b[31mred.txt", ja_text, "ingested", "ja", "file name with a terminal escape",
          shown_as="names/esc\\x1b[31mred.txt")
    write("names/txt.\u202eexe.txt", ja_text, "ingested", "ja", "file name with a bidi override",
          shown_as="names/txt.\\u202eexe.txt")
    raw_name = os.fsdecode(b"names/latin1-\xe9t\xe9.txt")  # bytes that are not UTF-8
    write(raw_name, ja_text, "ingested", "ja", "file name that is not UTF-8", shown_as="names/latin1-\\xe9t\\xe9.txt")

    # --- files that must be refused, each with its reason -----------------------------------
    png = b"\x89PNG\r\n\x1a\n" + rng.randbytes(4000)
    write("bad/photo-renamed.txt", png, "skipped", "binary", "PNG image renamed .txt")
    write("bad/random-bytes.md", rng.randbytes(8192), "skipped", "binary", "random bytes")
    write("bad/archive.html", gzip.compress(seed(FR).encode()), "skipped", "binary", "gzip data named .html")
    write("bad/program.txt", b"\x7fELF\x02\x01\x01" + bytes(2000) + rng.randbytes(500), "skipped", "binary",
          "ELF executable renamed .txt")
    write("bad/document.txt", b"%PDF-1.7\n1 0 obj\n<< /Length 900 >>\nstream\n" + rng.randbytes(900)
          + b"\nendstream\nendobj\n", "skipped", "binary", "PDF renamed .txt")
    write("bad/empty.txt", b"", "skipped", "empty file", "empty file")
    write("bad/whitespace.md", " \t\n\r\n   \n\t\t\n", "skipped", "empty file", "whitespace only")
    write("bad/unicode-whitespace.txt", "\u00a0\u3000\u2003\n\u00a0\n", "skipped", "only whitespace",
          "Unicode spaces only")
    write("bad/html-without-text.html", "<html><head><script>alert(1)</script></head><body><img src=x></body>"
          "</html>", "skipped", "no visible text", "HTML page with nothing to read")
    huge = articles / "bad/huge-50mb.txt"
    block = (seed(FR) + "\n").encode()
    with huge.open("wb") as handle:
        for _ in range(HUGE_FILE_MB * 2**20 // len(block) + 1):
            handle.write(block)
    expect["bad/huge-50mb.txt"] = Expect("skipped", "over the 20.0 MB limit", "a 50 MB text file")

    secret = outside / "secret.txt"
    secret.write_text("Secret notes that live outside the articles folder.\n", encoding="utf-8")
    (outside / "folder").mkdir()
    (outside / "folder" / "also-secret.txt").write_text("Never to be read.\n", encoding="utf-8")
    links = articles / "links"
    links.mkdir()
    (links / "to-outside.txt").symlink_to(secret)
    expect["links/to-outside.txt"] = Expect("skipped", "outside the folder", "symbolic link out of the folder")
    (links / "relative-escape.txt").symlink_to(Path("..") / ".." / "outside" / "secret.txt")
    expect["links/relative-escape.txt"] = Expect("skipped", "outside the folder", "relative link out with ../..")
    (links / "dangling.txt").symlink_to(articles / "no-such-file.txt")
    expect["links/dangling.txt"] = Expect("skipped", "broken symbolic link", "link to nothing")
    (links / "loop.txt").symlink_to(links / "loop.txt")
    expect["links/loop.txt"] = Expect("skipped", "broken symbolic link", "link to itself")
    (links / "folder-outside").symlink_to(outside / "folder", target_is_directory=True)  # never entered
    (links / "inside.txt").symlink_to(Path("..") / "names" / "-rf.txt")
    expect["links/inside.txt"] = Expect("ingested", "ja", "link to a file inside the folder")
    os.mkfifo(articles / "bad" / "pipe.txt")
    expect["bad/pipe.txt"] = Expect("skipped", "not a regular file", "a named pipe (reading would block)")
    return expect


# Names an upload may arrive with; each must land inside the workspace's upload folder. (A NUL
# byte cannot reach us: no file system holds one and Streamlit refuses it.)
UPLOAD_NAMES = ["../../escape.txt", "..\\..\\evil.md", "/etc/passwd.txt", "-rf.txt", "name with spaces.txt",
                "日本語.txt", "txt.\u202eexe.txt", "a|b.txt", "line\nbreak.txt", "...txt"]


def build_bad_packages(folder: Path, good: Path) -> dict[str, str]:
    """Broken .argosmodel files made from a good one; returns file name -> expected reason."""
    folder.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    with zipfile.ZipFile(good) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    root = next(iter(members)).split("/", 1)[0]

    def repack(name: str, files: dict[str, bytes]) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for member, content in files.items():
                archive.writestr(member, content)
        (folder / name).write_bytes(buffer.getvalue())

    expect = {}
    (folder / "truncated.argosmodel").write_bytes(data[: len(data) // 2])
    expect["truncated.argosmodel"] = "not a zip archive"
    repack("traversal.argosmodel", {**members, f"{root}/../../escaped.txt": b"written outside"})
    expect["traversal.argosmodel"] = "outside the package folder"
    repack("absolute.argosmodel", {**members, "/tmp/workbench-absolute-escape.txt": b"written outside"})
    expect["absolute.argosmodel"] = "outside the package folder"
    for name, metadata, reason in (
            ("no-codes.argosmodel", {"package_version": "1.0"}, "does not name from_code"),
            ("code-traversal.argosmodel", {"from_code": "../../x", "to_code": "en"}, "does not name from_code"),
            ("metadata-list.argosmodel", [1, 2], "not a JSON object")):
        repack(name, {**members, f"{root}/metadata.json": json.dumps(metadata).encode()})
        expect[name] = reason
    repack("metadata-not-json.argosmodel", {**members, f"{root}/metadata.json": b"{not json"})
    expect["metadata-not-json.argosmodel"] = "not valid JSON"
    repack("no-model.argosmodel", {k: v for k, v in members.items() if "/model/" not in k})
    expect["no-model.argosmodel"] = "missing model/model.bin"
    (folder / "text.argosmodel").write_text("this is not a package\n")
    expect["text.argosmodel"] = "not a zip archive"
    return expect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="empty or new folder to write the corpus into")
    parser.add_argument("--models", type=Path, metavar="GOOD.argosmodel",
                        help="also write broken packages made from this good one into OUT/models")
    args = parser.parse_args()
    expect = build_corpus(args.out)
    for path, what in sorted(expect.items()):
        print(f"{what.outcome:9} {what.detail:28} {path!r}  ({what.note})")
    if args.models:
        for name, reason in build_bad_packages(args.out / "models", args.models).items():
            print(f"{'refused':9} {reason:28} models/{name}")


if __name__ == "__main__":
    main()
