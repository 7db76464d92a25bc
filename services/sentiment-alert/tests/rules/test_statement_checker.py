"""The statement checker on drafts a brand might really write, in Chinese and English."""

import pytest

from sentiment_alert.crises.statement import check_statement

COMPLETE_ZH = (
    "经核实，该批次空气散粉确实存在质量问题，我们向受影响的消费者郑重道歉。即日起该批次全部"
    "下架召回，购买者可在7日内凭订单申请全额退款，客服热线400-123-4567。"
)
COMPLETE_EN = (
    "We acknowledge that batch 42 of our setting powder was contaminated. We apologize to "
    "everyone affected. We will refund every order within 14 days; contact "
    "care@brand.example."
)


@pytest.mark.parametrize("draft", [COMPLETE_ZH, COMPLETE_EN])
def test_a_complete_statement_is_ready(draft):
    check = check_statement(draft)
    assert (check.acknowledges, check.apologises, check.remedy, check.remedy_concrete) == (
        True,
        True,
        True,
        True,
    )
    assert check.ready and check.missing == []


@pytest.mark.parametrize(
    ("draft", "missing"),
    [
        ("我们高度重视，正在调查，将积极处理。", ["acknowledgement", "apology", "remedy"]),
        ("给大家带来不便，我们深表歉意。", ["acknowledgement", "remedy"]),
        ("经核实确实存在问题，我们深表歉意，将为大家退款。", ["remedy_detail"]),
        ("我们不会道歉，产品经检测合格。", ["acknowledgement", "apology", "remedy"]),
        (
            "We take this seriously and are looking into it.",
            ["acknowledgement", "apology", "remedy"],
        ),
        ("We are sorry. We will offer a replacement.", ["acknowledgement", "remedy_detail"]),
        ("We acknowledge the problem and will recall the product.", ["apology", "remedy_detail"]),
        ("對於這次品質問題，我們深表歉意，經核實屬實，7日內全額退款。", []),
    ],
)
def test_what_is_missing_is_named(draft, missing):
    assert check_statement(draft).missing == missing


def test_vague_promises_are_called_out():
    check = check_statement("我们高度重视，正在调查。")
    assert any("高度重视" in advice for advice in check.advice)


def test_recall_is_not_a_contact_channel():
    # "recall" holds "call": a remedy without a deadline or channel stays vague.
    assert check_statement("We apologise, our mistake. We will recall it.").missing == [
        "remedy_detail"
    ]
