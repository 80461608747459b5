"""The whole workbench over the generated hostile corpus (tests/hostile/generate.py).

One run of the real command line (translate, which ingests; align-all; export in three
formats) in a subprocess with its own HOME, then checks: every bad file and package named with
its reason, every good file through with the right text, no traceback, nothing written outside
the workspace and the chosen output folders, and the UI's pages rendering the documents.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from workbench import cli, compare, e5_ct2, export, store
from workbench.embed import get_embedder

from conftest import PAGES, REPO, from_template, grid_data, read_jsonl, run_page
from hostile.generate import (
    LONG_LINE_CHARS,
    LONG_SENTENCE_WORDS,
    UPLOAD_NAMES,
    Expect,
    build_bad_packages,
    build_corpus,
    seed,
)

ABSOLUTE_ESCAPE = Path("/tmp/workbench-absolute-escape.txt")
# where a run may write: besides its outputs, the embedder's one conversion into the user cache (README)
E5_CACHE = f"home/.cache/workbench/e5-small-ct2-{e5_ct2._file_hash(e5_ct2.source_file())}"
WRITABLE = ("ws", "out", "exports", "models/packages", E5_CACHE)


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Hostile:
    root: Path
    expect: dict[str, Expect]
    bad_packages: dict[str, str]
    runs: dict[str, Run]
    changed: set[str]  # paths under root created by the runs, and files they modified

    @property
    def articles(self) -> Path:
        return self.root / "articles"


def snapshot(root: Path) -> dict[str, tuple[int, int] | None]:
    """Every path under ``root``: size and mtime of files and links, None for folders (whose
    mtime changes when anything is created inside them)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found[(Path(folder) / name).relative_to(root).as_posix()] = None
        for name in files:
            info = (Path(folder) / name).lstat()
            found[(Path(folder) / name).relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, fixture_models, embedding_template) -> Hostile:
    root = tmp_path_factory.mktemp("hostile")
    from_template(embedding_template, root / "ws")  # most hostile files are the seed articles re-encoded
    expect = build_corpus(root)
    models = root / "models"
    models.mkdir()
    for lang in ("ja", "ar", "fr", "bg"):
        shutil.copy(fixture_models / f"{lang}_en.argosmodel", models)
    bad = build_bad_packages(models, fixture_models / "fr_en.argosmodel")
    (root / "home").mkdir()
    ABSOLUTE_ESCAPE.unlink(missing_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "WORKBENCH_"))}
    env.update(PYTHONPATH=str(REPO), HOME=str(root / "home"), WORKBENCH_WORKSPACE=str(root / "ws"),
               WORKBENCH_MODELS=str(models), COLUMNS="200")

    def run(*args: str) -> Run:
        done = subprocess.run([sys.executable, "-m", "workbench", *args], env=env, cwd=root, capture_output=True,
                              text=True, timeout=600)
        return Run(done.returncode, done.stdout, done.stderr)

    before = snapshot(root)
    runs = {"translate": run("translate", str(root / "articles"), "--out", str(root / "out"), "--beam", "1",
                             "--batch-tokens", "8192", "--no-similarity-check"),  # the 200,000-character line: 2.6x faster
            "align-all": run("align-all"),
            "documents": run("documents", "--json")}
    for fmt in export.FORMATS:
        runs[f"export-{fmt}"] = run("export", "--format", fmt, "--out", str(root / "exports" / f"pairs.{fmt}"))
    after = snapshot(root)
    changed = {path for path, state in after.items() if path not in before or before[path] != state}
    return Hostile(root, expect, bad, runs, changed)


def test_no_traceback_reaches_the_user_and_exit_codes_say_what_happened(hostile):
    for name, run in hostile.runs.items():
        assert "Traceback" not in run.err + run.out, (name, run.err[-3000:])
    assert hostile.runs["translate"].code == 1  # some files were skipped (each named)
    assert all(run.code == 0 for name, run in hostile.runs.items() if name != "translate"), hostile.runs


def test_every_bad_file_is_named_with_its_reason_and_every_good_file_comes_through(hostile):
    report = hostile.runs["translate"].err
    lines = [" ".join(line.split()) for line in report.splitlines()]
    documents = {d["path"]: d for d in json.loads(hostile.runs["documents"].out)}
    for path, what in hostile.expect.items():
        if what.outcome == "skipped":
            prefix = f"skipped {hostile.articles}/{path}: "
            assert any(line.startswith(prefix) and what.detail in line for line in lines), (path, what)
            assert path not in documents
        else:
            assert documents[path]["lang"] == what.detail, (path, documents.get(path))
    ingested = {path for path, what in hostile.expect.items() if what.outcome == "ingested"}
    assert set(documents) == ingested  # and nothing else: the linked folder outside was not entered


