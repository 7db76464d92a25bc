"""Dictionaries reload without a restart; a broken file is reported and changes nothing."""

import os
import shutil
from pathlib import Path

import pytest

from content_review.scanner import DEFAULT_DATA_DIR, DictionaryError, ScannerRegistry

EXTRA = """
[dictionary]
id = "extra"
category = "false_claim"
severity = "block"
legal_basis = "《广告法》第二十八条"
terms = [{ text = "神奇疗法", rewrite = "删除" }]
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


def _touch_later(path: Path) -> None:
    # mtime granularity can be coarse: move it forward explicitly so the change is visible.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_an_added_dictionary_file_is_picked_up_without_a_restart(data_dir: Path) -> None:
    registry = ScannerRegistry(data_dir)
    before = registry.scanner()
    assert before.scan("试试神奇疗法") == []
    (data_dir / "extra.toml").write_text(EXTRA, encoding="utf-8")
    after = registry.scanner()
    assert after is not before
    assert [f.rule_id for f in after.scan("试试神奇疗法")] == ["extra:神奇疗法"]


def test_an_edited_term_takes_effect_and_an_unchanged_directory_is_not_rebuilt(
    data_dir: Path,
) -> None:
    registry = ScannerRegistry(data_dir)
    first = registry.scanner()
    assert registry.scanner() is first
    path = data_dir / "sensitive_religion.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('{ text = "算命"', '{ text = "看手相"'),
        encoding="utf-8",
    )
    _touch_later(path)
    rebuilt = registry.scanner()
    assert [f.term for f in rebuilt.scan("帮你看手相")] == ["看手相"]
    assert rebuilt.scan("帮你算命") == []


def test_a_removed_file_drops_its_terms(data_dir: Path) -> None:
    registry = ScannerRegistry(data_dir)
    assert registry.scanner().scan("同城约炮")
    (data_dir / "sensitive_pornography.toml").unlink()
    assert registry.scanner().scan("同城约炮") == []


def test_explicit_reload_rebuilds(data_dir: Path) -> None:
    registry = ScannerRegistry(data_dir)
    first = registry.scanner()
    assert registry.reload() is not first


def test_a_broken_file_raises_and_the_previous_scanner_keeps_serving(data_dir: Path) -> None:
    registry = ScannerRegistry(data_dir)
    working = registry.scanner()
    bad = data_dir / "broken.toml"
    bad.write_text(EXTRA.replace('category = "false_claim"', 'category = "gossip"'), "utf-8")
    with pytest.raises(DictionaryError, match=r"broken\.toml.*gossip"):
        registry.scanner()
    bad.unlink()
    assert registry.scanner() is working


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('[dictionary]\ncategory = "politics"\nterms = [{ text = "x" }]', "legal_basis"),
        (
            '[dictionary]\ncategory = "politics"\nlegal_basis = "b"\nterms = [{ rewrite = "x" }]',
            r"terms\[0\]: text is required",
        ),
        (
            '[dictionary]\ncategory = "politics"\nlegal_basis = "b"\nplatforms = ["myspace"]',
            "unknown platforms",
        ),
        ("[dictionary\n", "bad.toml"),
    ],
)
def test_bad_dictionaries_name_the_file_and_the_field(
    data_dir: Path, document: str, message: str
) -> None:
    (data_dir / "bad.toml").write_text(document, encoding="utf-8")
    with pytest.raises(DictionaryError, match=message):
        ScannerRegistry(data_dir).scanner()


def test_a_bad_context_expression_is_reported(data_dir: Path) -> None:
    path = data_dir / "exceptions.toml"
    path.write_text(
        path.read_text(encoding="utf-8") + '\n[[contexts]]\nclause = "c"\nterms = ["最"]\n'
        'before = "(unclosed"\n',
        encoding="utf-8",
    )
    with pytest.raises(DictionaryError, match="before: bad regular expression"):
        ScannerRegistry(data_dir).scanner()
