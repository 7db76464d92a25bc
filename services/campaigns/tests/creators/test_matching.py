"""The ranking's arithmetic: the similarity is scipy's Jensen–Shannon distance, a segment's
make-up counts members, filters and sort orders hold, and every ranked creator explains
its score."""

import uuid
from decimal import Decimal

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from campaigns.creators.matching import Candidate, Pool, make_up, rank


def _candidate(name, audience, *, tier="micro", rate=0.05, per_post=2000.0, price="6000", **kw):
    return Candidate(
        id=uuid.uuid4(),
        name=name,
        tier=tier,
        audience=audience,
        engagement_rate=rate,
        engagements_per_post=per_post,
        prices={"xiaohongshu": Decimal(price)} if price else {},
        authenticity_score=kw.get("score"),
        authenticity_verdict=kw.get("verdict"),
        platforms=frozenset(kw.get("platforms", {"xiaohongshu"})),
    )


def test_make_up_is_shares_of_known_values():
    shares = make_up(
        {
            "gender": {"female": 3.0, "male": 1.0, "unknown": 6.0},
            "age_band": {},
            "interests": {"护肤": 1.5, "彩妆": 0.5},
        }
    )
    assert shares == {
        "gender": {"female": 0.75, "male": 0.25},
        "interests": {"彩妆": 0.25, "护肤": 0.75},
    }


TARGET = {"gender": {"female": 0.8, "male": 0.2}, "region": {"上海": 1.0}}


def test_the_closest_audience_ranks_first_and_explains_each_dimension():
    same = _candidate("same", {"gender": {"female": 0.8, "male": 0.2}, "region": {"上海": 1.0}})
    half = _candidate("half", {"gender": {"female": 0.8, "male": 0.2}, "region": {"北京": 1.0}})
    none = _candidate("none", {})
    ranked = rank([none, half, same], TARGET, sort="match")
    assert [r.candidate.name for r in ranked] == ["same", "half", "none"]
    assert ranked[0].match == pytest.approx(1.0)
    # Region disjoint: similarity 0 there; gender identical: 1; weights 0.25 and 0.20.
    assert ranked[1].by_dimension == {"gender": 1.0, "region": 0.0}
    assert ranked[1].match == pytest.approx(0.25 / 0.45, abs=1e-4)
    assert ranked[2].match == 0.0 and ranked[2].by_dimension == {}
    assert "gender 1.00, region 0.00" in ranked[1].explanation


def test_quality_and_cost_orders():
    audience = TARGET
    suspicious = _candidate("bought", audience, score=40.0, verdict="suspicious")
    cheap = _candidate("cheap", audience, price="1000")
    dear = _candidate("dear", audience, price="9000", rate=0.1)
    unpriced = _candidate("unpriced", audience, price=None)
    pool = Pool([suspicious, cheap, dear, unpriced])
    by_cost = [r.candidate.name for r in rank(pool, TARGET, sort="cost")]
    assert by_cost[:2] == ["cheap", "bought"] and by_cost[-1] == "unpriced"
    by_quality = rank(pool, TARGET, sort="quality")
    assert by_quality[0].candidate.name == "dear" and by_quality[-1].candidate.name == "bought"
    assert by_quality[-1].quality == 0.0 and "suspicious" in by_quality[-1].explanation
    cheapest = rank(pool, TARGET, sort="cost")[0]
    assert cheapest.cost_per_engagement == pytest.approx(0.5) and cheapest.cost_score == 1.0


def test_platform_and_tier_filters_and_limit():
    pool = Pool(
        [
            _candidate("xhs", TARGET),
            _candidate("dy", TARGET, platforms={"douyin"}),
            _candidate("head", TARGET, tier="head"),
        ]
    )
    assert [r.candidate.name for r in rank(pool, TARGET, platform="douyin")] == ["dy"]
    assert [r.candidate.name for r in rank(pool, TARGET, tier="head")] == ["head"]
    assert len(rank(pool, TARGET, limit=2)) == 2
    assert rank(pool, TARGET, platform="weibo") == []


def test_the_pools_similarity_is_scipys_also_with_labels_only_one_side_has():
    rng = np.random.default_rng(11)
    labels = [f"l{i}" for i in range(12)]
    audiences = []
    for _ in range(40):
        chosen = rng.choice(labels[:9], size=int(rng.integers(1, 6)), replace=False)
        shares = rng.dirichlet(np.ones(len(chosen)))
        audiences.append(dict(zip(chosen.tolist(), shares.tolist(), strict=True)))
    pool = Pool([_candidate(f"c{i}", {"region": a}) for i, a in enumerate(audiences)])
    target = {"l0": 0.3, "l4": 0.2, "l10": 0.4, "l11": 0.1}  # l10, l11: no creator has them
    got = pool.similarities("region", target, np.arange(len(pool)))
    everything = sorted(set(labels))
    q = np.array([target.get(label, 0.0) for label in everything])
    for audience, similarity in zip(audiences, got, strict=True):
        p = np.array([audience.get(label, 0.0) for label in everything])
        assert similarity == pytest.approx(1 - jensenshannon(p, q, base=2), abs=1e-9)