def test_texts_decode_exactly_and_spans_hold(hostile):
    conn = store.connect(hostile.root / "ws")
    for doc in store.documents(conn):
        assert all(doc.text[s.start:s.end] == s.text for s in doc.sentences), doc.path
    originals = {"fr": "fr-rebelles-damas-statue.txt", "ar": "ar-assad-forces-withdraw-daraa.txt",
                 "ja": "ja-rebels-enter-damascus.txt", "bg": "bg-damask-obgraden.txt"}
    legacy = {"enc/ar-windows-1256.txt": "cp1256", "enc/ja-shift-jis.txt": "shift_jis",
              "enc/ja-euc-jp.txt": "euc_jp", "enc/bg-windows-1251.txt": "cp1251"}
    for path, what in hostile.expect.items():
        if not path.startswith("enc/") or path.endswith(".html") or "invalid" in path:
            continue
        text = seed(originals[what.detail])
        if path in legacy:
            text = text.encode(legacy[path], errors="ignore").decode(legacy[path])
        assert store.document(conn, path).text == text, path

    damaged = store.document(conn, "enc/fr-invalid-utf8.txt")
    assert damaged.text.count("\ufffd") == 4  # \xff, \xfe, a lone \x80, half an "é"
    assert damaged.warnings == ["4 invalid UTF-8 byte sequence(s) replaced by U+FFFD, the first at byte 400"]
    page = store.document(conn, "markup/fr-scripts-iframes-handlers.html")
    for never in ("hacked", "alert", "iframe fallback", "object fallback", "svg text", "background"):
        assert never not in page.text, never
    tricks = store.document(conn, "shape/fr-control-and-bidi.txt")
    assert "Le fichier \u202etxt.exe est arrivé" in tricks.text  # stored as written, shown escaped
    long_line = store.document(conn, "shape/fr-200k-line-no-punctuation.txt")
    assert [len(s.text) for s in long_line.sentences] == [LONG_LINE_CHARS]


def test_nothing_is_written_outside_the_workspace_and_chosen_outputs(hostile):
    outside = sorted(path for path in hostile.changed
                     if not path.startswith(WRITABLE) and not E5_CACHE.startswith(path + "/"))
    assert outside == []
    assert not any(hostile.root.rglob("escaped.txt")) and not ABSOLUTE_ESCAPE.exists()
    # no ~/.config, ~/.local, nothing else in ~/.cache, no scratch folder of the conversion left behind
    home_files = {p.relative_to(hostile.root).as_posix() for p in (hostile.root / "home").rglob("*") if p.is_file()}
    assert home_files and all(path.startswith(E5_CACHE + "/") for path in home_files)
    english = {p.relative_to(hostile.root / "out").as_posix() for p in (hostile.root / "out").rglob("*.en.txt")}
    assert "names/-rf.txt.en.txt" in english and "names/line\\nbreak.txt.en.txt" in english


def test_broken_packages_are_refused_by_name_and_good_ones_translate_everything(hostile):
    report = " ".join(hostile.runs["translate"].err.split())
    for name, reason in hostile.bad_packages.items():
        assert f"{hostile.root / 'models' / name}: " in report and reason in report, name
    rows = read_jsonl(hostile.root / "out" / "translations.jsonl")
    by_doc = {}
    for row in rows:
        by_doc.setdefault(row["doc"], []).append(row)
    assert all(row["en"] == row["text"] for row in rows)  # copy models: nothing lost or cut
    sentence = next(r for r in by_doc["shape/fr-5000-word-sentence.txt"] if len(r["text"].split()) > 1000)
    assert len(sentence["en"].split()) == LONG_SENTENCE_WORDS + 1 and sentence["en"].endswith(" fin.")
    assert len(by_doc["shape/fr-200k-line-no-punctuation.txt"][0]["en"]) == LONG_LINE_CHARS
    assert [r["model"] for r in by_doc["shape/digits-only.txt"]] == [None]  # nothing to translate


