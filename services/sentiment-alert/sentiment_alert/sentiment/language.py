"""Language of a mention: "zh", "en" or "other", by a script-ratio rule (no library).

Why a rule: the service only needs to route Chinese and English, and mentions are short and
mixed ("这个iPhone真的yyds"), where statistical identifiers are least reliable; counting scripts
costs microseconds and never downloads a model. Han characters decide for Chinese unless kana
or Hangul say Japanese or Korean; Latin text is English when it contains a common English
function word (or is one or two words long), otherwise "other"."""

from __future__ import annotations

import re
from typing import Final, Literal

Language = Literal["zh", "en", "other"]

_HAN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA: Final = re.compile(r"[\u3040-\u30ff]")
_HANGUL: Final = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN_WORD: Final = re.compile(r"[A-Za-z\u00c0-\u00ff\u0100-\u017f]+(?:'[A-Za-z]+)?")
_ACCENTED_LATIN: Final = re.compile(r"[\u00c0-\u00ff\u0100-\u017f]")
_OTHER_LETTER: Final = re.compile(r"[\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0e00-\u0e7f]")

_FUNCTION_WORDS: Final = (
    "a an the is are was were be been am i you he she it we they my your our their this that "
    "these those and or but not no to of in on at for with from by as so do does did don't "
    "can't won't isn't it's i'm what when where why how who have has had will would should "
    "could just very really too all any some there here me him her them us"
)
ENGLISH_FUNCTION_WORDS: Final = frozenset(_FUNCTION_WORDS.split())
# German, French, Spanish, Portuguese, Italian and Indonesian words that English lacks.
_OTHER_FUNCTION_WORDS: Final = (
    "der die das ist und nicht ein eine ich sie wir mit auf les des est une pas pour avec "
    "je nous vous el los las es una por para con pero muy não uma com il che non sono di "
    "yang dan tidak ini itu saya dengan untuk"
)
OTHER_FUNCTION_WORDS: Final = frozenset(_OTHER_FUNCTION_WORDS.split())


def detect_language(text: str) -> Language:
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text))
    if kana and kana * 5 >= han:  # Japanese writes kanji among kana
        return "other"
    if len(_HANGUL.findall(text)) > han:
        return "other"
    if han:
        return "zh"
    words = [word.lower() for word in _LATIN_WORD.findall(text)]
    if not words or len(_OTHER_LETTER.findall(text)) > sum(map(len, words)):
        return "other"
    if any(word in ENGLISH_FUNCTION_WORDS for word in words):
        return "en"
    if _ACCENTED_LATIN.search(text) or any(word in OTHER_FUNCTION_WORDS for word in words):
        return "other"
    return "en"
