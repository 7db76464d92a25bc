"""Text normalisation shared by every keyword matcher (compliance scanner, monitoring rules)."""

from yunying_shared.text.normalize import NormalizedText, normalize, normalize_term
from yunying_shared.text.phonetic import phonetic_variants

__all__ = [
    "NormalizedText",
    "normalize",
    "normalize_term",
    "phonetic_variants",
]
