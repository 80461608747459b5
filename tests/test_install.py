"""`pip install .` gives a `workbench` command that works from any folder and writes nothing into
site-packages (slow: builds and installs the package into a new virtual environment)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, REPO

pytestmark = pytest.mark.slow


def tree(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_pip_install_gives_a_workbench_command_that_runs_anywhere(tmp_path):
    source = tmp_path / "source"  # a copy: pip builds in the source folder and must not touch the checkout
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", "workspace", "models", "test-artifacts", "__pycache__", "*.egg-info", "build", ".hypothesis"))
    venv = tmp_path / "venv"
    # The dependencies are those of this Python (installed from requirements.txt): the new
    # environment sees them, so pip resolves them without downloading and installs only workbench.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python, command = venv / "bin" / "python", venv / "bin" / "workbench"
    installing = subprocess.run([python, "-m", "pip", "install", "-q", str(source)], capture_output=True, text=True)
    assert installing.returncode == 0, installing.stderr[-3000:]
    site_packages = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        capture_output=True, text=True, check=True).stdout.strip())
    installed = site_packages / "workbench"
    assert (installed / "samples" / "syria-2024-12").is_dir() and (installed / "app" / "main.py").is_file()
    assert (installed / "app" / "static" / "grid.js").is_file()  # the review grid
    before = tree(site_packages)

    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    shutil.copytree(CORPUS, elsewhere / "articles")
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "WORKBENCH_WORKSPACE", "WORKBENCH_MODELS", "XDG_DATA_HOME")}
    env.update(HOME=str(home), COLUMNS="250")

    def workbench(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([command, *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)

    shown = workbench("--help")
    assert shown.returncode == 0 and "python -m workbench ingest" in shown.stdout
    assert workbench("ingest", "articles").returncode == 0
    aligned = workbench("align-all")
    assert aligned.returncode == 0, aligned.stderr
    assert "story 1:" in " ".join(aligned.stderr.split())
    listed = workbench("models", "list")
    assert listed.returncode == 0
    # installed (not a source tree): models live in the user data directory (platformdirs)
    assert str(home / ".local" / "share" / "workbench" / "models") in "".join(listed.stdout.split())
    # the dictionaries install with their data (jamdict-data unpacks JMdict's database as it installs)
    assert "ja: jmdict" in " ".join(listed.stdout.split())
    assert (elsewhere / "workspace" / "workbench.sqlite3").is_file()  # the default workspace: ./workspace
    assert tree(site_packages) == before, "the installed package wrote into site-packages"
