"""Result files: atomic writes (a reader never sees a half-written file, and an interrupted write
leaves the previous file, if any, in place), readable by everyone the umask allows, strict JSON.

Each write goes through a temporary file ``.<name>.<random>.tmp`` in the target's folder. A writer
killed mid-write (SIGKILL, power loss) leaves its temporary file behind; the next write into the
same folder removes temporary files older than :data:`STALE_TEMPORARY_S`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import warnings
from pathlib import Path

STALE_TEMPORARY_S = 3600.0
"""Age (s) after which a temporary file is taken for the remains of a killed writer (a write takes
seconds at most)."""
TEMPORARY_PATTERNS = (".*.tmp", "tmp*.tmp")
"""Names of this module's temporary files: current (``.<name>.<random>.tmp``) and before 2026
(``tmp<random>.tmp``, :func:`tempfile.mkstemp`'s default)."""


def write_atomically(path: Path | str, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, synced, and a rename.

    The file gets mode ``0o666`` less the process's umask (as ``open`` would give), not the
    ``0o600`` of temporary files; stale temporary files in the folder are removed afterwards."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    remove_stale_temporaries(path.parent)
    return path


def current_umask() -> int:
    """The process's umask, read without changing it where Linux tells it (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, hence the fallback only)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: Path | str, max_age_s: float = STALE_TEMPORARY_S) -> list[Path]:
    """Remove this module's temporary files in ``folder`` last modified more than ``max_age_s``
    seconds ago (left by killed writers); returns those removed."""
    now, removed = time.time(), []
    for pattern in TEMPORARY_PATTERNS:
        for tmp in Path(folder).glob(pattern):
            try:
                if now - tmp.stat().st_mtime > max_age_s:
                    tmp.unlink()
                    removed.append(tmp)
            except OSError:  # removed meanwhile by another writer, or not ours to remove
                continue
    return removed


def strict_json(obj) -> str:
    """``obj`` as strict JSON (RFC 8259, which has no NaN or infinity): NaN written as ``null``;
    an infinity also, with a warning, since it reads back as NaN."""
    infinite = 0

    def clean(x):
        nonlocal infinite
        if isinstance(x, float) and not math.isfinite(x):
            infinite += math.isinf(x)
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    text = json.dumps(clean(obj), allow_nan=False)
    if infinite:
        warnings.warn(f"{infinite} infinite values written as null (JSON has no infinity)", stacklevel=2)
    return text


def check_writable_folder(path: Path | str) -> Path:
    """Create folder ``path`` (and its parents) if missing and check that a file can be written in
    it; ``ValueError`` naming it otherwise. Called before long work whose results go there."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".write-check-", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise ValueError(f"{path} is not a writable folder ({err.strerror or err})") from None
    return path
