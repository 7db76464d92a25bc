"""The authenticity analysis on hand-made series: each check finds its trace, and the clean
cases it must not flag (a viral post's follower jump, fans repeating short replies) pass."""

from datetime import UTC, date, datetime, timedelta

from campaigns.authenticity.analysis import (
    CommentRecord,
    FollowerCount,
    PostMetrics,
    Subject,
    analyse,
    comment_skeleton,
)

START = date(2026, 10, 1)
# 7 openers × 11 endings: every real comment of a test is its own text.
OPENERS = ["这个", "姐妹们", "真的", "刚买了", "我也", "上次", "看完"]
ENDINGS = [
    "质地很清爽",
    "物流挺快的",
    "敏感肌能用吗",
    "已经回购三次",
    "颜色好温柔",
    "有点贵但是好用",
    "请问油皮适合吗",
    "和图片一样",
    "性价比不错",
    "味道还可以",
    "比专柜便宜",
]


def _followers(days=30, start=40_000, daily=80, jump_on=None, jump=0):
    counts = []
    value = start
    for day in range(days):
        value += daily + (day % 3) * 10
        if day == jump_on:
            value += jump
        counts.append(FollowerCount(START + timedelta(days=day), value))
    return counts


def _posts(count=8, likes=1800, comments=60, viral_day=None):
    posts = []
    for n in range(count):
        day = START + timedelta(days=2 + 3 * n)
        factor = 8 if viral_day is not None and day == START + timedelta(days=viral_day) else 1
        posts.append(
            PostMetrics(
                post_id=f"p{n}",
                posted_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                likes=(likes + 37 * n) * factor,
                comments=(comments + n) * factor,
                shares=20 * factor,
            )
        )
    return posts


def _comments(count=40, text=None, authors="fan", new=False, hour=None):
    base = datetime(2026, 10, 5, 9, tzinfo=UTC)
    records = []
    for n in range(count):
        at = (hour + timedelta(minutes=n % 60)) if hour else base + timedelta(hours=3 * n)
        created = at - timedelta(days=3 if new else 400 + n)
        records.append(
            CommentRecord(
                post_id="p1",
                author_id=f"{authors}{n}"
                if authors == "user"
                else f"{authors}-{chr(97 + n % 26)}{n}x",
                text=text.format(n=n) if text else OPENERS[n % 7] + ENDINGS[n % 11],
                at=at,
                author_created_at=created,
            )
        )
    return records


def _codes(report):
    return {f.code for f in report.findings}


def test_a_clean_account_is_clean_and_every_check_ran():
    report = analyse(Subject("micro", _followers(), _posts(), _comments()))
    assert report.verdict == "clean" and report.score == 100.0, report.findings
    assert set(report.checked) == {
        "follower_jump",
        "engagement_rate",
        "like_comment_ratio",
        "comments",
    }


def test_bought_followers_are_a_jump_with_its_day_and_size():
    report = analyse(Subject("micro", _followers(jump_on=14, jump=9_000), _posts(), _comments()))
    assert report.verdict == "suspicious"
    (jump,) = [f for f in report.findings if f.code == "follower_jump"]
    assert jump.evidence["days"] == [(START + timedelta(days=14)).isoformat()]
    assert jump.evidence["gains"][0] > 9_000


def test_a_jump_after_a_viral_post_is_explained_not_flagged():
    followers = _followers(jump_on=15, jump=9_000)
    report = analyse(Subject("micro", followers, _posts(viral_day=14), _comments()))
    assert "follower_jump" not in _codes(report)
    assert report.verdict == "clean"


def test_engagement_far_above_and_below_the_tier_norm():
    inflated = analyse(Subject("micro", _followers(), _posts(likes=30_000, comments=600)))
    assert "engagement_inflated" in _codes(inflated)
    dead = analyse(Subject("micro", _followers(start=4_000_000, daily=800), _posts()))
    assert "engagement_too_low" in _codes(dead) and dead.verdict == "suspicious"


def test_likes_without_comments():
    report = analyse(Subject("micro", _followers(), _posts(likes=2_000, comments=5)))
    assert "likes_without_comments" in _codes(report)


def test_templated_comments_with_numbers_varied_are_one_template():
    assert comment_skeleton("已下单3件，效果太好了！") == comment_skeleton("已下单17件 效果太好了")
    spam = _comments(30, text="已下单{n}件，效果太好了强烈推荐", authors="buyer")
    report = analyse(Subject("micro", comments=[*_comments(20), *spam]))
    (finding,) = [f for f in report.findings if f.code == "templated_comments"]
    assert finding.evidence["templated"] == 30
    assert report.verdict == "suspicious"


def test_fans_repeating_short_replies_are_not_a_template():
    short = _comments(30, text="好看")
    report = analyse(Subject("micro", comments=[*_comments(20), *short]))
    assert "templated_comments" not in _codes(report)


def test_a_burst_from_new_look_alike_accounts():
    burst = _comments(50, authors="user", new=True, hour=datetime(2026, 10, 20, 21, tzinfo=UTC))
    report = analyse(Subject("micro", comments=[*_comments(40), *burst]))
    assert "comment_burst" in _codes(report)
    (finding,) = [f for f in report.findings if f.code == "comment_burst"]
    assert finding.evidence["comments"] == 50


def test_nothing_to_judge_is_insufficient_data_not_clean():
    report = analyse(Subject("micro"))
    assert report.verdict == "insufficient_data" and report.checked == []
