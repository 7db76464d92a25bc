import numpy as np

from segmentation.rfm import scoring


def test_equal_values_never_land_in_different_bins():
    values = np.array([1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 5, 8], dtype=float)
    edges = scoring.quantile_edges(values)
    scores = scoring.score_ascending(values, edges)

    for value in np.unique(values):
        assert len(set(scores[values == value].tolist())) == 1
    assert scores[values == 1][0] == 1
    # Above a heap of ties a value still scores high: 2 orders beat 7 of 12 users.
    assert scores[values == 2][0] >= 3
    assert list(scores) == sorted(scores)


def test_recency_scores_fewer_days_higher_and_ties_together():
    days = np.array([1, 1, 5, 10, 10, 10, 30, 60, 90, 365], dtype=float)
    edges = scoring.quantile_edges(days)
    scores = scoring.score_descending(days, edges)

    assert scores[0] == scores[1] == 5
    assert scores[3] == scores[4] == scores[5]
    assert scores[-1] == 1
    assert list(scores) == sorted(scores, reverse=True)


def test_custom_edges_are_applied_as_given():
    scores = scoring.score_ascending(np.array([0, 1, 2, 3, 10, 11]), [1, 2, 5, 10])
    assert scores.tolist() == [1, 1, 2, 3, 4, 5]


def test_eight_class_mapping():
    high, low = 5, 1
    cases = {
        (high, high, high): "重要价值",
        (high, low, high): "重要发展",
        (low, high, high): "重要保持",
        (low, low, high): "重要挽留",
        (high, high, low): "一般价值",
        (high, low, low): "一般发展",
        (low, high, low): "一般保持",
        (low, low, low): "一般挽留",
    }
    r, f, m = (np.array([key[i] for key in cases]) for i in range(3))
    codes = scoring.classify(r, f, m)
    assert [scoring.CLASSES[c] for c in codes] == list(cases.values())
    tiers = [scoring.TIERS[t] for t in scoring.tier(codes)]
    assert tiers[0] == "high_value" and tiers[1] == "potential_high_value"
    assert tiers[7] == "low_value" and set(tiers[2:7]) == {"general"}


def test_eleven_segments_cover_the_grid():
    cases = {
        (5, 5, 5): "Champions",
        (4, 4, 5): "Loyal",
        (3, 5, 4): "Loyal",
        (5, 2, 3): "Potential Loyalist",
        (5, 1, 1): "New",
        (4, 1, 1): "Promising",
        (3, 3, 3): "Need Attention",
        (3, 1, 2): "About To Sleep",
        (2, 4, 3): "At Risk",
        (1, 5, 5): "Can't Lose Them",
        (2, 1, 2): "Hibernating",
        (1, 1, 1): "Lost",
    }
    r, f, m = (np.array([key[i] for key in cases]) for i in range(3))
    assert [scoring.SEGMENTS[c] for c in scoring.segment(r, f, m)] == list(cases.values())
    every = np.array([(a, b, c) for a in range(1, 6) for b in range(1, 6) for c in range(1, 6)])
    names = {scoring.SEGMENTS[c] for c in scoring.segment(every[:, 0], every[:, 1], every[:, 2])}
    assert names == set(scoring.SEGMENTS)
