"""Coupon codes: drawn by `secrets`, so knowing some codes says nothing about the others."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: codes are read aloud at tills and typed from screenshots.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 14  # 31**14 ≈ 2**69 codes
UNBIASED = 256 - 256 % len(ALPHABET)
# Random bytes below UNBIASED map uniformly onto the alphabet (b % 31); the others are dropped.
# `bytes.translate` does both in C, so a batch of codes costs one `secrets` call and no
# per-character Python.
_TO_ALPHABET = bytes(ord(ALPHABET[b % len(ALPHABET)]) if b < UNBIASED else 0 for b in range(256))
_BIASED = bytes(range(UNBIASED, 256))


def new_codes(count: int) -> list[str]:
    """`count` independent codes, every character uniform over the alphabet."""
    wanted = count * LENGTH
    characters = ""
    while len(characters) < wanted:
        missing = wanted - len(characters)
        # About 3% of bytes are dropped: ask for a little more than is missing.
        raw = secrets.token_bytes(missing + missing // 16 + 8)
        characters += raw.translate(_TO_ALPHABET, _BIASED).decode("ascii")
    return [characters[i : i + LENGTH] for i in range(0, wanted, LENGTH)]


def new_code() -> str:
    return new_codes(1)[0]


def normalised(code: str) -> str:
    """What a person typed, as stored: upper case, without spaces and dashes."""
    return code.strip().upper().replace("-", "").replace(" ", "")
