from __future__ import annotations

import subprocess
import sys

from workbench import cli, review, store

from conftest import REPO


def test_start_runs_the_main_job_on_the_samples(workspace, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_MODELS", str(tmp_path / "no-models"))
    assert cli.main(["start", "--no-ui"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "No translation models installed" in err and "models install ja ar fr bg" in err
    assert "story 1:" in err
    conn = store.connect(workspace)
    assert len(store.documents(conn)) == 5
    pairs = review.aligned_pairs(conn)
    assert len(pairs) == 9  # every cross-language pair of the story; the two Arabic outlets are not paired
    assert conn.execute("SELECT COUNT(*) FROM links").fetchone()[0] > 200


def test_every_command_has_help_with_an_example():
    for command in ("ingest", "translate", "align", "start", "export", "models install"):
        result = subprocess.run([sys.executable, "-m", "workbench", *command.split(), "--help"], cwd=REPO,
                                capture_output=True, text=True)
        assert result.returncode == 0
        assert "example: python -m workbench" in result.stdout, command
