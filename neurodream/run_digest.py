"""A run file's content digest: a file edited after it was written is told apart from one as written.

:func:`neurodream.training.save_run` writes each run file with a field ``"digest"``: ``"sha256:"`` and
the SHA-256 (hex) of the canonical JSON of the whole payload without that field (keys sorted, no
spaces, strict JSON: :func:`canonical`). The canonical form is taken of the values a reader gets
back (the payload as written, parsed again), so :func:`verify` on a file read with :func:`json.loads`
is exact. :func:`neurodream.training.load_run` refuses a file whose digest is missing or does not
match; files made before digests were recorded get theirs once with ``python -m neurodream seal``
(:func:`seal_file`), which refuses a file whose digest is there and does not match.

A digest is not a signature: whoever can write the file can write a new digest. It tells an edit by
hand or by a script, a copy cut short and a file of another program from a run as written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from .atomic_file import strict_json, write_atomically

KEY = "digest"
"""The field of a run file that holds its digest."""
PREFIX = "sha256:"
"""What a digest starts with: the hash it was made with."""


class DigestError(ValueError):
    """A run file whose digest is missing or does not match its content (the message names the file)."""


def canonical(payload: dict) -> bytes:
    """The canonical JSON of ``payload`` without its digest: keys sorted, no spaces, strict JSON
    (a NaN or infinity raises ``ValueError``: a run file holds ``null`` in their place)."""
    content = {k: v for k, v in payload.items() if k != KEY}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def digest_of(payload: dict) -> str:
    """``"sha256:<hex>"`` of :func:`canonical` ``(payload)``."""
    return PREFIX + hashlib.sha256(canonical(payload)).hexdigest()


def sealed(payload: dict) -> dict:
    """``payload`` as a reader gets it back (strict JSON, NaN as null; any digest it had dropped)
    with its digest added as the last field."""
    content = json.loads(strict_json({k: v for k, v in payload.items() if k != KEY}))
    return {**content, KEY: digest_of(content)}


def sealed_text(payload: dict) -> str:
    """The text of a run file holding ``payload`` and its digest (:func:`sealed`)."""
    return json.dumps(sealed(payload), allow_nan=False)


def verify(payload: dict, path: Path | str) -> dict:
    """``payload`` (a run file ``path`` parsed) without its digest, when the digest is there and
    matches; :class:`DigestError` naming the file otherwise."""
    recorded = payload.get(KEY)
    if recorded is None:
        raise DigestError(f"run file {path} fails its digest: it has none (made before digests were recorded, "
                          "or edited after it was written); a file made by this program before digests were "
                          "recorded gets one with `python -m neurodream seal PATH`")
    try:
        actual = digest_of(payload)
    except (TypeError, ValueError) as err:  # e.g. a bare NaN written by hand
        actual = f"none: {err}"
    if recorded != actual:
        raise DigestError(f"run file {path} fails its digest: edited after it was written, or made before digests "
                          f"were recorded; recorded {str(recorded)[:24]}..., content gives {actual[:24]}... "
                          "(recompute the run, or restore the file as written)")
    return {k: v for k, v in payload.items() if k != KEY}


def seal_file(path: Path | str, check: Callable[[dict], object] | None = None) -> bool:
    """Add its digest to the run file ``path`` if it has none (rewritten atomically, each value as
    it was; a bare NaN of an older file written as null); returns whether it was sealed (False: it
    had a digest, and the digest verifies). ``check(payload)`` is called before sealing and raises
    ``ValueError`` for a file that is not a valid run. A file whose digest is there and does not
    match raises :class:`DigestError`: sealing it would vouch for an edit. An unreadable file
    raises ``ValueError`` naming it."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not a readable JSON file ({err})") from None
    if not isinstance(payload, dict):
        raise ValueError(f"{path} is not a run file (a JSON object with config and table)")
    if KEY in payload:
        verify(payload, path)
        return False
    if check is not None:
        check(payload)
    write_atomically(path, sealed_text(payload))
    return True
