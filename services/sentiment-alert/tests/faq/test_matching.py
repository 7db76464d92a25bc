"""The matcher without a database: segmentation for Chinese and English, BM25 ranking, the
confidence a threshold is held to, and the rule that decides what happens to a message."""

import pytest

from sentiment_alert.faq.matching import Candidate, FaqIndex, Variant
from sentiment_alert.faq.tokens import tokens
from sentiment_alert.replies.decision import decide

ALL = frozenset()


def _index():
    return FaqIndex(
        [
            Variant(1, "什么时候发货", ALL),
            Variant(1, "发货要多久", ALL),
            Variant(1, "How long does shipping take?", ALL),
            Variant(2, "支持七天无理由退货吗", ALL),
            Variant(2, "怎么退货", ALL),
            Variant(2, "How do I return an item?", ALL),
            Variant(3, "粉底液适合油皮吗", ALL),
            Variant(4, "有什么优惠券", frozenset({"xiaohongshu"})),
        ]
    )


def test_tokens_fold_traditional_full_width_synonyms_and_english_forms():
    assert tokens("發貨要幾天") == ["发货", "多久"]  # traditional; 几天 asks 多久
    assert tokens("ＳＨＩＰＰＩＮＧ") == tokens("shipped") == tokens("ships") == ["ship"]
    assert "请问" not in tokens("请问什么时候发货") and "发货" in tokens("请问什么时候发货")
    assert tokens("the and of ?!") == []


def test_the_entry_asked_about_ranks_first_in_both_languages():
    index = _index()
    assert index.search("请问几天发货呀")[0].entry_id == 1
    assert index.search("what about shipping, how long?")[0].entry_id == 1
    assert index.search("可以退货吗")[0].entry_id == 2
    assert index.search("Can I return this item?")[0].entry_id == 2
    assert index.search("我是油皮，这个粉底液能用吗")[0].entry_id == 3


def test_asking_a_variant_is_certain_and_one_candidate_per_entry():
    found = _index().search("发货要多久？")
    assert found[0] == Candidate(1, "发货要多久", found[0].score, 1.0)
    assert len({c.entry_id for c in found}) == len(found)


def test_unrelated_or_partly_related_questions_score_low():
    index = _index()
    assert index.search("今天天气不错") == []
    lipstick = index.search("口红有什么色号")  # shares only 什么 with a variant
    assert lipstick and lipstick[0].confidence < 0.5
    # The known question plus an unknown one: the variant explains only part of the message.
    mixed = index.search("发货要多久，另外你们的包装袋可以回收吗")
    assert mixed[0].entry_id == 1 and mixed[0].confidence < 0.8


def test_entries_limited_to_other_platforms_are_left_out():
    index = _index()
    assert index.search("有什么优惠券", platform="xiaohongshu")[0].entry_id == 4
    assert all(c.entry_id != 4 for c in index.search("有什么优惠券", platform="weibo"))


def test_an_empty_faq_finds_nothing():
    assert FaqIndex([]).search("什么时候发货") == []


SURE = Candidate(1, "发货要多久", 5.0, 0.9)


@pytest.mark.parametrize(
    ("label", "crisis", "risk", "best", "mode", "expected"),
    [
        ("neu", False, False, SURE, "auto_send", ("replying", "matched")),
        ("pos", False, False, SURE, "propose", ("proposed", "matched")),
        ("neg", False, False, SURE, "auto_send", ("queued", "negative")),
        ("neu", True, False, SURE, "auto_send", ("queued", "crisis")),
        ("neu", False, True, SURE, "auto_send", ("queued", "risk")),
        ("neu", False, False, None, "auto_send", ("queued", "no_match")),
        (
            "neu",
            False,
            False,
            Candidate(1, "q", 1.0, 0.59),
            "auto_send",
            ("queued", "low_confidence"),
        ),
    ],
)
def test_guards_win_over_a_match_and_the_threshold_decides(
    label, crisis, risk, best, mode, expected
):
    decision = decide(
        label=label, crisis_related=crisis, risk=risk, best=best, threshold=0.6, mode=mode
    )
    assert (decision.status, decision.reason) == expected
