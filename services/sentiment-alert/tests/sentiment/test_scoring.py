"""The scorer's behaviour on the phenomena it claims to handle: negation, intensifiers, emoji,
slang, contrast, English; and the shipped model files."""

import gzip
from importlib.resources import files

import pytest

from sentiment_alert.sentiment import score
from sentiment_alert.sentiment.model import parse_model
from sentiment_alert.sentiment.rules import evaluate
from sentiment_alert.sentiment.scorer import NEUTRAL_BAND, NEUTRAL_BAND_WITHOUT_EVIDENCE
from sentiment_alert.sentiment.text import ngram_features, normalise, tokens


def evidence(text: str) -> float:
    return evaluate(tokens(normalise(text))).net


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("这个产品好用", "这个产品不好用"),
        ("客服很满意", "客服并不满意"),
        ("味道喜欢", "味道没有喜欢"),
        ("This phone is good", "This phone is not good"),
        ("I like the new design", "I don't like the new design"),
    ],
)
def test_negation_flips_a_positive_verdict(plain: str, negated: str) -> None:
    assert score(plain).label == "pos"
    assert score(negated).label == "neg"
    assert score(negated).score < 0 < score(plain).score


def test_negated_negative_word_is_no_longer_negative() -> None:
    assert evidence("质量差") < 0
    assert evidence("质量不差") > 0
    assert score("质量不差").score > score("质量差").score


def test_soft_negation_is_milder_than_plain_negation() -> None:
    assert evidence("不好用") < evidence("不太好用") < 0


@pytest.mark.parametrize(
    ("plain", "intensified"),
    [
        ("好吃", "非常好吃"),
        ("失望", "太失望"),
        ("难用", "超级难用"),
        ("good", "very good"),
        ("bad", "extremely bad"),
    ],
)
def test_intensifier_raises_the_lexicon_evidence(plain: str, intensified: str) -> None:
    assert abs(evidence(intensified)) > abs(evidence(plain)) > 0


# Not 超级难用: the n-gram 超级 learned a positive weight from reviews (超级好, 超级喜欢), which
# cancels the intensifier's extra evidence, so 超级难用 scores about as negative as 难用.
@pytest.mark.parametrize(
    ("plain", "intensified"),
    [("好吃", "非常好吃"), ("失望", "太失望"), ("good", "very good"), ("bad", "extremely bad")],
)
def test_intensifier_raises_the_score(plain: str, intensified: str) -> None:
    assert score(plain).label == score(intensified).label != "neu"
    assert abs(score(intensified).score) > abs(score(plain).score)


def test_downtoner_lowers_the_magnitude() -> None:
    assert 0 > evidence("有点失望") > evidence("失望")


@pytest.mark.parametrize(
    ("text", "label"),
    [("收到了😡", "neg"), ("收到了🤮", "neg"), ("收到了👍", "pos"), ("收到了😍", "pos")],
)
def test_emoji_carries_the_sentiment(text: str, label: str) -> None:
    assert score("收到了").label == "neu"
    assert score(text).label == label


def test_weibo_emoticons_and_emoji_modifiers_are_understood() -> None:
    assert score("客服电话打不通[怒][怒]").label == "neg"
    assert evidence("👍🏻") == evidence("👍")  # a skin tone does not hide the emoji
    assert score("❤️❤️").label == "pos"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("这个面霜yyds", "pos"),
        ("绝绝子", "pos"),
        ("真香，已经回购了", "pos"),
        ("闭眼入", "pos"),
        ("踩雷了", "neg"),
        ("拔草了，和图片差太多", "neg"),
        ("纯纯智商税", "neg"),
        ("又翻车了", "neg"),
        ("避雷这家", "neg"),
    ],
)
def test_internet_slang(text: str, label: str) -> None:
    assert score(text).label == label


def test_contrast_word_gives_the_last_clause_the_verdict() -> None:
    assert score("包装挺好看的，但是东西太差了").label == "neg"
    assert score("虽然贵了点，但是真的好用").label == "pos"
    assert score("Nice packaging but the product is awful").label == "neg"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Absolutely love it, best purchase this year", "pos"),
        ("Worst customer service ever", "neg"),
        ("Total scam, avoid", "neg"),
        ("What time does the store open tomorrow?", "neu"),
    ],
)
def test_english(text: str, label: str) -> None:
    assert score(text).label == label


@pytest.mark.parametrize("text", ["", "   ", "12345", "……"])
def test_text_without_words_is_neutral(text: str) -> None:
    result = score(text)
    assert result.label == "neu"
    assert result.score == 0.0


def test_full_width_and_case_are_normalised() -> None:
    assert score("ＹＹＤＳ！").score == pytest.approx(score("yyds!").score)


def test_score_is_bounded_and_matches_the_label() -> None:
    for text in ["非常非常非常好！！！", "垃圾垃圾垃圾😡😡😡", "还行吧"]:
        result = score(text)
        assert -1.0 <= result.score <= 1.0
        assert 0.0 <= result.probability_positive <= 1.0
        if result.label == "pos":
            assert result.score >= NEUTRAL_BAND
        elif result.label == "neg":
            assert result.score <= -NEUTRAL_BAND
        else:
            assert abs(result.score) < NEUTRAL_BAND_WITHOUT_EVIDENCE


def test_the_shipped_model_has_weights_and_lexicon_features() -> None:
    packed = files("sentiment_alert.sentiment").joinpath("data/model.tsv.gz").read_bytes()
    model = parse_model(gzip.decompress(packed).decode("utf-8"))
    assert len(model.weights) > 10_000
    assert model.positive_weight > 0 > model.negative_weight
    # The n-grams alone, without the lexicon features, already separate plain reviews.
    praise = ngram_features(tokens(normalise("物流很快，包装完好，五星")))
    complaint = ngram_features(tokens(normalise("发错货了，客服也不理人")))
    assert model.logit(praise, 0.0, 0.0) > 0 > model.logit(complaint, 0.0, 0.0)
