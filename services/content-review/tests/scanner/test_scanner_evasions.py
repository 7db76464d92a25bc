"""Each evasion is found, and its span points at what the author actually wrote."""

import pytest

from content_review.scanner import Category, MatchKind, Scanner, ScannerRegistry, Severity


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return ScannerRegistry().scanner()


@pytest.mark.parametrize(
    ("text", "disguised", "term"),
    [
        ("这款茶能治 百 病哦", "治 百 病", "治百病"),  # spaces
        ("这款茶能治.百.病哦", "治.百.病", "治百病"),  # symbols
        ("这款茶能治😀百🌟病哦", "治😀百🌟病", "治百病"),  # emoji
        ("这款茶能治\u200b百\u200b病哦", "治\u200b百\u200b病", "治百病"),  # zero-width
        ("这款茶能治治治百百病哦", "治治治百百病", "治百病"),  # repeats
        ("这款茶能治百病病病哦", "治百病病病", "治百病"),  # repeats after the term
        ("这款茶能治療百病嗎", "治療", "治疗"),  # traditional
        ("包治百病，藥到病除", "藥到病除", "药到病除"),  # traditional
        ("私信加ＶＸ", "加ＶＸ", "加vx"),  # full width
        ("私信加𝐯𝐱", "加𝐯𝐱", "加vx"),  # mathematical letters
        ("私信加Vx", "加Vx", "加vx"),  # case
        ("全网 最 低 价", "全网 最 低", "全网最低"),
    ],
)
def test_literal_evasions_are_found_with_original_spans(
    scanner: Scanner, text: str, disguised: str, term: str
) -> None:
    findings = scanner.scan(text, platform="xiaohongshu")
    matching = [finding for finding in findings if finding.term == term]
    assert matching, findings
    finding = matching[0]
    assert finding.text == disguised
    assert text[finding.start : finding.end] == disguised
    assert finding.match is MatchKind.LITERAL


@pytest.mark.parametrize(
    ("text", "disguised", "term"),
    [
        ("想要的加weixin", "加weixin", "加微信"),
        ("想要的加 wei xin", "加 wei xin", "加微信"),
        ("想要的加wei信", "加wei信", "加微信"),
        ("这茶zhi bai bing", "zhi bai bing", "治百病"),
        ("这茶能zhi百病", "zhi百病", "治百病"),
    ],
)
def test_pinyin_spellings_are_found_at_full_severity(
    scanner: Scanner, text: str, disguised: str, term: str
) -> None:
    findings = scanner.scan(text, platform="xiaohongshu")
    [finding] = [finding for finding in findings if finding.term == term]
    assert finding.text == disguised
    assert finding.match is MatchKind.PINYIN
    assert finding.severity is Severity.BLOCK


@pytest.mark.parametrize(
    ("text", "disguised", "term"),
    [
        ("想要的加威信", "加威信", "加微信"),
        ("想要的加薇信", "加薇信", "加微信"),
        ("这茶能治白病", "治白病", "治百病"),
        ("同城约跑", "约跑", "约炮"),
    ],
)
def test_homophones_are_found_for_review(
    scanner: Scanner, text: str, disguised: str, term: str
) -> None:
    findings = scanner.scan(text, platform="douyin")
    [finding] = [finding for finding in findings if finding.term == term]
    assert finding.text == disguised
    assert finding.match is MatchKind.HOMOPHONE
    # A homophone can be an innocent word, so it waits for a person rather than blocking.
    assert finding.severity is Severity.NEEDS_REVIEW
    assert finding.note


def test_absolute_terms_have_no_phonetic_matching(scanner: Scanner) -> None:
    # 醉佳 sounds like 最佳, but single absolute terms are everyday sounds: no phonetic channel.
    assert [f for f in scanner.scan("醉佳") if f.category is Category.ABSOLUTE_TERM] == []


def test_sounds_lining_up_across_a_sentence_break_are_no_homophone(scanner: Scanner) -> None:
    # 服 + 周 sound like 符咒, 质 + 雨 like 治愈: only because two lines meet.
    text = "打字很舒服\n周年庆活动；后调是木质。雨天出门记得带伞"
    assert scanner.scan(text) == []
    assert [f.term for f in scanner.scan("帮你画符州")] == ["符咒"]  # within one sentence


def test_a_literal_term_written_vertically_is_still_found(scanner: Scanner) -> None:
    [finding] = scanner.scan("治\n百\n病")
    assert finding.term == "治百病"
