"""The scanner's data files: term dictionaries and the absolute-term exceptions.

Every ``*.toml`` in the data directory with a ``[dictionary]`` table is a dictionary;
``exceptions.toml`` holds the exceptions. The format is described in ``data/README.md``.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content_review.scanner.findings import Category, Severity

DEFAULT_DATA_DIR = Path(__file__).parent / "data"
EXCEPTIONS_FILE = "exceptions.toml"
PLATFORMS = frozenset({"xiaohongshu", "douyin", "wechat", "weibo", "bilibili"})


class DictionaryError(ValueError):
    """A data file that cannot be used, naming the file and the entry."""


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    term: str
    category: Category
    severity: Severity
    legal_basis: str
    suggestion: str
    phonetic: bool = False
    platforms: frozenset[str] = frozenset()  # empty: every platform


@dataclass(frozen=True, slots=True)
class ShieldPhrase:
    """A phrase inside which an absolute term is no violation (最近, 最佳饮用期)."""

    text: str
    clause: str


@dataclass(frozen=True, slots=True)
class ContextRule:
    rule_id: str
    clause: str
    terms: frozenset[str]
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    effect: Severity | None  # None: suppress the finding
    note: str
    window: int = 16


@dataclass(frozen=True, slots=True)
class ScannerData:
    rules: tuple[Rule, ...]
    shields: tuple[ShieldPhrase, ...] = ()
    contexts: tuple[ContextRule, ...] = ()
    files: tuple[Path, ...] = field(default=())


def _enum(enum: type[Category] | type[Severity], value: Any, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise DictionaryError(f"{where}: {value!r} is not one of {allowed}") from None


def _platforms(value: Any, where: str) -> frozenset[str]:
    platforms = frozenset(value or ())
    unknown = platforms - PLATFORMS
    if unknown:
        raise DictionaryError(f"{where}: unknown platforms {sorted(unknown)}")
    return platforms


def _dictionary_rules(path: Path, document: dict[str, Any]) -> list[Rule]:
    header = document["dictionary"]
    where = path.name
    dictionary_id = header.get("id") or path.stem
    category = _enum(Category, header.get("category"), f"{where} [dictionary].category")
    default_severity = _enum(Severity, header.get("severity", "block"), f"{where} severity")
    default_basis = header.get("legal_basis")
    if not default_basis:
        raise DictionaryError(f"{where}: [dictionary].legal_basis is required")
    default_platforms = _platforms(header.get("platforms"), f"{where} platforms")
    rules = []
    for index, entry in enumerate(header.get("terms", [])):
        entry_where = f"{where} terms[{index}]"
        term = entry.get("text", "").strip()
        if not term:
            raise DictionaryError(f"{entry_where}: text is required")
        rules.append(
            Rule(
                rule_id=entry.get("id") or f"{dictionary_id}:{term}",
                term=term,
                category=category,
                severity=_enum(Severity, entry.get("severity", default_severity), entry_where),
                legal_basis=entry.get("legal_basis", default_basis),
                suggestion=entry.get("rewrite", ""),
                phonetic=bool(entry.get("phonetic", header.get("phonetic", False))),
                platforms=_platforms(entry.get("platforms"), entry_where) or default_platforms,
            )
        )
    return rules


def _compile(pattern: str | None, where: str) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as error:
        raise DictionaryError(f"{where}: bad regular expression: {error}") from None


def _exceptions(
    path: Path, document: dict[str, Any]
) -> tuple[list[ShieldPhrase], list[ContextRule]]:
    shields = [
        ShieldPhrase(text=text, clause=group["clause"])
        for group in document.get("phrases", [])
        for text in group["texts"]
    ]
    contexts = []
    for index, entry in enumerate(document.get("contexts", [])):
        where = f"{path.name} contexts[{index}]"
        effect = entry.get("effect", "suppress")
        contexts.append(
            ContextRule(
                rule_id=entry.get("id") or f"context:{index}",
                clause=entry["clause"],
                terms=frozenset(entry["terms"]),
                before=_compile(entry.get("before"), f"{where}.before"),
                after=_compile(entry.get("after"), f"{where}.after"),
                effect=None if effect == "suppress" else _enum(Severity, effect, where),
                note=entry.get("note", ""),
                window=int(entry.get("window", 16)),
            )
        )
    return shields, contexts


def load_data(data_dir: Path = DEFAULT_DATA_DIR) -> ScannerData:
    rules: list[Rule] = []
    shields: list[ShieldPhrase] = []
    contexts: list[ContextRule] = []
    files = sorted(data_dir.glob("*.toml"))
    for path in files:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise DictionaryError(f"{path.name}: {error}") from None
        if path.name == EXCEPTIONS_FILE:
            shields, contexts = _exceptions(path, document)
        elif "dictionary" in document:
            rules.extend(_dictionary_rules(path, document))
    return ScannerData(
        rules=tuple(rules), shields=tuple(shields), contexts=tuple(contexts), files=tuple(files)
    )
