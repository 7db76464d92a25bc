"""The exceptions of SAMR's 2023 guide on absolute terms, and workspace allow and deny lists."""

import pytest

from content_review.scanner import (
    Category,
    DenyTerm,
    Scanner,
    ScannerRegistry,
    Severity,
    WorkspaceLists,
)


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return ScannerRegistry().scanner()


def _absolute(scanner: Scanner, text: str, lists: WorkspaceLists | None = None) -> list[str]:
    return [
        f"{finding.term}:{finding.severity}"
        for finding in scanner.scan(text, lists=lists)
        if finding.category is Category.ABSOLUTE_TERM
    ]


@pytest.mark.parametrize(
    "text",
    [
        "最近天气转凉，注意保暖",  # everyday words
        "第一次来这家店",
        "收到货后第一时间拆开",
        "这款咖啡的最佳饮用时间是早上",  # consumer tips
        "面膜最好在睡前使用",
        "开封后最好冷藏保存",
        "本店最新款连衣裙上架啦",  # own range
        "这是我们品牌第一代产品的升级版",
    ],
)
def test_samr_exceptions_are_not_findings(scanner: Scanner, text: str) -> None:
    assert _absolute(scanner, text) == []


def test_an_aspiration_is_only_a_hint(scanner: Scanner) -> None:
    assert _absolute(scanner, "我们始终追求极致的服务") == ["极致:hint"]


def test_a_conferred_title_is_a_hint_to_keep_the_certificate(scanner: Scanner) -> None:
    assert _absolute(scanner, "国家级非物质文化遗产技艺") == ["国家级:hint"]


def test_a_fact_qualified_by_time_and_scope_goes_to_review(scanner: Scanner) -> None:
    findings = [
        f
        for f in scanner.scan("2023年天猫双11美妆类目销量第一")
        if f.category is Category.ABSOLUTE_TERM
    ]
    assert [(f.term, f.severity) for f in findings] == [("销量第一", Severity.NEEDS_REVIEW)]
    assert "指南" in findings[0].note


def test_the_same_terms_outside_those_contexts_are_findings(scanner: Scanner) -> None:
    assert _absolute(scanner, "这款咖啡口感最佳") == ["最佳:block"]
    assert _absolute(scanner, "这是全行业的最新款") == []  # 最新款 stays a sequence word
    assert _absolute(scanner, "我们的产品销量第一") == ["销量第一:block"]
    assert _absolute(scanner, "国家级产品") == ["国家级:block"]


def test_the_brands_own_name_is_allowed(scanner: Scanner) -> None:
    text = "极致生活旗舰店上新了"
    assert _absolute(scanner, text) == ["极致:block"]
    assert _absolute(scanner, text, WorkspaceLists(allow=("极致生活",))) == []


def test_an_allow_list_cannot_allow_away_the_law(scanner: Scanner) -> None:
    lists = WorkspaceLists(allow=("百病消茶", "治百病"))
    findings = scanner.scan("百病消茶，治百病", lists=lists)
    assert [f.category for f in findings] == [Category.FALSE_CLAIM]


def test_a_workspace_deny_list_adds_terms_with_their_evasions(scanner: Scanner) -> None:
    lists = WorkspaceLists(deny=(DenyTerm("竞品甲", Severity.BLOCK, "删除竞品名称"),))
    findings = scanner.scan("比竞 品 甲好用", lists=lists)
    [finding] = findings
    assert finding.category is Category.WORKSPACE_DENY
    assert finding.text == "竞 品 甲"
    assert finding.severity is Severity.BLOCK
    assert finding.suggestion == "删除竞品名称"
    assert scanner.scan("比竞品甲好用") == []  # other workspaces are unaffected


def test_workspace_lists_are_compiled_once_and_reused(scanner: Scanner) -> None:
    lists = WorkspaceLists(deny=(DenyTerm("某某"),))
    first = scanner._workspace_terms(lists)
    assert scanner._workspace_terms(WorkspaceLists(deny=(DenyTerm("某某"),))) is first
