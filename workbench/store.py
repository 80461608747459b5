"""The workspace: a directory holding one SQLite database (WAL, safe for a CLI run and the UI at once).

Functions take an open connection; each write commits its own transaction so that an
interrupted run keeps everything it finished.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from .records import Document, Link, Sentence, StoredDocument

DB_NAME = "workbench.sqlite3"
DEFAULT_WORKSPACE = "workspace"

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]',
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    lang TEXT NOT NULL,
    text TEXT NOT NULL,
    boilerplate INTEGER NOT NULL,
    PRIMARY KEY (doc_id, idx)
);
-- English for a sentence; model is NULL where the sentence was English already.
CREATE TABLE IF NOT EXISTS translations (
    doc_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    en TEXT NOT NULL,
    model TEXT,
    PRIMARY KEY (doc_id, idx),
    FOREIGN KEY (doc_id, idx) REFERENCES sentences(doc_id, idx) ON DELETE CASCADE
);
-- Cache of model output keyed by model id+version, decoding options and source text.
CREATE TABLE IF NOT EXISTS translation_cache (
    key TEXT PRIMARY KEY,
    en TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS embedding_cache (
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
);
CREATE TABLE IF NOT EXISTS alignments (
    id INTEGER PRIMARY KEY,
    src_doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tgt_doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    mode TEXT NOT NULL,
    signature TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (src_doc, tgt_doc)
);
CREATE TABLE IF NOT EXISTS units (
    alignment_id INTEGER NOT NULL REFERENCES alignments(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    src_ids TEXT NOT NULL,
    tgt_ids TEXT NOT NULL,
    score REAL NOT NULL,
    flags TEXT NOT NULL,
    PRIMARY KEY (alignment_id, position)
);
-- Analyst decisions by sentence positions (replaced by `decisions` in migration 1).
CREATE TABLE IF NOT EXISTS reviews (
    src_doc INTEGER NOT NULL,
    tgt_doc INTEGER NOT NULL,
    src_ids TEXT NOT NULL,
    tgt_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (src_doc, tgt_doc, src_ids, tgt_ids)
);
CREATE TABLE IF NOT EXISTS links (
    doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    other_doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    other_idx INTEGER NOT NULL,
    score REAL NOT NULL,
    flags TEXT NOT NULL,
    PRIMARY KEY (doc, idx, other_doc)
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    args TEXT NOT NULL,
    status TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    pid INTEGER,
    updated_at TEXT NOT NULL
);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def workspace_dir(workspace: str | os.PathLike | None = None) -> Path:
    return Path(workspace or os.environ.get("WORKBENCH_WORKSPACE") or DEFAULT_WORKSPACE)


class WorkspaceError(Exception):
    """The workspace cannot be opened; the message names its database and why."""


def connect(workspace: str | os.PathLike | None = None) -> sqlite3.Connection:
    directory = workspace_dir(workspace)
    path = directory / DB_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # The UI's callbacks may run on another thread than the script run that opened the connection.
        conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            conn.executescript(SCHEMA)  # the first version; migrate() takes it up from there
        migrate(conn)
    except (sqlite3.DatabaseError, OSError) as error:
        raise WorkspaceError(f"cannot open the workspace database {path}: {error}") from None
    return conn


# --- migrations ----------------------------------------------------------------------------
# SCHEMA is the first version (a workspace made before migrations has it, user_version 0);
# each migration takes a workspace one version up, in one transaction, and is never edited
# once released: a new change is a new migration.

def sentence_keys(texts: list[str]) -> list[str]:
    """Content identity of a document's sentences: a hash of the text and which occurrence of that
    text it is (the second "Wake up!" is ":1"). It survives insertions and deletions elsewhere."""
    seen: dict[str, int] = {}
    keys = []
    for text in texts:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        keys.append(f"{digest}:{seen.get(digest, 0)}")
        seen[digest] = seen.get(digest, 0) + 1
    return keys


def _to_v1(conn: sqlite3.Connection) -> None:
    """Decisions by sentence content instead of positions; the review log; indexes for deletes."""
    conn.execute("""CREATE TABLE decisions (
        src_doc INTEGER NOT NULL,
        tgt_doc INTEGER NOT NULL,
        src_keys TEXT NOT NULL,   -- JSON list of sentence_keys, in reading order
        tgt_keys TEXT NOT NULL,
        src_texts TEXT NOT NULL,  -- JSON list of the sentences as decided on (shown when orphaned)
        tgt_texts TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('', 'accepted', 'rejected', 'edited')),
        note TEXT NOT NULL DEFAULT '',
        reviewer TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL,
        PRIMARY KEY (src_doc, tgt_doc, src_keys, tgt_keys))""")
    conn.execute("""CREATE TABLE review_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        src_doc INTEGER NOT NULL,
        tgt_doc INTEGER NOT NULL,
        action TEXT NOT NULL,
        before TEXT NOT NULL,     -- JSON: what the action replaced (decisions, and units for relinks)
        after TEXT NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)))""")
    # The old decisions were made on the sentences the documents hold now (a changed file
    # has kept its positions since), so positions become content keys through today's texts.
    texts: dict[int, dict[int, str]] = {}
    keys: dict[int, dict[int, str]] = {}
    for (doc_id,) in conn.execute("SELECT id FROM documents").fetchall():
        rows = conn.execute("SELECT idx, text FROM sentences WHERE doc_id = ? ORDER BY idx", (doc_id,)).fetchall()
        texts[doc_id] = {r[0]: r[1] for r in rows}
        keys[doc_id] = dict(zip([r[0] for r in rows], sentence_keys([r[1] for r in rows])))
    for row in conn.execute("SELECT * FROM reviews").fetchall():
        side = {}
        for name, doc in (("src", row["src_doc"]), ("tgt", row["tgt_doc"])):
            ids = json.loads(row[f"{name}_ids"])
            side[name] = ([keys.get(doc, {}).get(i, f"missing:{i}") for i in ids],
                          [texts.get(doc, {}).get(i, "") for i in ids])
        conn.execute("INSERT OR REPLACE INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (row["src_doc"], row["tgt_doc"], json.dumps(side["src"][0]), json.dumps(side["tgt"][0]),
                      json.dumps(side["src"][1], ensure_ascii=False), json.dumps(side["tgt"][1], ensure_ascii=False),
                      row["status"], row["note"], row["reviewer"], row["updated_at"]))
    conn.execute("DROP TABLE reviews")
    conn.execute("CREATE INDEX links_other_doc ON links (other_doc)")
    conn.execute("CREATE INDEX alignments_tgt_doc ON alignments (tgt_doc)")
    conn.execute("CREATE INDEX decisions_pair ON decisions (src_doc, tgt_doc)")


def _to_v2(conn: sqlite3.Connection) -> None:
    """The database checks what the code assumes: units' ids and flags are JSON lists, scores are
    in [0, 1], a job has a known kind and status. (SQLite adds CHECKs only by rebuilding a table.)"""
    conn.execute("""CREATE TABLE units_v2 (
        alignment_id INTEGER NOT NULL REFERENCES alignments(id) ON DELETE CASCADE,
        position INTEGER NOT NULL CHECK (position >= 0),
        src_ids TEXT NOT NULL CHECK (json_valid(src_ids) AND json_type(src_ids) = 'array'),
        tgt_ids TEXT NOT NULL CHECK (json_valid(tgt_ids) AND json_type(tgt_ids) = 'array'),
        score REAL NOT NULL CHECK (score BETWEEN 0 AND 1),
        flags TEXT NOT NULL CHECK (json_valid(flags) AND json_type(flags) = 'array'),
        PRIMARY KEY (alignment_id, position))""")
    conn.execute("INSERT INTO units_v2 SELECT * FROM units")
    conn.execute("DROP TABLE units")
    conn.execute("ALTER TABLE units_v2 RENAME TO units")
    conn.execute("""CREATE TABLE jobs_v2 (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('translate', 'align')),
        args TEXT NOT NULL CHECK (json_valid(args)),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'interrupted')),
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        pid INTEGER,
        updated_at TEXT NOT NULL)""")
    conn.execute("INSERT INTO jobs_v2 SELECT * FROM jobs")
    conn.execute("DROP TABLE jobs")
    conn.execute("ALTER TABLE jobs_v2 RENAME TO jobs")


def _to_v3(conn: sqlite3.Connection) -> None:
    """Story groups as the last grouping left them, so that listings show them without the
    embedding model: grouping a workspace embeds every document (minutes for a hundred
    documents on a laptop); reading the groups back is one query."""
    conn.execute("""CREATE TABLE stories (
        doc_id INTEGER PRIMARY KEY,
        story INTEGER NOT NULL,   -- the smallest document id of the group: stable, unique
        sha256 TEXT NOT NULL)     -- the document's content when it was grouped""")


