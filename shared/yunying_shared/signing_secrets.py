"""Signing secrets: given by the environment, or generated once and kept in the state directory.

No secret has a built-in value: a constant in the source is public, and a token signed with it
would be accepted by every installation. Outside production a missing secret is generated on
first start and stored under `<state_dir>/secrets/` readable by the owner only, so restarts (and
every service of the embedded mode, which share the state directory) agree on it. Production
requires it from the environment, because replicas on other hosts could not share the file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

MIN_SECRET_BYTES = 32
GENERATED_SECRET_BYTES = 48
SECRETS_DIRECTORY = "secrets"


class SecretTooShort(ValueError):
    pass


def check_secret_length(value: str, *, variable: str) -> str:
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise SecretTooShort(
            f"{variable} must be at least {MIN_SECRET_BYTES} bytes long "
            f"(got {len(value.encode())}); generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return value


def persisted_secret(state_dir: Path, name: str) -> str:
    """The secret stored as `name` in the state directory, created (mode 0600) if absent.

    Concurrent first starts (several processes sharing a state directory) agree: the file is
    written under a temporary name and hard-linked into place, which fails if another process
    won the race, so every process ends up reading the same finished file.
    """
    directory = state_dir / SECRETS_DIRECTORY
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = directory / name
    if not target.exists():
        _create_exclusively(target, secrets.token_urlsafe(GENERATED_SECRET_BYTES))
    if target.stat().st_mode & 0o077:
        target.chmod(0o600)
    return target.read_text().strip()


def _create_exclusively(target: Path, value: str) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # Another process won the race: its file stands, and is the one everyone reads.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
