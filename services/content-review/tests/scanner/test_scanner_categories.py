"""Each category of the shipped dictionaries, and what every finding carries."""

import pytest

from content_review.scanner import Category, Finding, Scanner, ScannerRegistry, Severity


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return ScannerRegistry().scanner()


def _categories(findings: list[Finding]) -> set[Category]:
    return {finding.category for finding in findings}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("用国旗做背景拍广告", Category.POLITICS),
        ("本品为政府推荐产品", Category.POLITICS),
        ("大师亲自开光的手串", Category.RELIGION),
        ("戴上它能辟邪", Category.RELIGION),
        ("同城约炮不收费", Category.PORNOGRAPHY),
        ("这款茶能治百病", Category.FALSE_CLAIM),
        ("面霜三天祛痘", Category.FALSE_CLAIM),
        ("喝了能降血压", Category.FALSE_CLAIM),
        ("全网最低价", Category.ABSOLUTE_TERM),
        ("国家级产品，顶级品质", Category.ABSOLUTE_TERM),
        ("追光而行，极致体验", Category.ABSOLUTE_TERM),
    ],
)
def test_each_category_is_found(scanner: Scanner, text: str, category: Category) -> None:
    assert category in _categories(scanner.scan(text))


def test_ordinary_copy_has_no_finding(scanner: Scanner) -> None:
    text = "周末和朋友去公园野餐，带了自己烤的蛋糕和一壶柠檬茶，阳光很好，大家聊得很开心。"
    assert scanner.scan(text, platform="xiaohongshu") == []


def test_a_finding_carries_span_basis_and_rewrite(scanner: Scanner) -> None:
    text = "我们的面膜是全网最低价"
    [finding] = [f for f in scanner.scan(text) if f.term == "全网最低"]
    assert text[finding.start : finding.end] == finding.text == "全网最低"
    assert finding.category is Category.ABSOLUTE_TERM
    assert finding.severity is Severity.BLOCK
    assert finding.rule_id == "absolute:全网最低"
    assert "第九条第（三）项" in finding.legal_basis
    assert finding.suggestion


def test_a_term_overrides_its_dictionarys_legal_basis(scanner: Scanner) -> None:
    [finding] = scanner.scan("化妆品里的药妆系列")
    assert "化妆品监督管理条例" in finding.legal_basis


def test_a_shorter_term_inside_a_longer_one_of_its_category_is_not_repeated(
    scanner: Scanner,
) -> None:
    findings = scanner.scan("这是最佳选择")
    assert [finding.term for finding in findings] == ["最佳"]


def test_platform_rules_apply_only_on_their_platforms(scanner: Scanner) -> None:
    text = "喜欢的话加微信聊"
    assert Category.PLATFORM_RULE in _categories(scanner.scan(text, platform="xiaohongshu"))
    assert Category.PLATFORM_RULE in _categories(scanner.scan(text, platform="douyin"))
    assert Category.PLATFORM_RULE not in _categories(scanner.scan(text, platform="wechat"))
    assert Category.PLATFORM_RULE not in _categories(scanner.scan(text))


def test_latin_terms_need_word_boundaries(scanner: Scanner) -> None:
    assert scanner.scan("add me on vx please", platform="douyin")
    assert scanner.scan("canvxas is not a contact", platform="douyin") == []


@pytest.mark.parametrize("text", ["", "   ", "\ud800", "<script>alert(1)</script>", "a" * 5000])
def test_edge_inputs_scan_without_failing(scanner: Scanner, text: str) -> None:
    assert scanner.scan(text, platform="douyin") == []


def test_a_lone_surrogate_does_not_hide_a_term(scanner: Scanner) -> None:
    text = "\ud800治\udfff百病"
    [finding] = scanner.scan(text)
    assert (finding.start, finding.end, finding.term) == (1, 5, "治百病")