def _to_v4(conn: sqlite3.Connection) -> None:
    """How sure the attachment of an analyst's own English (``workbench english``) is, per
    sentence: NULL for model output and for English matched line by line."""
    conn.execute("ALTER TABLE translations ADD COLUMN confidence REAL")


def _to_v5(conn: sqlite3.Connection) -> None:
    """Quality flags on model English (workbench/quality.py), a JSON object flag -> reason; NULL
    where the English was not checked (English sentences, an analyst's own English, workspaces
    translated before flags existed)."""
    conn.execute("ALTER TABLE translations ADD COLUMN flags TEXT")


def _to_v6(conn: sqlite3.Connection) -> None:
    """The review screen's requests already applied, so that one re-sent (a page whose
    acknowledgement was lost, e.g. a reconnect to a new server session) is never applied twice."""
    conn.execute("""CREATE TABLE applied_requests (
        src_doc INTEGER NOT NULL,
        tgt_doc INTEGER NOT NULL,
        request TEXT NOT NULL,    -- the page's own id for the request: "<page>:<sequence number>"
        at TEXT NOT NULL,
        PRIMARY KEY (src_doc, tgt_doc, request))""")


def _to_v7(conn: sqlite3.Connection) -> None:
    """Number flags of stored units and links read again by the current rule (at this step's making,
    2026-12-06: numbers written in words and Han numerals read; a number on one side only flagged
    from 13): a workspace aligned before would otherwise show the old rule's flags, and bulk-accept
    "unflagged" units by them, until each pair is aligned again."""
    from .anchors import unit_flags  # the number parser's tables: loaded by this step only

    texts: dict[int, dict[int, str]] = {}

    def sentences(doc_id: int, ids: list[int]) -> list[str]:
        if doc_id not in texts:
            texts[doc_id] = dict(sentence_texts(conn, doc_id))
        return [texts[doc_id].get(i, "") for i in ids]

    units = conn.execute("SELECT u.alignment_id, u.position, u.src_ids, u.tgt_ids, a.src_doc, a.tgt_doc "
                         "FROM units u JOIN alignments a ON a.id = u.alignment_id").fetchall()
    conn.executemany("UPDATE units SET flags = ? WHERE alignment_id = ? AND position = ?", [
        (json.dumps(unit_flags(sentences(r["src_doc"], json.loads(r["src_ids"])),
                               sentences(r["tgt_doc"], json.loads(r["tgt_ids"])))), r["alignment_id"], r["position"])
        for r in units])
    links = conn.execute("SELECT rowid, doc, idx, other_doc, other_idx FROM links").fetchall()
    conn.executemany("UPDATE links SET flags = ? WHERE rowid = ?", [
        (json.dumps(unit_flags(sentences(r["doc"], [r["idx"]]), sentences(r["other_doc"], [r["other_idx"]]))),
         r["rowid"]) for r in links])


