from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
# The seed articles; the repo's samples/ are a copy of them, used where ../shared is absent.
CORPUS = SHARED / "corpus" / "syria-2024-12"
if not CORPUS.is_dir():
    CORPUS = REPO / "samples" / "syria-2024-12"
FLORES = SHARED / "data" / "flores200"

JA = "ja-rebels-enter-damascus.txt"
FR = "fr-rebelles-damas-statue.txt"
BG = "bg-damask-obgraden.txt"
AR1 = "ar-assad-forces-withdraw-daraa.txt"
AR2 = "ar-opposition-enters-damascus-suburbs.txt"


def article(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    ws = tmp_path / "ws"
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws))
    return ws
