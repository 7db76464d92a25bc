"""The batch scorer gives what the per-text scorer gives: same labels, same scores (only the
order in which weights are added differs), on the evaluation texts and on edge cases."""

import json
from pathlib import Path

from sentiment_alert.sentiment import score
from sentiment_alert.sentiment.batch import score_many
from sentiment_alert.sentiment.corpus import held_out_split

SOCIAL_SET = Path(__file__).resolve().parents[2] / "evaluation" / "social_sentences.jsonl"
EDGE_CASES = [
    "",  # nothing at all
    "!!!",  # punctuation only
    "😂",  # an emoji alone
    "[怒]",  # a Weibo emoticon alone
    "abc def xyz",  # words the model does not know
    "好",  # one character
    "好用好用好用好用",  # repeated n-grams count once
    "花西子 yyds，但是客服太差了😡",  # mixed scripts, contrast
    "ＦＬＯＲＡＳＩＳ 真的好用",  # full width
]


def test_batch_scores_equal_single_scores() -> None:
    lines = SOCIAL_SET.read_text("utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line]
    texts += [item.text for item in held_out_split()[:400]] + EDGE_CASES
    batch = score_many(texts)
    assert len(batch) == len(texts)
    for text, together in zip(texts, batch, strict=True):
        alone = score(text)
        assert together.label == alone.label, text
        assert abs(together.score - alone.score) < 1e-9, text


def test_an_empty_batch_scores_nothing() -> None:
    assert score_many([]) == []