def _to_v8(conn: sqlite3.Connection) -> None:
    """Number flags read again (as _to_v7 does) once dozens, decades, Japanese 千/万 among digits,
    Bulgarian ordinals and Arabic "per cent" were read (2026-12-06, evening)."""
    _to_v7(conn)


def _to_v9(conn: sqlite3.Connection) -> None:
    """Number flags read again (as _to_v7 does) once centuries joined or with their noun left out,
    decades counted and spelled, a range's scale written once, Arabic duals of the scales and number
    words after "by" or "for", Monday, a French cent coin, "0.010" and "十万八千里" were read (2026-12-06,
    late afternoon)."""
    _to_v7(conn)


def _to_v10(conn: sqlite3.Connection) -> None:
    """Number flags read again (as _to_v7 does) once halves ("two and a half", "un million et demi",
    "1時間半", "полтора"), a unit and a half with no number ("an hour and a half", "ساعة ونصف"), Arabic
    duals of units of time ("عامين", two years) and Bulgarian and Russian adjectives of so many years,
    hours or days ("Тридесетгодишната", "пятилетний", "двучасовата") were read (2026-12-06, evening)."""
    _to_v7(conn)


def _to_v11(conn: sqlite3.Connection) -> None:
    """Number flags read again (as _to_v7 does) once Swiss thousands ("4'478 m", "1’200’000") were
    read as one number, German times of day ("14.30 Uhr") as an hour and its minutes, and Chinese
    numerals with "more than" before their larger unit ("一百多亿") whole (2026-12-07)."""
    _to_v7(conn)


MIGRATIONS = [_to_v1, _to_v2, _to_v3, _to_v4, _to_v5, _to_v6, _to_v7, _to_v8, _to_v9, _to_v10, _to_v11]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the workspace up to SCHEMA_VERSION, one committed step at a time."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"made by a newer workbench (schema {version}, this one knows up to "
                                    f"{SCHEMA_VERSION}): upgrade the workbench")
    for number in range(version, SCHEMA_VERSION):
        with transaction(conn):
            if conn.execute("PRAGMA user_version").fetchone()[0] == number:  # not done by a concurrent opener
                MIGRATIONS[number](conn)
                conn.execute(f"PRAGMA user_version = {number + 1}")


