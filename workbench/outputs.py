"""Files written for the user (exports, English texts) and cached folders (converted and unpacked
models) appear whole or not at all."""
from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """``data`` into ``path`` through a temporary file in the same folder and a rename: a run
    killed halfway leaves the previous file (or none), never half of one. Temporary files left
    by such a run are removed by the next write of the same path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.partial"):
        stale.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fill_folder_atomically(folder: Path, fill: Callable[[Path], None]) -> Path:
    """``folder``, made by ``fill`` in a scratch folder beside it and renamed into place: a run
    killed halfway leaves no half folder, and where another process made it meanwhile its folder
    stands (the first rename wins)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        fill(scratch)
        try:
            os.rename(scratch, folder)
        except OSError:  # another process made it meanwhile
            if not folder.is_dir():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder
