"""Spike and shift detection over bucketed mention counts, with blue / yellow / orange / red
alerts that open, escalate and close. docs/sentiment-alert.md states the rule and settings."""

from sentiment_alert.spikes.detector import Alert, AlertEvent, Bucket, SpikeDetector, Verdict
from sentiment_alert.spikes.settings import AlertLevel, DetectorSettings, LevelThreshold

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertLevel",
    "Bucket",
    "DetectorSettings",
    "LevelThreshold",
    "SpikeDetector",
    "Verdict",
]
