from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench import compare, ingest, store
from workbench.embed import get_embedder

from fixtures.build_argos_model import build_package

REPO = Path(__file__).resolve().parent.parent
# The tests read nothing outside the repo: a fresh clone has nothing beside it.
CORPUS = REPO / "workbench" / "samples" / "syria-2024-12"  # the seed articles, as shipped
FLORES = REPO / "tests" / "data" / "flores200"  # the first 300 dev lines (PROVENANCE.txt there)

JA = "ja-rebels-enter-damascus.txt"
FR = "fr-rebelles-damas-statue.txt"
BG = "bg-damask-obgraden.txt"
AR1 = "ar-assad-forces-withdraw-daraa.txt"
AR2 = "ar-opposition-enters-damascus-suburbs.txt"


def article(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def embedding_template(tmp_path_factory) -> Path:
    """A workspace database holding only the embedding cache of the seed articles, as align-all and
    links fill it (sentences, joined neighbours). Embedding is nearly all of an alignment's cost, so
    test workspaces start from a copy (``from_template``) instead of embedding the same texts again.
    Built once per run and shared by the pytest-xdist workers (a lock file orders them)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # one folder per run, above the workers' own
    template = shared / "embedding-template" / store.DB_NAME
    with (shared / "embedding-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            build = shared / "embedding-template-build"
            shutil.rmtree(build, ignore_errors=True)
            conn = store.connect(build)
            ingest.ingest_folder(conn, CORPUS)
            compare.align_stories(conn, store.documents(conn), get_embedder())
            compare.compute_links(conn, store.documents(conn), get_embedder())
            conn.close()
            fresh = store.connect(template.parent)
            fresh.execute("ATTACH DATABASE ? AS built", (str(build / store.DB_NAME),))
            with store.transaction(fresh):
                fresh.execute("INSERT INTO embedding_cache SELECT * FROM built.embedding_cache")
            fresh.execute("DETACH DATABASE built")
            fresh.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            fresh.close()
    return template


def from_template(template: Path, workspace: Path) -> Path:
    """A new workspace whose embedding cache already holds the seed articles' vectors."""
    workspace.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, workspace / store.DB_NAME)
    return workspace


@pytest.fixture(autouse=True)
def no_argos_packages_of_this_machine(tmp_path_factory, monkeypatch) -> None:
    """argostranslate's own packages folder is read too: the tests see none but their own."""
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path_factory.getbasetemp() / "no-argos-packages"))


@pytest.fixture
def workspace(tmp_path, monkeypatch, embedding_template) -> Path:
    ws = from_template(embedding_template, tmp_path / "ws")
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws))
    return ws


HOSTILE = "fr-hostile.md"
SHORT = "en-short.md"


def articles_with_hostile_one(folder: Path) -> Path:
    """The seed articles, one article full of HTML/Markdown tricks, and a short one to pair it with."""
    shutil.copytree(CORPUS, folder)
    (folder / HOSTILE).write_text(
        "Les rebelles syriens avancent vers Damas. <script>window.hacked = 1; alert('xss')</script> "
        "Ils contrôlent Darayya.\n"
        "Près de 2 000 soldats d’Assad auraient fui vers l’Irak. <img src=x onerror=alert(1)> "
        "**gras** [lien](javascript:alert(2))\n"
        "Le fichier \u202etxt.exe est arrivé avec un \x1b[31mcode\x1b[0m de terminal.\n", encoding="utf-8")
    (folder / SHORT).write_text("Syrian rebels advance on Damascus and control Darayya.\n"
                                "About 2,000 Assad soldiers fled to Iraq.\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def fixture_models(tmp_path_factory) -> Path:
    """Copy models (real argos format, real CTranslate2) for ja, ar, fr, bg -> en."""
    folder = tmp_path_factory.mktemp("argos")
    for lang in ("ja", "ar", "fr", "bg"):
        build_package(folder / f"{lang}_en.argosmodel", lang, "en", kind="copy", size="tiny")
    return folder


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "models"
    directory.mkdir()
    monkeypatch.setenv("WORKBENCH_MODELS", str(directory))
    return directory


def japanese_editions(folder: Path, copies: int) -> Path:
    """``copies`` versions of the Japanese article, every sentence marked with its edition number:
    distinct sentences, so that nothing is served from the translation cache."""
    folder.mkdir(parents=True)
    lines = [line for line in article(JA).splitlines() if line.strip()]
    for copy in range(copies):
        (folder / f"ja-{copy}.txt").write_text("\n".join(f"第{copy}版 {line}" for line in lines), encoding="utf-8")
    return folder


def install(models_dir: Path, fixture_models: Path, *langs: str) -> None:
    for lang in langs:
        (models_dir / f"{lang}_en.argosmodel").write_bytes((fixture_models / f"{lang}_en.argosmodel").read_bytes())


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- the Streamlit app under AppTest ------------------------------------------------------

APP = str(REPO / "workbench" / "app" / "main.py")
PAGES = ["views/corpus.py", "views/compare.py", "views/facts.py", "views/search.py", "views/export.py"]
TIMEOUT = 120


@pytest.fixture
def populated(tmp_path, monkeypatch, embedding_template):
    """The seed articles plus one hostile article, the ja-fr pair aligned, links computed."""
    folder = articles_with_hostile_one(tmp_path / "articles")
    ws = from_template(embedding_template, tmp_path / "ws")
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws))
    conn = store.connect(ws)
    ingest.ingest_folder(conn, folder)
    ja, fr = store.document(conn, JA), store.document(conn, FR)
    compare.align_documents(conn, ja, fr, get_embedder())
    compare.compute_links(conn, store.documents(conn), get_embedder())
    return conn, ja, fr


def run_page(page: str, **query) -> AppTest:
    """A page of the app under AppTest; query params as the URL would give them (a reviewer
    named unless reviewer="" is passed)."""
    query.setdefault("reviewer", "tester")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    if page != PAGES[0]:
        at.switch_page(page)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def grid_data(at: AppTest) -> dict:
    """What the Compare page sent its review grid (a custom component AppTest cannot click)."""
    grids = [e for e in at.get("bidi_component") if e.proto.component_name == "workbench.review_grid"]
    assert len(grids) == 1
    return json.loads(grids[0].proto.json)