class transaction:
    """``with transaction(conn):`` - one atomic write, committed on success. Inside another one
    it is a savepoint of it: the outer write then commits all of it or none."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.nested = False

    def __enter__(self) -> sqlite3.Connection:
        self.nested = self.conn.in_transaction
        self.conn.execute("SAVEPOINT nested" if self.nested else "BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.nested:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
            return
        if exc_type:
            self.conn.execute("ROLLBACK TO nested")
        self.conn.execute("RELEASE nested")


# --- documents and sentences -------------------------------------------------------------

def save_document(conn: sqlite3.Connection, doc: Document) -> tuple[str, StoredDocument]:
    """Store a document; returns "new", "changed" or "unchanged" and the stored document. A changed file (other bytes, or
    the same bytes split differently) is replaced whole.

    A document is the file at its full path (``source``). A file at a new path is a stored
    document when it has that document's label and either its bytes (the folder copied) or the
    stored file is gone (the folder moved, perhaps edited since).
    Two files with one label ("de/005", "fr/005" ingested as "005") keep both: the newcomer's label
    takes as many parent folders as it needs to be unique.
    """
    row = _stored_row(conn, doc)
    if row and row["sha256"] == doc.sha256 and _spans(conn, row["id"]) == _spans_of(doc):
        if row["source"] != doc.source:
            conn.execute("UPDATE documents SET source = ? WHERE id = ?", (doc.source, row["id"]))
        return "unchanged", _stored(doc, row["id"], row["path"])
    fields = (doc.source, doc.sha256, doc.size, doc.encoding, doc.lang, doc.title, doc.text,
              json.dumps(doc.warnings), now())
    with transaction(conn):
        if row:
            stored = _stored(doc, row["id"], row["path"])
            conn.execute("DELETE FROM sentences WHERE doc_id = ?", (stored.id,))
            conn.execute("DELETE FROM alignments WHERE src_doc = ? OR tgt_doc = ?", (stored.id, stored.id))
            conn.execute("DELETE FROM links WHERE doc = ? OR other_doc = ?", (stored.id, stored.id))
            conn.execute(
                "UPDATE documents SET source=?, sha256=?, size=?, encoding=?, lang=?, title=?, text=?,"
                " warnings=?, ingested_at=? WHERE id=?", (*fields, stored.id))
        else:
            label = _free_label(conn, doc)
            new_id = conn.execute(
                "INSERT INTO documents (path, source, sha256, size, encoding, lang, title, text, warnings,"
                " ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?)", (label, *fields)).lastrowid
            stored = _stored(doc, int(new_id or 0), label)
        conn.executemany(
            "INSERT INTO sentences VALUES (?,?,?,?,?,?,?,?)",
            [(stored.id, s.index, s.start, s.end, s.paragraph, s.lang, s.text, int(s.boilerplate))
             for s in doc.sentences])
    return ("changed" if row else "new"), stored


def _stored(doc: Document, doc_id: int, label: str) -> StoredDocument:
    values = {f.name: getattr(doc, f.name) for f in dataclasses.fields(Document)}
    return StoredDocument(**{**values, "path": label}, id=doc_id)


def _stored_row(conn: sqlite3.Connection, doc: Document) -> sqlite3.Row | None:
    """The stored version of ``doc``: the same file, or the same label and bytes read from elsewhere."""
    row = conn.execute("SELECT id, path, source, sha256 FROM documents WHERE source = ?", (doc.source,)).fetchone()
    if row is None:
        row = conn.execute("SELECT id, path, source, sha256 FROM documents WHERE path = ?", (doc.path,)).fetchone()
        moved = row is not None and (row["sha256"] == doc.sha256 or not Path(row["source"]).exists())
        row = row if moved else None
    return row


def _free_label(conn: sqlite3.Connection, doc: Document) -> str:
    """``doc.path``, or the shortest longer tail of its source path that no other document has."""
    parts = Path(doc.source).parts
    label = doc.path
    for size in range(len(Path(doc.path).parts) + 1, len(parts) + 1):
        if conn.execute("SELECT 1 FROM documents WHERE path = ?", (label,)).fetchone() is None:
            return label
        label = Path(*parts[-size:]).as_posix()
    return doc.source


def _spans(conn: sqlite3.Connection, doc_id: int) -> list[tuple[int, int, bool]]:
    rows = conn.execute("SELECT start, end, boilerplate FROM sentences WHERE doc_id = ? ORDER BY idx", (doc_id,))
    return [(r[0], r[1], bool(r[2])) for r in rows]


def _spans_of(doc: Document) -> list[tuple[int, int, bool]]:
    return [(s.start, s.end, s.boilerplate) for s in doc.sentences]


def _document_from_row(row: sqlite3.Row, sentences: list[Sentence]) -> StoredDocument:
    return StoredDocument(path=row["path"], source=row["source"], sha256=row["sha256"], size=row["size"],
                    encoding=row["encoding"], lang=row["lang"], title=row["title"], text=row["text"],
                    sentences=sentences, warnings=json.loads(row["warnings"]), id=row["id"])


def sentences_of(conn: sqlite3.Connection, doc_id: int) -> list[Sentence]:
    rows = conn.execute("SELECT * FROM sentences WHERE doc_id = ? ORDER BY idx", (doc_id,))
    return [Sentence(index=r["idx"], start=r["start"], end=r["end"], paragraph=r["paragraph"],
                     lang=r["lang"], text=r["text"], boilerplate=bool(r["boilerplate"])) for r in rows]


def document(conn: sqlite3.Connection, ref: str | int) -> StoredDocument | None:
    """A document by id, label, full path, or the end of a label ("005" for "de/005") that only one
    document has."""
    ref = str(ref)
    row = None
    if ref.isdigit():
        row = conn.execute("SELECT * FROM documents WHERE id = ?", (int(ref),)).fetchone()
    if row is None:
        row = conn.execute("SELECT * FROM documents WHERE path = ? OR source = ?",
                           (ref, os.path.abspath(ref))).fetchone()
    if row is None:  # a shorter tail of a label, when only one document has it
        tails = [r["id"] for r in conn.execute("SELECT id, path FROM documents") if r["path"].endswith("/" + ref)]
        if len(tails) == 1:
            row = conn.execute("SELECT * FROM documents WHERE id = ?", (tails[0],)).fetchone()
    if row is None:
        return None
    return _document_from_row(row, sentences_of(conn, row["id"]))


def stored_document(conn: sqlite3.Connection, doc_id: int) -> StoredDocument:
    """A document known to be stored (an id from the workspace itself)."""
    doc = document(conn, doc_id)
    if doc is None:
        raise KeyError(f"no document {doc_id} in the workspace")
    return doc


def documents(conn: sqlite3.Connection) -> list[StoredDocument]:
    rows = conn.execute("SELECT * FROM documents ORDER BY path").fetchall()
    return [_document_from_row(row, sentences_of(conn, row["id"])) for row in rows]


def document_summaries(conn: sqlite3.Connection) -> list[dict]:
    """One row per document with counts, cheap enough for listings."""
    rows = conn.execute(
        """SELECT d.id, d.path, d.lang, d.encoding, d.title,
                  (SELECT COUNT(*) FROM sentences s WHERE s.doc_id = d.id) AS sentences,
                  (SELECT COUNT(*) FROM sentences s WHERE s.doc_id = d.id AND NOT s.boilerplate) AS content,
                  (SELECT COUNT(*) FROM translations t JOIN sentences s USING (doc_id, idx)
                     WHERE t.doc_id = d.id AND NOT s.boilerplate) AS translated
           FROM documents d ORDER BY d.path""")
    return [dict(row) for row in rows]


def save_stories(conn: sqlite3.Connection, groups: list[list[StoredDocument]]) -> None:
    """Record the story groups of the documents they hold (other documents keep theirs)."""
    with transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO stories VALUES (?,?,?)",
                         [(d.id, min(m.id for m in group), d.sha256) for group in groups for d in group])


def stories(conn: sqlite3.Connection) -> dict[int, int]:
    """Document id -> story, for the documents grouped as they are now (a changed document is
    not grouped until the next grouping)."""
    return dict(conn.execute("SELECT s.doc_id, s.story FROM stories s JOIN documents d "
                             "ON d.id = s.doc_id AND d.sha256 = s.sha256").fetchall())


def pair_progress(conn: sqlite3.Connection) -> list[dict]:
    """Per aligned pair: its units, pairs (both sides), flagged units and decisions (accepted or
    rejected, counted by the decisions table: one query for the whole workspace)."""
    rows = conn.execute(
        """SELECT a.src_doc, a.tgt_doc, a.mode, COUNT(u.position) AS units,
                  SUM(json_array_length(u.src_ids) > 0 AND json_array_length(u.tgt_ids) > 0) AS pairs,
                  SUM(u.flags != '[]') AS flagged,
                  (SELECT COUNT(*) FROM decisions d WHERE d.src_doc = a.src_doc AND d.tgt_doc = a.tgt_doc
                     AND d.status IN ('accepted', 'rejected')) AS decided
           FROM alignments a LEFT JOIN units u ON u.alignment_id = a.id GROUP BY a.id""")
    return [dict(row) for row in rows]


# --- cross-document links ----------------------------------------------------------------------

def replace_links(conn: sqlite3.Connection, found: list[Link]) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM links")
        conn.executemany("INSERT INTO links VALUES (?,?,?,?,?,?)",
                         [(k.doc, k.index, k.other_doc, k.other_index, k.score, json.dumps(list(k.flags)))
                          for k in found])


def has_links(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM links LIMIT 1").fetchone() is not None


def links_from(conn: sqlite3.Connection, doc_id: int, index: int) -> list[Link]:
    """One sentence's best counterpart in each other document, most confident first."""
    rows = conn.execute("SELECT * FROM links WHERE doc = ? AND idx = ? ORDER BY score DESC", (doc_id, index))
    return [Link(r["doc"], r["idx"], r["other_doc"], r["other_idx"], r["score"], tuple(json.loads(r["flags"])))
            for r in rows]