def test_exports_are_well_formed_and_keep_the_text(hostile):
    rows = read_jsonl(hostile.root / "exports" / "pairs.jsonl")
    assert rows
    with open(hostile.root / "exports" / "pairs.csv", encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(rows)
    tmx = ET.parse(hostile.root / "exports" / "pairs.tmx").getroot()
    pairs = [r for r in rows if r["src_ids"] and r["tgt_ids"]]
    assert len(tmx.findall("body/tu")) == len(pairs)
    segments = {export.segment_text(seg) for seg in tmx.iter("seg")}
    assert segments == {r[side] for r in pairs for side in ("src_text", "tgt_text")}  # exact round trip
    assert any("\x1b[1m" in text for text in segments) and any("\u202e" in text for text in segments)
    assert any("\x07" in text for text in segments)  # illegal in XML 1.0, kept as <ph>


def test_ui_pages_render_the_hostile_documents_safely(hostile, monkeypatch):
    ws = hostile.root / "ws"
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws))
    conn = store.connect(ws)
    tricks = store.document(conn, "shape/fr-control-and-bidi.txt")
    page = store.document(conn, "markup/fr-raw-html.md")
    short = store.document(conn, "shape/fr-5000-word-sentence.txt")  # few units: one page shows them all
    compare.align_documents(conn, tricks, short, get_embedder())
    compare.align_documents(conn, page, short, get_embedder())
    for page_file in PAGES:
        run_page(page_file)
    shown = {}
    for doc in (tricks, page):
        at = run_page("views/compare.py", src=str(doc.id), tgt=str(short.id))
        data = grid_data(at)  # the grid inserts these pieces as text nodes (test_app checks grid.js)
        shown[doc.path] = [piece for row in data["rows"] for side in ("left", "right") if row[side]
                           for piece in row[side]["text"]]
        assert "\u202e" not in json.dumps(data, ensure_ascii=False) and "\x1b" not in json.dumps(data)
    tricks_pieces = shown[tricks.path]
    assert ["\\u202e", "hidden"] in tricks_pieces
    assert tricks_pieces[tricks_pieces.index(["\\u202e", "hidden"]) + 1][0].startswith("txt.exe")
    # the grid shows the linked units, and which of the raw-HTML article's markup lines are linked
    # depends on the aligner (the <script> line was, until kNN margins, AlignParams.knn_weight):
    # those shown arrive verbatim, as text
    page_text = "".join(text for text, _ in shown[page.path])
    markup = ["<script>window.hacked = 4</script>", '<img src=x onerror="window.hacked=5">',
              '<iframe src="javascript:alert(9)"></iframe>']
    assert any(line in page_text for line in markup), page_text
    at = run_page("views/search.py")
    at.text_input[0].input("fichier").run()
    assert not at.exception
    results = " ".join(str(m.value) for m in at.markdown)
    assert "\\u202e" in results and "\u202e" not in results
    # Search draws sentences as HTML (side_html): the raw-HTML article's markup arrives escaped
    at.text_input[0].input("window.hacked").run()
    assert not at.exception
    drawn = [str(m.value) for m in at.markdown if "wb-side" in str(m.value)]
    # the query's words marked, everything else escaped
    assert any('&lt;script&gt;<mark class="wb-diff">window.hacked</mark> = 4&lt;/script&gt;' in d for d in drawn)
    assert any("&lt;img src=x onerror=&quot;" in d for d in drawn)
    assert not any("<script" in d or "<img" in d for d in drawn)


def test_upload_names_land_inside_the_upload_folder(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws))
    at = run_page("views/corpus.py")
    body = "Les rebelles syriens avancent vers Damas et contrôlent le quartier de Darayya.\n".encode()
    at.file_uploader[0].set_value([(name, body, "text/plain") for name in UPLOAD_NAMES]).run()
    at.button(key="ingest-uploads").click().run()
    assert not at.exception
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(path.startswith("ws/") for path in written), written
    uploads = sorted(p.name for p in (ws / "uploads").iterdir())
    assert uploads == ["-rf.txt", "a_b.txt", "escape.txt", "evil.md", "line_break.txt", "name_with_spaces.txt",
                       "passwd.txt", "txt._exe.txt", "日本語.txt"]
    assert [w.value for w in at.warning] == ["...txt: not a .txt, .md, .html or .htm file"]


def test_a_damaged_workspace_or_an_unwritable_output_is_one_clear_line(tmp_path, capsys):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / store.DB_NAME).write_bytes(b"this is not a database\n" * 200)
    assert cli.main(["documents", "--workspace", str(damaged)]) == 4  # the workspace's own exit code
    blocked = tmp_path / "a-file.txt"
    blocked.write_text("in the way\n")
    assert cli.main(["export", "--workspace", str(tmp_path / "ws"), "--format", "csv",
                     "--out", str(blocked / "pairs.csv")]) == 5  # an output that cannot be written
    err = capsys.readouterr().err
    lines = [" ".join(line.split()) for line in err.strip().splitlines()]
    assert lines[0].startswith(f"error: cannot open the workspace database {damaged / store.DB_NAME}: file is not a")
    assert any(line.startswith("error: ") and "a-file.txt" in line for line in lines[1:]), lines
    assert "Traceback" not in err
