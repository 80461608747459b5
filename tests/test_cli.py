from __future__ import annotations

import json
import tomllib

import pytest

from workbench import cli, review, store
from workbench.cli.common import write_jsonl
from workbench.cli.review import STREAMLIT_OPTIONS

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


def test_every_command_has_help_with_an_example(capsys):
    for command in ("ingest", "translate", "align", "start", "export", "models install"):
        with pytest.raises(SystemExit) as done:
            cli.main([*command.split(), "--help"])
        assert done.value.code == 0
        assert "example: python -m workbench" in capsys.readouterr().out, command


def test_the_ui_is_given_the_settings_of_the_projects_streamlit_config():
    """`workbench ui` passes .streamlit/config.toml's settings as flags (an installed workbench runs
    from any folder); the two must say the same."""
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{name}": str(value).lower() for section, options in config.items()
            for name, value in options.items()}
    assert flat.pop("server.address") == "localhost"  # the --address default
    assert flat == STREAMLIT_OPTIONS


def test_records_written_to_standard_output_are_verbatim(capsys):
    # article text may hold what rich would turn into an emoji or a style
    record = {"src_text": "Rebels :fire: [b]Damascus[/b] \\n", "tgt_text": "« Damas » :smile:"}
    write_jsonl(None, [record, record])
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [record, record]
    assert ":fire: [b]Damascus[/b]" in lines[0]
