"""The shared normalisation: each evasion it defeats, and spans that point back at the original."""

import pytest

from yunying_shared.text import normalize, normalize_term, phonetic_variants


def _original_of(text: str, start: int, end: int) -> str:
    normalised = normalize(text)
    span = normalised.original_span(start, end)
    return text[span[0] : span[1]]


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("ＶＸ", "vx"),  # full-width letters
        ("ｗｅｉｘｉｎ１２３", "weixin123"),  # full-width digits too
        ("𝐯𝐱", "vx"),  # mathematical bold letters
        ("VX", "vx"),  # case
        ("治療百病", "治疗百病"),  # traditional -> simplified
        ("臺灣國際", "台湾国际"),
        ("加 微 信", "加微信"),  # spaces
        ("加.微-信!", "加微信"),  # punctuation
        ("加😀微🌟信", "加微信"),  # emoji as separators
        ("加\u200b微\u200d信", "加微信"),  # zero-width characters
        ("最\u0336佳", "最佳"),  # combining strike-through overlay
        ("治治治百百病", "治百病"),  # repeated characters
        ("最.最.最好", "最好"),  # repeats separated by symbols
        ("ｖｖｖｘ", "vx"),
    ],
)
def test_each_evasion_normalises_to_the_plain_term(disguised: str, plain: str) -> None:
    assert normalize(disguised).text == plain


def test_digits_do_not_collapse_so_amounts_stay_distinct() -> None:
    assert normalize("1000元").text == "1000元"
    assert normalize("100%有效").text != normalize("10%有效").text


def test_the_percent_sign_is_kept_because_listed_claims_depend_on_it() -> None:
    assert normalize("１００ ％ 有效").text == "100%有效"
    assert "%" not in normalize("100元").text


def test_a_term_is_normalised_by_the_same_pipeline() -> None:
    assert normalize_term("加 ＶＸ") == normalize("加vx").text


def test_spans_map_back_to_the_original_characters() -> None:
    text = "今天 加 . 薇 ！ 信，好吗"
    normalised = normalize(text)
    start = normalised.text.index("加薇信")
    span = normalised.original_span(start, start + 3)
    assert text[span[0] : span[1]] == "加 . 薇 ！ 信"


def test_spans_skip_collapsed_repeats_and_keep_the_first_occurrence() -> None:
    text = "啊 治治治 百百病 呀"
    normalised = normalize(text)
    start = normalised.text.index("治百病")
    assert _original_of(text, start, start + 3) == "治治治 百百病"
    assert normalised.original_index(start) == text.index("治")


def test_spans_cover_characters_outside_the_basic_plane() -> None:
    text = "👍👍加𝐯𝐱"
    normalised = normalize(text)
    start = normalised.text.index("加vx")
    assert _original_of(text, start, start + 3) == "加𝐯𝐱"


def test_every_normalised_character_maps_to_one_original_character() -> None:
    text = "ＡＢ 臺灣、、好好好 1000 😀 ｖ ｘ\u200b结束"
    normalised = normalize(text)
    for index, ch in enumerate(normalised.text):
        source = text[normalised.original_index(index)]
        assert normalize(source).text == ch


def test_homophones_share_one_phonetic_spelling() -> None:
    assert normalize("威信").phonetic == normalize("微信").phonetic
    assert normalize("微信").phonetic != normalize("威望").phonetic
    assert len(normalize("微信好").phonetic) == len(normalize("微信好").text)


def test_variants_cover_pinyin_mixed_and_homophone_spellings() -> None:
    variants = phonetic_variants("微信")
    assert "weixin" in variants
    for spelling in ("威信", "wei信", "微xin", "weixin", "WEI XIN", "维新"):
        assert normalize(spelling).phonetic in variants, spelling


def test_variants_use_the_reading_in_context_for_polyphones() -> None:
    # 重 reads zhong on its own but chong in 重复.
    assert "chongfu" in phonetic_variants("重复")


def test_single_syllable_terms_have_no_phonetic_variants() -> None:
    assert phonetic_variants("最") == set()


def test_spelled_variants_collapse_repeated_letters_like_the_texts() -> None:
    variants = phonetic_variants("新年")
    assert normalize("xin nian").phonetic in variants


def test_a_span_covers_the_collapsed_repeats_of_its_last_character() -> None:
    text = "治百病病 病!"
    normalised = normalize(text)
    assert normalised.original_span(0, 3) == (0, len("治百病病 病"))


@pytest.mark.parametrize(
    ("text", "term", "bounded"),
    [
        ("加vx", "vx", True),
        ("add me on vx now", "vx", True),
        ("nvxa", "vx", False),
        ("v x", "vx", True),
        ("wei xin号", "weixin", True),
        ("weixinhao", "weixin", False),
        ("vvxx", "vx", True),  # stutter, not another word
        ("vxa", "vx", False),
    ],
)
def test_latin_matches_need_word_boundaries(text: str, term: str, bounded: bool) -> None:
    normalised = normalize(text)
    start = normalised.text.index(term)
    assert normalised.latin_word_bounded(start, start + len(term)) is bounded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("!!! ...", ""),
        ("\ud800治\udfff百病", "治百病"),  # lone surrogates, as JSON can carry them
        ("\x00治\x00百病", "治百病"),
        (chr(0x31350) + "治", chr(0x31350) + "治"),  # beyond the per-character tables
    ],
)
def test_edge_inputs_normalise_without_failing(text: str, expected: str) -> None:
    normalised = normalize(text)
    assert normalised.text == expected
    normalised.text.encode("utf-8")  # what the matchers need
