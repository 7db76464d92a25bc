"""Coupon codes: drawn by `secrets`, so knowing some codes says nothing about the others."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: codes are read aloud at tills and typed from screenshots.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 14  # 31**14 ≈ 2**69 codes


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalised(code: str) -> str:
    """What a person typed, as stored: upper case, without spaces and dashes."""
    return code.strip().upper().replace("-", "").replace(" ", "")
