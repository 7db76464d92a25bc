"""What happens to one message: a pure rule, so it is tested without a database.

The guards come first and win over any match: a negative message, one about an open crisis,
or one that names a risk term (过敏, 投诉 …) goes to a person even when the FAQ knows the
answer (the answer is kept as a suggestion). Then the FAQ answers when its best candidate
reaches the workspace's threshold: proposed for an operator, or sent at once."""

from __future__ import annotations

from dataclasses import dataclass

from sentiment_alert.faq.matching import Candidate


@dataclass(frozen=True, slots=True)
class Decision:
    status: str  # queued | proposed | replying
    reason: str


def decide(
    *,
    label: str,
    crisis_related: bool,
    risk: bool,
    best: Candidate | None,
    threshold: float,
    mode: str,
) -> Decision:
    if label == "neg":
        return Decision("queued", "negative")
    if crisis_related:
        return Decision("queued", "crisis")
    if risk:
        return Decision("queued", "risk")
    if best is None:
        return Decision("queued", "no_match")
    if best.confidence < threshold:
        return Decision("queued", "low_confidence")
    return Decision("replying" if mode == "auto_send" else "proposed", "matched")