# --- alignments ------------------------------------------------------------------------------

def alignment_signature(conn: sqlite3.Connection, src_doc: int, tgt_doc: int) -> dict | None:
    row = conn.execute("SELECT signature FROM alignments WHERE src_doc = ? AND tgt_doc = ?", (src_doc, tgt_doc)).fetchone()
    return json.loads(row[0]) if row else None


def replace_alignment(conn: sqlite3.Connection, src_doc: int, tgt_doc: int, mode: str, signature: dict,
                      units: list[tuple[list[int], list[int], float, list[str]]]) -> int:
    """Store a pair's alignment (units: sentence ids on each side, confidence, flags) in place of
    the one before; returns its id."""
    with transaction(conn):
        conn.execute("DELETE FROM alignments WHERE src_doc = ? AND tgt_doc = ?", (src_doc, tgt_doc))
        alignment_id = int(conn.execute(
            "INSERT INTO alignments (src_doc, tgt_doc, mode, signature, created_at) VALUES (?,?,?,?,?)",
            (src_doc, tgt_doc, mode, json.dumps(signature), now())).lastrowid or 0)
        conn.executemany("INSERT INTO units VALUES (?,?,?,?,?,?)", [
            (alignment_id, position, json.dumps(src_ids), json.dumps(tgt_ids), score, json.dumps(flags))
            for position, (src_ids, tgt_ids, score, flags) in enumerate(units)])
    return alignment_id


