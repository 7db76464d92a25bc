"""Invite codes: drawn by `secrets` (31**10, about 2**50, per code; a guess hits one of a
million live codes with odds under 1 in 10**9), readable aloud like coupon codes."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10


def new_invite_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalised(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")
