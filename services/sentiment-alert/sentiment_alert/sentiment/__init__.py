"""Sentiment of Chinese and English mentions: `score(text)` and `detect_language(text)`.

The model ships in `data/` (nothing is downloaded at run time); docs/sentiment-alert.md
describes it, and services/sentiment-alert/scripts/train_sentiment.py regenerates it."""

from sentiment_alert.sentiment.language import Language, detect_language
from sentiment_alert.sentiment.scorer import Sentiment, score

__all__ = ["Language", "Sentiment", "detect_language", "score"]
