"""One scanner registry per process: building the automata takes a second or two, and the
registry rebuilds them itself when the dictionaries change on disk."""

from __future__ import annotations

from functools import lru_cache

from content_review.scanner import ScannerRegistry


@lru_cache(maxsize=1)
def shared_registry() -> ScannerRegistry:
    return ScannerRegistry()
