"""Coupon codes: drawn by `secrets`, so knowing some codes says nothing about the others."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: codes are read aloud at tills and typed from screenshots.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 14  # 31**14 ≈ 2**69 codes
UNBIASED = 256 - 256 % len(ALPHABET)


def new_code() -> str:
    # One call for all characters; bytes below UNBIASED map uniformly onto the alphabet.
    while True:
        raw = [b for b in secrets.token_bytes(LENGTH * 2) if b < UNBIASED]
        if len(raw) >= LENGTH:
            return "".join(ALPHABET[b % len(ALPHABET)] for b in raw[:LENGTH])


def normalised(code: str) -> str:
    """What a person typed, as stored: upper case, without spaces and dashes."""
    return code.strip().upper().replace("-", "").replace(" ", "")
