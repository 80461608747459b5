"""Argos translation packages: validate, install, discover, and fetch from the argos package index.

Installed packages live in ``<models>/packages/<name>/``, where ``<models>`` is $WORKBENCH_MODELS, else
the checkout's ``models/`` when run from a source tree, else the user data directory (platformdirs).
``.argosmodel`` files dropped into ``<models>/`` are installed on first use. Packages that
argostranslate itself installed ($ARGOS_PACKAGES_DIR or ~/.local/share/argos-translate/packages) are
used too, read-only, so an argos user does not download a model twice.
The package format (a zip of one folder with metadata.json, model/ and sentencepiece.model)
is read here directly: importing argostranslate creates folders under ~/.config and
~/.local, and a workbench run writes nothing outside its workspace and models area.
Inference is ours (translate.py).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from . import families
from .processes import is_gone
from .store import now

_CHECKOUT = Path(__file__).resolve().parent.parent  # a source tree has pyproject.toml and models/ here
PACKAGE_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"
INDEX_TIMEOUT_S = 5
PROVENANCE_FILE = ".workbench.json"
MAX_UNPACKED_BYTES = 4 * 2**30  # the largest argos packages unpack to about 500 MB
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[_-][A-Za-z]{2,4})?")  # also names the install folder
_UNPACKING = ".unpacking-"  # + pid: a package being unpacked, renamed into place when whole


class ModelError(Exception):
    """A package problem, reported to the user in one line."""


@dataclass(frozen=True)
class InstalledModel:
    from_code: str
    to_code: str
    version: str
    path: Path
    source: str
    fingerprint: str  # sha256 of the installed model.bin: two builds of one version never share a cache
    size_bytes: int
    family: str = "argos"  # argos | opus-mt | nllb (families.py)
    target_prefix: str | None = None  # an argos package's forced first output token

    @property
    def id(self) -> str:
        return f"{self.family}:{self.from_code}-{self.to_code}@{self.version}#{self.fingerprint[:12]}"

    @property
    def layout(self) -> families.Layout:
        return families.layout(self.family, self.path, self.from_code, self.target_prefix)


def models_dir() -> Path:
    if os.environ.get("WORKBENCH_MODELS"):
        return Path(os.environ["WORKBENCH_MODELS"])
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "models").is_dir():
        return _CHECKOUT / "models"
    return Path(platformdirs.user_data_dir("workbench")) / "models"


def argos_packages_dir() -> Path:
    """Where argostranslate installs packages (its settings.py: $ARGOS_PACKAGES_DIR, else
    $XDG_DATA_HOME/argos-translate/packages, else ~/.local/share/argos-translate/packages)."""
    if os.environ.get("ARGOS_PACKAGES_DIR"):
        return Path(os.environ["ARGOS_PACKAGES_DIR"])
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "argos-translate" / "packages"


def packages_dir() -> Path:
    return models_dir() / "packages"


def _check_members(archive: zipfile.ZipFile) -> None:
    """Refuse members that would land outside the package folder, links, and zip bombs."""
    total = 0
    for info in archive.infolist():
        parts = info.filename.replace("\\", "/").split("/")
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ModelError(f"member {info.filename!r} points outside the package folder")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ModelError(f"member {info.filename!r} is a symbolic link")
        total += info.file_size
    if total > MAX_UNPACKED_BYTES:
        raise ModelError(f"unpacks to {total / 2**30:.1f} GB, over the {MAX_UNPACKED_BYTES / 2**30:.0f} GB limit")


def _package_root(names: list[str]) -> str:
    tops = {name.split("/", 1)[0] for name in names if name.strip("/")}
    if len(tops) != 1 or not any("/" in name for name in names):
        raise ModelError(f"expected one top-level folder, found {len(tops)}: {', '.join(sorted(tops)[:4])}")
    return tops.pop()


def validate_archive(path: Path) -> dict:
    """Check that ``path`` is an argos package this workbench can run; return its metadata."""
    if not path.is_file():
        raise ModelError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ModelError(f"{path}: not a zip archive (truncated download or not an .argosmodel)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            try:
                _check_members(archive)
                root = _package_root(names)
            except ModelError as error:
                raise ModelError(f"{path}: {error}") from None
            missing = [item for item in ("metadata.json", "model/model.bin", "model/config.json",
                                         "sentencepiece.model") if f"{root}/{item}" not in names]
            if missing:
                raise ModelError(f"{path}: not an argos translation package, missing {', '.join(missing)}")
            try:
                metadata = json.loads(archive.read(f"{root}/metadata.json"))
            except ValueError as error:
                raise ModelError(f"{path}: metadata.json is not valid JSON ({error})") from None
            bad = archive.testzip()
            if bad:
                raise ModelError(f"{path}: corrupt member {bad} (truncated download?)")
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ModelError(f"{path}: damaged zip archive ({error})") from None
    if not isinstance(metadata, dict):
        raise ModelError(f"{path}: metadata.json is not a JSON object")
    for key in ("from_code", "to_code"):
        if not isinstance(metadata.get(key), str) or not _LANGUAGE_CODE.fullmatch(metadata[key]):
            raise ModelError(f"{path}: metadata.json does not name {key} as a language code "
                             f"(found {metadata.get(key)!r})")
    return metadata


def add_package(path: Path, source: str | None = None) -> InstalledModel:
    """Validate and install one .argosmodel file, replacing an installed package of the same pair."""
    metadata = validate_archive(path)
    target = packages_dir() / f"translate-{metadata['from_code']}_{metadata['to_code']}"
    packages_dir().mkdir(parents=True, exist_ok=True)
    _remove_abandoned_unpacking()
    with tempfile.TemporaryDirectory(dir=packages_dir(), prefix=f"{_UNPACKING}{os.getpid()}-") as tmp, \
            zipfile.ZipFile(path) as archive:
        archive.extractall(tmp)
        extracted = Path(tmp) / _package_root(archive.namelist())
        model_bin = extracted / "model" / "model.bin"
        fingerprint = _sha256(model_bin)
        (extracted / PROVENANCE_FILE).write_text(json.dumps({
            "source": source or str(path.resolve()), "archive_sha256": _sha256(path),
            "model_sha256": fingerprint, "installed_at": now()}, indent=2))
        if target.exists():
            shutil.rmtree(target)
        extracted.rename(target)  # same filesystem: the package appears whole or not at all
    return _load(target)


def _remove_abandoned_unpacking() -> None:
    """Unpacked halves of packages whose installing process was killed: they can be large."""
    for folder in packages_dir().glob(f"{_UNPACKING}*"):
        pid = folder.name[len(_UNPACKING):].split("-", 1)[0]
        if pid.isdigit() and is_gone(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=64)
def _fingerprint(model_bin: Path, mtime_ns: int) -> str:
    """sha256 of a package we did not install (argostranslate's): hashed once per file version."""
    return _sha256(model_bin)


def _load(path: Path, source: str = "unknown") -> InstalledModel:
    metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    provenance_path = path / PROVENANCE_FILE
    provenance = json.loads(provenance_path.read_text()) if provenance_path.exists() else {}
    model_bin = path / "model" / "model.bin"
    fingerprint = provenance.get("model_sha256") or _fingerprint(model_bin, model_bin.stat().st_mtime_ns)
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return InstalledModel(metadata["from_code"], metadata["to_code"], str(metadata.get("package_version") or "0"),
                          path, provenance.get("source", source), fingerprint, size,
                          target_prefix=metadata.get("target_prefix") or None)


def add_folder(folder: Path, family: str | None = None, from_code: str | None = None) -> list[InstalledModel]:
    """Install a converted OPUS-MT or NLLB-200 model folder (copied, so the original may go);
    one InstalledModel per source language it translates into English."""
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such folder")
    try:
        family = family or families.detect(folder)
        sources, target = families.languages(folder, family, from_code)
    except families.FamilyError as error:
        raise ModelError(str(error)) from None
    if target != "en":
        raise ModelError(f"{folder}: translates into {target}, and the workbench needs models into English")
    target_dir = packages_dir() / (folder.name if folder.name.startswith(family) else f"{family}-{folder.name}")
    packages_dir().mkdir(parents=True, exist_ok=True)
    _remove_abandoned_unpacking()
    with tempfile.TemporaryDirectory(dir=packages_dir(), prefix=f"{_UNPACKING}{os.getpid()}-") as tmp:
        copied = Path(tmp) / folder.name
        shutil.copytree(folder, copied)
        (copied / PROVENANCE_FILE).write_text(json.dumps({
            "source": str(folder.resolve()), "family": family, "from_codes": sources, "to_code": target,
            "version": folder.name, "model_sha256": _sha256(copied / "model.bin"), "installed_at": now()}, indent=2))
        if target_dir.exists():
            shutil.rmtree(target_dir)
        copied.rename(target_dir)  # same filesystem: the model appears whole or not at all
    return _load_folder(target_dir)


def _load_folder(path: Path) -> list[InstalledModel]:
    """A converted model folder installed by add_folder: one model per source language."""
    provenance = json.loads((path / PROVENANCE_FILE).read_text())
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return [InstalledModel(code, provenance["to_code"], provenance["version"], path, provenance["source"],
                           provenance["model_sha256"], size, provenance["family"])
            for code in provenance["from_codes"]]


def install_dropped(on_error: Callable[[str], None] | None = None) -> list[InstalledModel]:
    """Install .argosmodel files dropped into models/ that are new or newer than their install."""
    installed = []
    for archive in sorted(models_dir().glob("*.argosmodel")):
        marker = packages_dir() / f".{archive.name}.installed"
        if marker.exists() and marker.stat().st_mtime >= archive.stat().st_mtime:
            continue
        try:
            installed.append(add_package(archive))
        except ModelError as error:
            if on_error:
                on_error(str(error))
            continue
        marker.touch()
    return installed


def installed_models(on_error: Callable[[str], None] | None = None) -> list[InstalledModel]:
    """Our installed packages, then argostranslate's (read-only), each folder in name order."""
    install_dropped(on_error)
    found = []
    for folder, source in ((packages_dir(), "unknown"), (argos_packages_dir(), "argostranslate (read-only)")):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            is_argos = (path / "metadata.json").exists() and (path / "sentencepiece.model").exists() \
                and (path / "model" / "model.bin").exists()
            is_converted = (path / "model.bin").exists() and (path / PROVENANCE_FILE).exists()
            if not path.is_dir() or not (is_argos or is_converted):
                continue
            try:
                found.extend([_load(path, source)] if is_argos else _load_folder(path))
            except (ValueError, KeyError, TypeError, OSError) as error:
                if on_error:
                    on_error(f"{path}: damaged installed package, remove it and add it again ({error})")
    return found


def models_to_english(on_error: Callable[[str], None] | None = None,
                      choices: dict[str, str] | None = None) -> dict[str, InstalledModel]:
    """The installed X->en model of each source language: the one ``choices`` names for it (a
    family, or the start of a model id), else the first family in families.PREFERENCE; within a
    family ours win over argostranslate's packages."""
    choices = choices or {}
    candidates: dict[str, list[InstalledModel]] = {}
    for model in installed_models(on_error):
        if model.to_code == "en":
            candidates.setdefault(model.from_code, []).append(model)
    for lang, wanted in choices.items():
        if not any(m.family == wanted or m.id.startswith(wanted) for m in candidates.get(lang, [])):
            raise ModelError(f"--model {lang}={wanted}: no installed {lang}->en model is {wanted!r} "
                             "(see `python -m workbench models list`)")
    chosen = {}
    for lang, found in candidates.items():
        if lang in choices:
            chosen[lang] = next(m for m in found if m.family == choices[lang] or m.id.startswith(choices[lang]))
        else:
            chosen[lang] = min(found, key=lambda m: families.PREFERENCE.index(m.family))  # stable: first wins
    return chosen


# --- the argos package index ---------------------------------------------------------------

def fetch_index(url: str | None = None, timeout: float = INDEX_TIMEOUT_S) -> list[dict]:
    """The package index, or ModelError within ``timeout`` seconds when it cannot be reached.

    argostranslate.package.get_available_packages() retries an unreachable index recursively
    for about 50 s and ends in RecursionError, so the index is fetched here, once, with a timeout.
    """
    url = url or os.environ.get("WORKBENCH_PACKAGE_INDEX") or PACKAGE_INDEX_URL
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise ModelError(
            f"cannot reach the argos package index at {url} ({reason}). On a machine with internet access, "
            "download the .argosmodel files (https://www.argosopentech.com/argospm/index/) and add them with "
            "`python -m workbench models add FILE.argosmodel`, or drop them into models/") from None


def install_from_index(codes: list[str], progress: Callable[[str, int, int], None] | None = None,
                       index_url: str | None = None) -> list[InstalledModel]:
    """Download and install X->en packages for ``codes`` from the argos index."""
    available = [entry for entry in fetch_index(index_url) if isinstance(entry, dict)]
    installed = []
    for code in codes:
        matches = [entry for entry in available
                   if entry.get("from_code") == code and entry.get("to_code") == "en" and entry.get("links")]
        if not matches:
            raise ModelError(f"the argos index has no {code}->en package")
        links = matches[0]["links"]
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / f"translate-{code}_en.argosmodel"
            def report(done: int, total: int, code: str = code) -> None:
                if progress:
                    progress(code, done, total)
            link = _download(links, archive, report)
            installed.append(add_package(archive, source=link))
    return installed


def _download(links: list[str], target: Path, progress: Callable[[int, int], None]) -> str:
    """The first of ``links`` that downloads, saved at ``target``; returns that link."""
    errors = []
    for link in links:
        try:
            with urllib.request.urlopen(link, timeout=30) as response, target.open("wb") as handle:
                total = int(response.headers.get("Content-Length") or 0)
                done = 0
                for block in iter(lambda: response.read(1 << 16), b""):
                    handle.write(block)
                    done += len(block)
                    progress(done, total)
            return link
        except (urllib.error.URLError, OSError) as error:
            errors.append(f"{link}: {getattr(error, 'reason', error)}")
    raise ModelError("download failed: " + "; ".join(errors))
