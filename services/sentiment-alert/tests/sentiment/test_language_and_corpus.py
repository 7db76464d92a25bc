import json
from pathlib import Path

import pytest

from sentiment_alert.sentiment import detect_language
from sentiment_alert.sentiment.corpus import HELD_OUT_BUCKETS, is_held_out

SOCIAL_SET = Path(__file__).parents[2] / "evaluation" / "social_sentences.jsonl"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("配送太慢，再也不买了", "zh"),
        ("這個產品真的很好用", "zh"),  # traditional characters are Han too
        ("这个iPhone真的yyds", "zh"),
        ("The delivery was late again", "en"),
        ("love it", "en"),
        ("Worst customer service ever", "en"),
        ("Das Paket ist heute angekommen", "other"),
        ("Très déçu", "other"),
        ("配送が遅いです", "other"),
        ("배송이 느려요", "other"),
        ("Доставка опоздала", "other"),
        ("😡😡😡", "other"),
        ("", "other"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_held_out_rule_is_stable_and_takes_about_a_tenth() -> None:
    sentences = [f"第{n}条评论，质量还可以" for n in range(5_000)]
    held = [s for s in sentences if is_held_out(s)]
    assert abs(len(held) / len(sentences) - 1 / HELD_OUT_BUCKETS) < 0.02
    assert all(is_held_out(s) for s in held)
    assert is_held_out("  " + held[0] + "\n")  # surrounding whitespace does not move a sentence


def test_social_set_is_well_formed_and_never_in_training_data() -> None:
    rows = [json.loads(line) for line in SOCIAL_SET.read_text("utf-8").splitlines() if line]
    assert len(rows) >= 300
    assert {r["label"] for r in rows} == {"pos", "neu", "neg"}
    assert {r["lang"] for r in rows} == {"zh", "en"}
    assert len({r["text"] for r in rows}) == len(rows)
    with_letters = [r for r in rows if any(c.isalpha() for c in r["text"])]
    assert all(detect_language(r["text"]) == r["lang"] for r in with_letters)