# --- translations and their cache ------------------------------------------------------------

def translation_models(conn: sqlite3.Connection, doc_id: int) -> dict[int, str | None]:
    """Sentence index -> the model that made its English (None: the sentence was English)."""
    return dict(conn.execute("SELECT idx, model FROM translations WHERE doc_id = ?", (doc_id,)).fetchall())


def english_of(conn: sqlite3.Connection, doc_id: int) -> dict[int, tuple[str, str | None]]:
    """Sentence index -> (English, model id or None for sentences that were English)."""
    rows = conn.execute("SELECT idx, en, model FROM translations WHERE doc_id = ?", (doc_id,))
    return {idx: (en, model) for idx, en, model in rows}


def save_translations(conn: sqlite3.Connection, rows: list[tuple[int, int, str, str | None]],
                      cache: dict[str, str] | None = None,
                      flags: list[dict[str, str] | None] | None = None) -> None:
    """English per sentence (doc id, index, English, model or None), and new translation-cache
    entries (key -> English), in one transaction; ``flags``, one per row, are the English's
    quality flags (flag -> reason; None: not checked)."""
    checked = [json.dumps(f, ensure_ascii=False) if f is not None else None for f in flags or [None] * len(rows)]
    with transaction(conn):
        if cache:
            conn.executemany("INSERT OR REPLACE INTO translation_cache VALUES (?,?)", list(cache.items()))
        conn.executemany("INSERT OR REPLACE INTO translations (doc_id, idx, en, model, flags) VALUES (?,?,?,?,?)",
                         [(*row, f) for row, f in zip(rows, checked)])


def translation_flags(conn: sqlite3.Connection, doc_id: int) -> dict[int, dict[str, str]]:
    """Sentence index -> quality flags (flag -> reason) of its model English, where any were raised."""
    rows = conn.execute("SELECT idx, flags FROM translations WHERE doc_id = ? AND flags IS NOT NULL "
                        "AND flags != '{}'", (doc_id,))
    return {idx: json.loads(flags) for idx, flags in rows}


def save_external_english(conn: sqlite3.Connection, doc_id: int, model: str,
                          rows: list[tuple[int, str, float | None]]) -> None:
    """An analyst's own English for sentences of one document, (index, English, confidence of the
    attachment or None), replacing what was there (an earlier file's English included), in one
    transaction."""
    with transaction(conn):
        conn.execute("DELETE FROM translations WHERE doc_id = ? AND model LIKE 'external:%'", (doc_id,))
        conn.executemany("INSERT OR REPLACE INTO translations (doc_id, idx, en, model, confidence) VALUES (?,?,?,?,?)",
                         [(doc_id, idx, en, model, confidence) for idx, en, confidence in rows])


