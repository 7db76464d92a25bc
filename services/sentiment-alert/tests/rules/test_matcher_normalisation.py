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


def test_terms_inside_terms_and_terms_shared_by_rules_are_all_found():
    matcher = RuleMatcher(
        [
            ("花西子", "brand", ["花西子散粉", "散粉"]),
            ("散粉测评", "competitor", ["散粉"]),  # shares a term with the first rule
            ("退款", "risk", []),
        ]
    )
    found = matcher.match("花西子散粉要退款")
    # Rules in their order; each rule's terms found, sorted, the overlapping ones included.
    assert found.keywords == ("花西子", "散粉测评", "退款")
    assert found.terms == ("散粉", "花西子", "花西子散粉", "散粉", "退款")


def test_many_rules_match_as_the_term_by_term_check_would():
    rules = [(f"品牌{n}", "brand", [f"产品{n}号", f"brand{n}x"]) for n in range(300)]
    matcher = RuleMatcher(rules)
    text = "产品7号和BRAND42X都不如品牌299，品牌2也一般"
    normalised = normalised_text(text)
    expected = [rule.keyword for rule in matcher.rules if any(t in normalised for t in rule.terms)]
    assert list(matcher.match(text).keywords) == expected
    assert expected == ["品牌2", "品牌7", "品牌29", "品牌42", "品牌299"]
    assert RuleMatcher([]).match(text).keywords == ()
