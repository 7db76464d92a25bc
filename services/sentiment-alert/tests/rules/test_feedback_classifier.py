import pytest

from sentiment_alert.feedback.classifier import classify


@pytest.mark.parametrize(
    ("text", "aspect", "churn"),
    [
        ("配送太慢，再也不买了", "delivery", True),
        ("快递三天了还没到", "delivery", False),
        ("物流太慢了，換別家", "delivery", True),  # traditional: 换别家
        ("客服态度很差，一直不回复", "service", False),
        ("申请售后退货没人理", "service", False),
        ("这个面霜让我过敏了，烂脸", "product", False),
        ("质量太差，用了一周就坏了", "product", False),
        ("太贵了，不值这个价格", "price", False),
        ("双十一刚买就降价，不补差价，取关了", "price", True),
        ("The delivery was late again", "delivery", False),
        ("Customer service was rude, never buying again", "service", True),
        ("The product broke after a week", "product", False),
        ("Way too expensive for what it is", "price", False),
        ("还行吧", "other", False),
    ],
)
def test_aspect_and_churn(text, aspect, churn):
    found = classify(text)
    assert (found.aspect, found.churn_related) == (aspect, churn)
