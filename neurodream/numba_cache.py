"""Where Numba keeps the compiled kernels when the package folder cannot hold them.

The chip's kernels are jitted with ``cache=True``: Numba writes them beside their sources
(``neurodream/chip/__pycache__``) or, where that folder is not writable (an installation owned by
another user, a read-only file system), into its user-wide cache (``$XDG_CACHE_HOME/numba`` or
``~/.cache/numba``). Where neither is writable (a container without a home, say), decorating the
first kernel fails at import with Numba's "cannot cache function ...: no locator available".

Importing :mod:`neurodream` therefore calls :func:`ensure_writable_cache` before Numba is loaded:
when ``NUMBA_CACHE_DIR`` is not set (a choice made outside wins) and neither of Numba's own places is
writable, it sets ``NUMBA_CACHE_DIR`` to :func:`fallback_folder`, a folder of this user's in the
temporary directory. The kernels are the same wherever they are cached; only the first import
there compiles them again.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, MutableMapping
from pathlib import Path

ENV = "NUMBA_CACHE_DIR"
PACKAGE = Path(__file__).resolve().parent
JITTED_FOLDERS = (PACKAGE, PACKAGE / "chip")
"""The package folders whose modules hold kernels jitted with ``cache=True`` (Numba's in-tree cache
is their ``__pycache__``)."""


def writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (created if missing), tried as Numba tries it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def user_wide_folder(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Numba's user-wide cache folder on this system (``$XDG_CACHE_HOME/numba``, else
    ``~/.cache/numba``; macOS and Windows: their user cache folders), or None where there is no home."""
    try:
        home = Path(environ.get("HOME") or Path.home())
    except (KeyError, RuntimeError):  # no HOME and no entry in the password database
        return None
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "numba"
    if sys.platform == "win32":
        local = environ.get("LOCALAPPDATA")
        return Path(local) / "numba" / "Cache" if local else None
    return Path(environ.get("XDG_CACHE_HOME") or home / ".cache") / "numba"


def fallback_folder() -> Path | None:
    """A cache folder of this user's in the temporary directory, ``neurodream-numba-<uid>``: created
    with mode 0700, and used only while it is this user's and no one else may write into it (a
    cache file is code Numba loads); otherwise a fresh private folder (``mkdtemp``). None when the
    temporary directory is not writable either."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = Path(tempfile.gettempdir()) / f"neurodream-numba-{uid if uid is not None else 'user'}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.stat()
        private = uid is None or (info.st_uid == uid and not info.st_mode & 0o022)
        if private and writable(folder):
            return folder
        return Path(tempfile.mkdtemp(prefix="neurodream-numba-"))
    except OSError:
        return None


def ensure_writable_cache(environ: MutableMapping[str, str] = os.environ,
                          is_writable: Callable[[Path], bool] = writable) -> str | None:
    """Set ``NUMBA_CACHE_DIR`` in ``environ`` to :func:`fallback_folder` when it is not set (or set
    empty) and Numba has no writable place of its own: neither the ``__pycache__`` of the package's
    jitted modules (:data:`JITTED_FOLDERS`) nor its user-wide folder (:func:`user_wide_folder`).
    Returns the folder set, or None when nothing was changed. Numba reads the variable when it is
    first imported; an already imported Numba has its setting changed too."""
    if environ.get(ENV, "").strip():
        return None
    if all(is_writable(folder / "__pycache__") for folder in JITTED_FOLDERS):
        return None
    user_wide = user_wide_folder(environ)
    if user_wide is not None and is_writable(user_wide):
        return None
    folder = fallback_folder()
    if folder is None:
        return None
    environ[ENV] = str(folder)
    config = sys.modules.get("numba.core.config")
    if config is not None and environ is os.environ:
        config.CACHE_DIR = str(folder)
    return str(folder)
