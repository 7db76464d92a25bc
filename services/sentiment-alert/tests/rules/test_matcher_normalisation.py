"""The matcher's string path gives the shared normalisation's text exactly, so a rule matches
what the content scanner would."""

import pytest

from sentiment_alert.monitoring.matcher import RuleMatcher
from sentiment_alert.monitoring.normalised import normalised_text
from yunying_shared.text import normalize

TEXTS = [
    "花.西.子過敏！！！",
    "ＦＬＯＲＡＳＩＳ powder",
    "aaa111bbb 1000元",
    "好好好😀😀😀 哈哈哈哈",
    "\ud800 lone surrogate",
    "𝐯𝐱 ① ② Ｖ　Ｘ",
    "花\u200b西\u200b子 zero width",
    "質量問題，要投訴、曝光！",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_text_as_the_shared_normalisation(text):
    assert normalised_text(text) == normalize(text).text


def test_rules_match_disguised_terms():
    matcher = RuleMatcher(
        [("花西子", "brand", ["Florasis"]), ("质量问题", "risk", []), ("投诉", "risk", [])]
    )
    found = matcher.match("花.西.子的質量問題，ＦＬＯＲＡＳＩＳ必须投-诉")
    assert found.keywords == ("花西子", "质量问题", "投诉")
    assert matcher.match("今天天气不错").keywords == ()
