"""The compliance scanner: a pure domain package the content-review routes call.

registry = ScannerRegistry()
findings = registry.scanner().scan(text, platform="xiaohongshu", lists=WorkspaceLists(...))
"""

from content_review.scanner.dictionaries import (
    DEFAULT_DATA_DIR,
    PLATFORMS,
    DictionaryError,
    Rule,
    ScannerData,
    load_data,
)
from content_review.scanner.findings import Category, Finding, MatchKind, Severity
from content_review.scanner.registry import ScannerRegistry
from content_review.scanner.scanner import Scanner
from content_review.scanner.workspace_lists import DenyTerm, WorkspaceLists

__all__ = [
    "DEFAULT_DATA_DIR",
    "PLATFORMS",
    "Category",
    "DenyTerm",
    "DictionaryError",
    "Finding",
    "MatchKind",
    "Rule",
    "Scanner",
    "ScannerData",
    "ScannerRegistry",
    "Severity",
    "WorkspaceLists",
    "load_data",
]
