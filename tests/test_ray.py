"""Translation and embedding on Ray (local instances, 2 workers): the same output as a local
run, and a driver killed mid-run resumes to the same result."""
from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_crash import count, environment, kill_until_done

from workbench import cluster, store

from conftest import CORPUS, from_template, install, japanese_editions


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "workbench", *args], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def same_files(a: Path, b: Path) -> None:
    names = sorted(p.relative_to(a) for p in a.rglob("*"))
    assert names and names == sorted(p.relative_to(b) for p in b.rglob("*"))
    for name in names:
        assert (a / name).is_dir() or (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """A Ray cluster started as a user starts one (`ray start --head`), 2 CPUs: it outlives the
    drivers that are killed below, as a real cluster would."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray = [sys.executable, "-m", "ray.scripts.scripts"]
    temp = tmp_path_factory.mktemp("ray")
    # Ray's token authentication (on by default for local clusters since Ray 2.59): the head and
    # every driver share the token, as the README tells users to do
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    subprocess.run([*ray, "start", "--head", "--num-cpus", "2", "--port", str(port), "--node-ip-address",
                    "127.0.0.1", "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", str(temp)],
                   check=True, capture_output=True, timeout=180, env={**os.environ, **auth})
    yield f"127.0.0.1:{port}", auth
    subprocess.run([*ray, "stop", "--force"], capture_output=True, timeout=120, env={**os.environ, **auth})


def test_a_workers_model_folder_is_unpacked_once_a_machine_and_left_nowhere_else(tmp_path):
    """A worker unpacks a model the driver sent into the cache folder under the content's hash:
    a later run's worker reuses it, a changed model gets its own, no scratch folder stays (each
    worker used to leave a temporary copy behind)."""
    model = tmp_path / "model"
    (model / "model").mkdir(parents=True)
    (model / "metadata.json").write_text('{"from_code": "ja"}', encoding="utf-8")
    (model / "model" / "model.bin").write_bytes(os.urandom(4096))
    cache = tmp_path / "cache"
    first = cluster.unpack_folder(cluster.pack_folder(model), cache)
    same_files(model, first)
    (first / "used").touch()
    assert cluster.unpack_folder(cluster.pack_folder(model), cache) == first and (first / "used").exists()
    (model / "metadata.json").write_text('{"from_code": "ar"}', encoding="utf-8")
    changed = cluster.unpack_folder(cluster.pack_folder(model), cache)
    assert changed != first and (changed / "metadata.json").read_text(encoding="utf-8") == '{"from_code": "ar"}'
    assert sorted(p.name for p in (cache / "models").iterdir()) == sorted([first.name, changed.name])


def test_translate_on_ray_writes_what_a_local_run_writes(tmp_path, fixture_models, models_dir, embedding_template):
    install(models_dir, fixture_models, "ja", "ar", "fr", "bg")
    for name in ("ws-local", "ws-ray"):  # the similarity check's vectors of the seed texts, as in other tests
        from_template(embedding_template, tmp_path / name)
    fast = ["--quality", "fast"]  # greedy decoding: what is compared is where the work runs, not its beam
    local = run(["translate", str(CORPUS), "--out", str(tmp_path / "local"), *fast],
                environment(tmp_path / "ws-local", models_dir))
    # no address: Ray is started on this machine for the run, and stopped after it
    on_ray = run(["translate", str(CORPUS), "--out", str(tmp_path / "ray"), "--ray", "--ray-workers", "2", *fast],
                 environment(tmp_path / "ws-ray", models_dir))
    assert "on Ray: 2 translation workers" in on_ray.stderr
    assert re.search(r"translated [1-9]\d* sentences", on_ray.stderr) and "translated" in local.stderr
    same_files(tmp_path / "local", tmp_path / "ray")
    query = "SELECT doc_id, idx, en, model FROM translations ORDER BY 1, 2"
    with sqlite3.connect(tmp_path / "ws-local" / store.DB_NAME) as a, \
            sqlite3.connect(tmp_path / "ws-ray" / store.DB_NAME) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall() != []


def test_align_all_on_ray_stores_what_a_local_run_stores(tmp_path, ray_head):
    run(["ingest", str(CORPUS)], environment(tmp_path / "ws-local"))  # nothing embedded yet: work for the workers
    shutil.copytree(tmp_path / "ws-local", tmp_path / "ws-ray")
    run(["align-all"], environment(tmp_path / "ws-local"))
    address, auth = ray_head
    on_ray = run(["align-all", "--ray", address, "--ray-workers", "2"], {**environment(tmp_path / "ws-ray"), **auth})
    assert "on Ray: 2 embedding workers" in on_ray.stderr

    def exported(name: str) -> bytes:
        out = tmp_path / f"{name}.jsonl"
        run(["export", "--format", "jsonl", "--out", str(out)], environment(tmp_path / name))
        return out.read_bytes()

    assert exported("ws-ray") == exported("ws-local") != b""
    query = "SELECT model, text_hash, vector FROM embedding_cache ORDER BY 1, 2"
    with sqlite3.connect(tmp_path / "ws-local" / store.DB_NAME) as a, \
            sqlite3.connect(tmp_path / "ws-ray" / store.DB_NAME) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def translate_on_ray(tmp_path: Path, ray_head, fixture_models: Path, models_dir: Path,
                     ) -> tuple[list[str], dict[str, str], int]:
    """Ten Japanese editions translated locally into tmp_path/reference; returns the command that
    translates them on ``ray_head`` into tmp_path/out (workspace tmp_path/ws), its environment,
    and the sentences the local run translated."""
    install(models_dir, fixture_models, "ja")
    folder = japanese_editions(tmp_path / "articles", 10)
    # the similarity check embeds on the driver, whatever runs the models: the first test covers it
    # on Ray; here each killed driver would load the embedder again, minutes on 2 cores
    run(["translate", str(folder), "--out", str(tmp_path / "reference"), "--threads", "1", "--no-similarity-check"],
        environment(tmp_path / "ws-reference", models_dir))
    address, auth = ray_head
    command = [sys.executable, "-m", "workbench", "translate", str(folder), "--out", str(tmp_path / "out"),
               "--commit-every", "8", "--ray", address, "--ray-workers", "2", "--no-similarity-check"]
    total = count(tmp_path / "ws-reference" / store.DB_NAME, "SELECT COUNT(*) FROM translations")
    return command, {**environment(tmp_path / "ws", models_dir), **auth}, total


@pytest.mark.slow  # ~2.5 minutes (four driver starts on Ray): in .ci/run's slow step, beside the install test
def test_a_driver_killed_mid_run_on_ray_resumes_to_the_local_result(tmp_path, ray_head, fixture_models, models_dir):
    command, env, total = translate_on_ray(tmp_path, ray_head, fixture_models, models_dir)
    db = tmp_path / "ws" / store.DB_NAME
    seen = kill_until_done(command, env, total, random.Random(5),
                           lambda: count(db, "SELECT COUNT(*) FROM translations") if db.exists() else 0)
    assert seen and all(0 < n < total for n in seen), (seen, total)
    assert count(db, "SELECT COUNT(*) FROM translations") == total
    same_files(tmp_path / "reference", tmp_path / "out")


def test_a_worker_killed_mid_run_is_restarted_and_its_batch_retried(tmp_path, ray_head, fixture_models, models_dir):
    command, env, total = translate_on_ray(tmp_path, ray_head, fixture_models, models_dir)
    db = tmp_path / "ws" / store.DB_NAME
    driver = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not db.exists() or count(db, "SELECT COUNT(*) FROM translations") == 0:  # the workers are at work
        assert driver.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    workers = subprocess.run(["pgrep", "-f", "ray::TranslationWorker"], capture_output=True, text=True).stdout.split()
    assert workers, "no Ray translation worker process found"
    os.kill(int(workers[0]), signal.SIGKILL)
    assert driver.poll() is None and count(db, "SELECT COUNT(*) FROM translations") < total  # killed mid-run
    _, err = driver.communicate(timeout=600)
    assert driver.returncode == 0, err
    same_files(tmp_path / "reference", tmp_path / "out")
