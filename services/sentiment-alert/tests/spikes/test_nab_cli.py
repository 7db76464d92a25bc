"""`yunying spikes eval` on a tiny directory in NAB's format, through the real `yunying`
entry point (the sentiment-alert package registers `spikes` under `yunying.commands`)."""

import json
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from sentiment_alert.spikes.nab import load_points, to_buckets
from yunying_shared.cli import main as yunying

START = datetime(2015, 3, 2)
LABELLED_BURST = START + timedelta(days=9, hours=15)
UNLABELLED_BURST = START + timedelta(days=11, hours=3)
WINDOW = (LABELLED_BURST - timedelta(hours=6), LABELLED_BURST + timedelta(hours=6))


def write_series(path: Path, *, with_bursts: bool) -> None:
    rng = np.random.default_rng(3)
    lines = ["timestamp,value"]
    for step in range(12 * 24 * 12):  # 12 days of 5-minute counts
        moment = START + timedelta(minutes=5 * step)
        rate = 8 + 5 * math.sin(moment.hour / 24 * 2 * math.pi)
        if with_bursts and any(
            burst <= moment < burst + timedelta(hours=2)
            for burst in (LABELLED_BURST, UNLABELLED_BURST)
        ):
            rate *= 10
        lines.append(f"{moment:%Y-%m-%d %H:%M:%S},{rng.poisson(rate)}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def nab_dir(tmp_path: Path) -> Path:
    write_series(tmp_path / "brand_a.csv", with_bursts=True)
    write_series(tmp_path / "brand_b.csv", with_bursts=False)
    window = [f"{WINDOW[0]:%Y-%m-%d %H:%M:%S}.000000", f"{WINDOW[1]:%Y-%m-%d %H:%M:%S}.000000"]
    labels = {
        "brand_a.csv": {"anomalies": [f"{LABELLED_BURST:%Y-%m-%d %H:%M:%S}"], "windows": [window]},
        "brand_b.csv": {"anomalies": [], "windows": []},
    }
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    return tmp_path


def test_eval_prints_recall_false_positives_and_delay(
    nab_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    assert yunying(["spikes", "eval", str(nab_dir), "--json", str(report)]) == 0
    printed = capsys.readouterr().out
    row_a = next(line for line in printed.splitlines() if line.startswith("brand_a.csv"))
    assert row_a.split()[1:5] == ["1", "1", "1.00", "1"]  # windows, found, recall, FPs
    assert "settings: " in printed

    figures = json.loads(report.read_text())
    series = {s["name"]: s for s in figures["series"]}
    assert series["brand_b.csv"]["false_positives"] == 0
    assert series["brand_b.csv"]["alerts"] == []
    # The labelled burst is found one hour after it starts (hourly buckets, known when they end).
    expected_delay = (LABELLED_BURST + timedelta(hours=1) - WINDOW[0]).total_seconds() / 3600
    assert series["brand_a.csv"]["delays_hours"] == [expected_delay]
    assert series["brand_a.csv"]["anomaly_offsets_hours"] == [1.0]
    assert figures["totals"]["recall"] == 1.0
    assert figures["totals"]["false_positives"] == 1
    assert figures["settings"]["bucket_minutes"] == 60


def test_missing_labels_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_series(tmp_path / "brand_a.csv", with_bursts=False)
    assert yunying(["spikes", "eval", str(tmp_path)]) == 2
    assert "labels.json" in capsys.readouterr().err


def test_series_without_labels_is_a_clear_error(
    nab_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_series(nab_dir / "brand_c.csv", with_bursts=False)
    assert yunying(["spikes", "eval", str(nab_dir)]) == 2
    assert "brand_c.csv" in capsys.readouterr().err


def test_bad_value_names_the_file_and_line(
    nab_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (nab_dir / "brand_b.csv").write_text("timestamp,value\n2015-03-02 00:00:00,lots\n")
    assert yunying(["spikes", "eval", str(nab_dir)]) == 2
    assert "brand_b.csv:2" in capsys.readouterr().err


def test_five_minute_points_sum_into_clock_aligned_hours(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "timestamp,value\n2015-03-02 10:57:53,4\n2015-03-02 11:02:53,5\n2015-03-02 13:07:53,6\n"
    )
    buckets = to_buckets(load_points(path), 60)
    assert [(b.start.hour, b.mentions) for b in buckets] == [(10, 4), (11, 5), (12, 0), (13, 6)]