def cached_translations(conn: sqlite3.Connection, keys: list[str]) -> dict[str, str]:
    return _in_batches(conn, "SELECT key, en FROM translation_cache WHERE key IN ({marks})", [], keys)


# --- embeddings cache ----------------------------------------------------------------------------

def cached_vectors(conn: sqlite3.Connection, model: str, hashes: list[str]) -> dict[str, bytes]:
    return _in_batches(conn, "SELECT text_hash, vector FROM embedding_cache WHERE model = ? AND text_hash IN ({marks})",
                       [model], hashes)


def save_vectors(conn: sqlite3.Connection, model: str, vectors: dict[str, bytes]) -> None:
    with transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO embedding_cache VALUES (?,?,?)",
                         [(model, h, v) for h, v in vectors.items()])


def _in_batches(conn: sqlite3.Connection, query: str, args: list, keys: list[str]) -> dict:
    """Rows of a two-column ``... IN (...)`` query for many keys (SQLite limits host parameters)."""
    found: dict = {}
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        found.update(conn.execute(query.format(marks=",".join("?" * len(part))), [*args, *part]).fetchall())
    return found


# --- search ----------------------------------------------------------------------------------------

def content_sentences(conn: sqlite3.Connection) -> list[tuple[int, str, int, str, str | None]]:
    """Every non-boilerplate sentence: (doc id, document label, index, text, English or None)."""
    return [(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(
        """SELECT s.doc_id, d.path, s.idx, s.text, t.en FROM sentences s JOIN documents d ON d.id = s.doc_id
           LEFT JOIN translations t ON t.doc_id = s.doc_id AND t.idx = s.idx
           WHERE NOT s.boilerplate ORDER BY d.path, s.idx""")]


# --- background jobs of the UI --------------------------------------------------------------------

JOB_FIELDS = ("status", "done", "total", "message", "pid")


def create_job(conn: sqlite3.Connection, kind: str, args: dict) -> int:
    with transaction(conn):
        return int(conn.execute("INSERT INTO jobs (kind, args, status, updated_at) VALUES (?,?,?,?)",
                                (kind, json.dumps(args), "queued", now())).lastrowid or 0)


def update_job(conn: sqlite3.Connection, job_id: int, **fields: object) -> None:
    unknown = set(fields) - set(JOB_FIELDS)
    if unknown:
        raise ValueError(f"not job fields: {', '.join(sorted(unknown))}")
    values = {**fields, "updated_at": now()}
    assignments = ", ".join(f"{name} = ?" for name in values)  # names from JOB_FIELDS only
    conn.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values.values(), job_id))


def job(conn: sqlite3.Connection, job_id: int) -> dict | None:
    row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return {**dict(row), "args": json.loads(row["args"])} if row else None


def recent_jobs(conn: sqlite3.Connection, limit: int) -> list[dict]:
    return [{**dict(r), "args": json.loads(r["args"])}
            for r in conn.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,))]


# --- review: alignments' units, decisions and the log ------------------------------------------

def sentence_texts(conn: sqlite3.Connection, doc_id: int) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in conn.execute("SELECT idx, text FROM sentences WHERE doc_id = ? ORDER BY idx",
                                               (doc_id,))]


def alignment(conn: sqlite3.Connection, src_doc: int, tgt_doc: int) -> dict | None:
    """A pair's alignment: id, mode, signature and its units (ids, score, flags) in order."""
    row = conn.execute("SELECT * FROM alignments WHERE src_doc = ? AND tgt_doc = ?", (src_doc, tgt_doc)).fetchone()
    if row is None:
        return None
    units = [{"position": u["position"], "src_ids": json.loads(u["src_ids"]), "tgt_ids": json.loads(u["tgt_ids"]),
              "score": u["score"], "flags": json.loads(u["flags"])}
             for u in conn.execute("SELECT * FROM units WHERE alignment_id = ? ORDER BY position", (row["id"],))]
    return {"id": row["id"], "mode": row["mode"], "signature": json.loads(row["signature"]), "units": units}


def aligned_pairs(conn: sqlite3.Connection, involving: int | None = None) -> list[tuple[int, int]]:
    """The aligned pairs (source, target), in the order they were first aligned; with
    ``involving``, those of one document."""
    if involving is None:
        return [(r[0], r[1]) for r in conn.execute("SELECT src_doc, tgt_doc FROM alignments ORDER BY id")]
    return [(r[0], r[1]) for r in conn.execute("SELECT src_doc, tgt_doc FROM alignments WHERE src_doc = ? "
                                               "OR tgt_doc = ? ORDER BY id", (involving, involving))]


