"""Scoring the detector on series in the Numenta Anomaly Benchmark's format: CSV files of
`timestamp,value` and a labels.json giving, per file, labelled anomaly windows."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from sentiment_alert.spikes.detector import Alert, Bucket, SpikeDetector
from sentiment_alert.spikes.settings import DetectorSettings

Window = tuple[datetime, datetime]


class DatasetError(ValueError):
    """The directory is not in the expected format; the message says which file and why."""


@dataclass(slots=True)
class SeriesResult:
    name: str
    windows: list[Window]
    alerts: list[Alert]
    detected: list[bool] = field(default_factory=list)
    delays_hours: list[float] = field(default_factory=list)  # first alert after window opens
    # First alert in a window minus the labelled anomaly in it (negative: before the label).
    anomaly_offsets_hours: list[float] = field(default_factory=list)
    anomalies: list[datetime] = field(default_factory=list)
    false_positives: int = 0

    def false_positive_levels(self) -> dict[str, int]:
        """Alerts outside every window, by the highest level each reached."""
        counts: dict[str, int] = {}
        for alert in self.alerts:
            if not any(start <= alert.opened_at <= end for start, end in self.windows):
                name = alert.level.name.lower()
                counts[name] = counts.get(name, 0) + 1
        return counts

    @property
    def recall(self) -> float:
        return sum(self.detected) / len(self.windows) if self.windows else 0.0


def _timestamp(text: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise DatasetError(f"{where}: bad timestamp {text!r}") from error


def load_labels(directory: Path) -> dict[str, list[Window]]:
    return {name: windows for name, (windows, _) in load_labelled(directory).items()}


def load_labelled(directory: Path) -> dict[str, tuple[list[Window], list[datetime]]]:
    """Per file: its windows and, when labels.json gives them, its anomaly timestamps."""
    path = directory / "labels.json"
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise DatasetError(f"{path}: {error}") from error
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: expected an object keyed by CSV file name")
    labels: dict[str, tuple[list[Window], list[datetime]]] = {}
    for name, entry in raw.items():
        where = f"{path}: {name}"
        windows = entry.get("windows") if isinstance(entry, dict) else entry
        anomalies = entry.get("anomalies", []) if isinstance(entry, dict) else []
        if not isinstance(windows, list) or not isinstance(anomalies, list):
            raise DatasetError(f"{where}: expected lists of [start, end] windows and anomalies")
        try:
            parsed = [(_timestamp(a, where), _timestamp(b, where)) for a, b in windows]
        except (TypeError, ValueError) as error:
            raise DatasetError(f"{where}: a window is not a [start, end] pair") from error
        labels[name] = (parsed, [_timestamp(str(a), where) for a in anomalies])
    return labels


def load_points(path: Path) -> list[tuple[datetime, float]]:
    points: list[tuple[datetime, float]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                value = float(row["value"])
            except (KeyError, TypeError, ValueError) as error:
                raise DatasetError(f"{path}:{number}: bad or missing value") from error
            points.append((_timestamp(row.get("timestamp") or "", f"{path}:{number}"), value))
    if not points:
        raise DatasetError(f"{path}: no rows")
    return sorted(points)


def to_buckets(points: list[tuple[datetime, float]], bucket_minutes: int) -> list[Bucket]:
    """Sums the points into clock-aligned buckets; a bucket without points counts 0."""
    size = timedelta(minutes=bucket_minutes)
    midnight = points[0][0].replace(hour=0, minute=0, second=0, microsecond=0)
    totals: dict[int, float] = {}
    for moment, value in points:
        index = (moment - midnight) // size
        totals[index] = totals.get(index, 0.0) + value
    first, last = min(totals), max(totals)
    return [
        Bucket(midnight + index * size, round(totals.get(index, 0.0)))
        for index in range(first, last + 1)
    ]


def evaluate_series(
    name: str,
    points: list[tuple[datetime, float]],
    windows: list[Window],
    settings: DetectorSettings,
    anomalies: list[datetime] | None = None,
) -> SeriesResult:
    detector = SpikeDetector(settings)
    alerts: list[Alert] = []
    for bucket in to_buckets(points, settings.bucket_minutes):
        alerts.extend(e.alert for e in detector.observe(bucket) if e.kind == "opened")
    result = SeriesResult(name, windows, alerts, anomalies=list(anomalies or []))
    for start, end in windows:
        inside = [a.opened_at for a in alerts if start <= a.opened_at <= end]
        result.detected.append(bool(inside))
        if inside:
            result.delays_hours.append((min(inside) - start).total_seconds() / 3600)
            labelled = [a for a in result.anomalies if start <= a <= end]
            if labelled:
                offset = min(inside) - min(labelled)
                result.anomaly_offsets_hours.append(offset.total_seconds() / 3600)
    result.false_positives = sum(
        not any(start <= alert.opened_at <= end for start, end in windows) for alert in alerts
    )
    return result


def evaluate_directory(directory: Path, settings: DetectorSettings) -> list[SeriesResult]:
    labels = load_labelled(directory)
    results = []
    for path in sorted(directory.glob("*.csv")):
        if path.name not in labels:
            raise DatasetError(f"{directory / 'labels.json'}: no entry for {path.name}")
        windows, anomalies = labels[path.name]
        results.append(evaluate_series(path.name, load_points(path), windows, settings, anomalies))
    if not results:
        raise DatasetError(f"{directory}: no CSV series")
    return results


def totals(results: list[SeriesResult]) -> dict[str, Any]:
    windows = sum(len(r.windows) for r in results)
    detected = sum(sum(r.detected) for r in results)
    delays = [delay for r in results for delay in r.delays_hours]
    offsets = [offset for r in results for offset in r.anomaly_offsets_hours]
    return {
        "series": len(results),
        "windows": windows,
        "detected": detected,
        "recall": detected / windows if windows else 0.0,
        "false_positives": sum(r.false_positives for r in results),
        "false_positives_per_series": sum(r.false_positives for r in results) / len(results),
        "median_delay_hours": median(delays) if delays else None,
        "median_offset_from_labelled_anomaly_hours": median(offsets) if offsets else None,
        "false_positives_by_peak_level": {
            level: sum(r.false_positive_levels().get(level, 0) for r in results)
            for level in ("blue", "yellow", "orange", "red")
        },
    }
