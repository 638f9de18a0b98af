"""Write a file so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import RenderError


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    The temporary file is flushed to disk and moved over ``path`` with ``os.replace``, so
    readers see the old file or the new one, never a half-written one.

    Parameters
    ----------
    path : Path
        Destination; its folder is created if missing.
    data : bytes
        Content.

    Raises
    ------
    RenderError
        When the file cannot be written (the old file, if any, is left as it was).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise RenderError(f"{path}: cannot write: {err}") from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise RenderError(f"{path}: cannot write: {err}") from err
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`write_bytes_atomically`)."""
    write_bytes_atomically(path, text.encode("utf-8"))


def replace_folder_atomically(folder: Path, fill: Callable[[Path], None]) -> None:
    """Build a folder with ``fill(staging)`` beside ``folder``, then swap it into place.

    Readers see the old folder or the complete new one, never a half-filled one; a failure
    in ``fill`` leaves the old folder as it was.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        fill(staging)
        os.chmod(staging, 0o755)
        # A folder cannot be replaced in one step: move the old one aside, the new one in.
        retired = None
        if folder.exists():
            retired = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old."))
            os.replace(folder, retired / "old")
        os.replace(staging, folder)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing) for the ``with`` block.

    Writers that read, change and rewrite one file (``actions.csv``) take it around the whole
    read-modify-write, so two writers at once both keep their rows. POSIX only (``fcntl``).
    """
    import fcntl

    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
