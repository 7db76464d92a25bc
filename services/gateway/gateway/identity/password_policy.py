"""What a new password must be: long, and not one an attacker would try early.

Common and easily guessed passwords are recognised by zxcvbn's strength estimate (its frequency
lists hold the leaked-password top lists, keyboard walks, repeats, dates and l33t variants),
which a shipped word list alone would not catch.
"""

from __future__ import annotations

from collections.abc import Sequence

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 1024
# zxcvbn's scale is 0-4; 3 is "safely unguessable: moderate protection from offline attacks".
MIN_SCORE = 3
# The estimate's cost grows with length; beyond this the prefix decides (and is already long).
ESTIMATED_PREFIX = 100
POLICY = (
    f"Passwords need at least {MIN_LENGTH} characters and must not be a common or easily "
    "guessed password (words, names, keyboard patterns, repeats or dates alone)."
)


def password_problem(password: str, *, user_inputs: Sequence[str] = ()) -> str | None:
    """None when `password` meets the policy, else the reason (with the policy stated)."""
    if len(password) < MIN_LENGTH:
        return f"is too short. {POLICY}"
    if len(password) > MAX_LENGTH:
        return f"is too long (at most {MAX_LENGTH} characters)."
    estimate = zxcvbn(password[:ESTIMATED_PREFIX], user_inputs=list(user_inputs))
    if estimate["score"] < MIN_SCORE:
        warning = estimate["feedback"].get("warning") or "It is too easy to guess."
        return f"is too easy to guess: {warning.rstrip('.')}. {POLICY}"
    return None


def check_new_password(password: str) -> str:
    problem = password_problem(password)
    if problem is not None:
        raise ValueError(problem)
    return password