def write_units(conn: sqlite3.Connection, alignment_id: int, rows: list[dict]) -> None:
    """Replace an alignment's units (call inside a transaction)."""
    conn.execute("DELETE FROM units WHERE alignment_id = ?", (alignment_id,))
    conn.executemany("INSERT INTO units VALUES (?,?,?,?,?,?)", [
        (alignment_id, position, json.dumps(r["src_ids"]), json.dumps(r["tgt_ids"]), r["score"], json.dumps(r["flags"]))
        for position, r in enumerate(rows)])


def decisions(conn: sqlite3.Connection, src_doc: int | None = None, tgt_doc: int | None = None) -> list[dict]:
    """Decisions of one pair, or of the whole workspace."""
    if src_doc is None or tgt_doc is None:
        rows = conn.execute("SELECT * FROM decisions ORDER BY src_doc, tgt_doc, updated_at")
    else:
        rows = conn.execute("SELECT * FROM decisions WHERE src_doc = ? AND tgt_doc = ?", (src_doc, tgt_doc))
    return [dict(r) for r in rows]


def decision(conn: sqlite3.Connection, src_doc: int, tgt_doc: int, key: tuple[str, str]) -> dict | None:
    row = conn.execute("SELECT * FROM decisions WHERE src_doc = ? AND tgt_doc = ? AND src_keys = ? AND tgt_keys = ?",
                       (src_doc, tgt_doc, *key)).fetchone()
    return dict(row) if row else None


def write_decision(conn: sqlite3.Connection, src_doc: int, tgt_doc: int, key: tuple[str, str],
                   row: dict | None) -> None:
    """Set (or with None, remove) the decision on one unit key (call inside a transaction)."""
    conn.execute("DELETE FROM decisions WHERE src_doc = ? AND tgt_doc = ? AND src_keys = ? AND tgt_keys = ?",
                 (src_doc, tgt_doc, *key))
    if row is not None:
        conn.execute("INSERT INTO decisions (src_doc, tgt_doc, src_keys, tgt_keys, src_texts, tgt_texts, status, "
                     "note, reviewer, updated_at) VALUES (:src_doc, :tgt_doc, :src_keys, :tgt_keys, :src_texts, "
                     ":tgt_texts, :status, :note, :reviewer, :updated_at)", row)


def append_review_event(conn: sqlite3.Connection, src_doc: int, tgt_doc: int, action: str, reviewer: str,
                        before: dict, after: dict) -> None:
    conn.execute("INSERT INTO review_log (at, reviewer, src_doc, tgt_doc, action, before, after) "
                 "VALUES (?,?,?,?,?,?,?)", (now(), reviewer, src_doc, tgt_doc, action,
                                            json.dumps(before, ensure_ascii=False), json.dumps(after, ensure_ascii=False)))


def review_events(conn: sqlite3.Connection, src_doc: int | None = None, tgt_doc: int | None = None,
                  action: str | None = None, undoable: bool = False, newest_first: bool = False,
                  limit: int | None = None) -> list[dict]:
    """Review log events (before/after decoded, document labels joined), filtered; at most ``limit``."""
    query = ("SELECT l.*, s.path AS src_path, t.path AS tgt_path FROM review_log l "
             "LEFT JOIN documents s ON s.id = l.src_doc LEFT JOIN documents t ON t.id = l.tgt_doc WHERE 1")
    args: list = []
    if src_doc is not None and tgt_doc is not None:
        query += " AND l.src_doc = ? AND l.tgt_doc = ?"
        args += [src_doc, tgt_doc]
    if action is not None:
        query += " AND l.action = ?"
        args.append(action)
    if undoable:
        query += " AND l.undone = 0 AND l.action != 'undo'"
    query += " ORDER BY l.id DESC" if newest_first else " ORDER BY l.id"
    if limit is not None:
        query += " LIMIT ?"
        args.append(limit)
    return [{**dict(r), "before": json.loads(r["before"]), "after": json.loads(r["after"]), "undone": bool(r["undone"])}
            for r in conn.execute(query, args)]


def request_applied(conn: sqlite3.Connection, src_doc: int, tgt_doc: int, request: str) -> bool:
    return conn.execute("SELECT 1 FROM applied_requests WHERE src_doc = ? AND tgt_doc = ? AND request = ?",
                        (src_doc, tgt_doc, request)).fetchone() is not None


def record_request(conn: sqlite3.Connection, src_doc: int, tgt_doc: int, request: str) -> None:
    conn.execute("INSERT INTO applied_requests (src_doc, tgt_doc, request, at) VALUES (?,?,?,?)",
                 (src_doc, tgt_doc, request, now()))


def mark_undone(conn: sqlite3.Connection, event_id: int) -> None:
    conn.execute("UPDATE review_log SET undone = 1 WHERE id = ?", (event_id,))


def document_labels(conn: sqlite3.Connection) -> dict[int, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT id, path FROM documents")}
