"""The values the profile's RFM columns take: the eight-class Chinese model, the 11 named
segments and the value tiers. Scores are stored as these names; rfm.scoring computes codes that
index into them, and segment rules offer them as choices."""

CLASSES = (
    "重要价值",
    "重要发展",
    "重要保持",
    "重要挽留",
    "一般价值",
    "一般发展",
    "一般保持",
    "一般挽留",
)
SEGMENTS = (
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About To Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
)
TIERS = ("high_value", "potential_high_value", "general", "low_value")
