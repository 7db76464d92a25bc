"""Hand-written lexicon: Chinese sentiment words and internet slang, negators, intensifiers,
contrast words, emoji and emoticons, English slang. Valences use VADER's scale (about -4..4) so
the English words taken from VADER (data/vader_lexicon.tsv) sit on the same scale."""

from __future__ import annotations

from typing import Final

# The tables stay compact, several entries a line.
# fmt: off

CHINESE_VALENCE: Final[dict[str, float]] = {
    # Internet slang (positive)
    "yyds": 3.0, "绝绝子": 2.5, "真香": 2.0, "种草": 1.5, "安利": 1.2, "回购": 1.5,
    "无限回购": 2.8, "闭眼入": 2.5, "闭眼买": 2.5, "宝藏": 2.0, "吹爆": 2.5, "强推": 2.5,
    "封神": 2.8, "天花板": 2.0, "绝了": 2.0, "爱了": 2.2, "上头": 1.2, "神仙": 1.8, "牛逼": 2.5,
    "牛": 1.5, "666": 2.0, "给力": 2.0, "良心": 2.0, "稳": 1.0, "靠谱": 1.8, "无敌": 1.8,
    "冲冲冲": 1.5, "太香": 2.2, "好评": 2.2, "五星": 1.8, "满分": 2.2, "物超所值": 2.8,
    "性价比高": 2.2, "超值": 2.2, "划算": 1.5, "惊艳": 2.5, "惊喜": 2.0, "圈粉": 2.0,
    "入股不亏": 2.2, "赢麻了": 1.5, "点赞": 2.0, "赞": 2.0, "神器": 2.0,
    # Internet slang (negative)
    "踩雷": -2.5, "雷区": -1.8, "避雷": -2.2, "排雷": -1.5, "拔草": -1.5, "智商税": -2.5,
    "翻车": -2.5, "劝退": -2.2, "割韭菜": -2.8, "韭菜": -1.5, "坑爹": -2.8, "坑人": -2.8,
    "坑": -2.0, "垃圾": -3.0, "辣鸡": -3.0, "差评": -2.8, "塌房": -2.5, "拉胯": -2.5,
    "拉垮": -2.5, "辣眼睛": -2.2, "下头": -2.2, "糟心": -2.2, "裂开": -1.5, "破防": -1.5,
    "无语": -1.8, "离谱": -2.2, "骗子": -3.0, "骗人": -2.8, "忽悠": -2.2, "假货": -2.8,
    "虚假宣传": -2.8, "黑心": -2.8, "无良": -2.8, "呵呵": -1.2, "服了": -1.5, "醉了": -1.5,
    "吐槽": -1.2, "槽点": -1.5, "刺客": -1.5, "智障": -2.8, "恶心": -2.8, "气死": -2.8,
    "再也不买": -3.0, "别买": -2.8, "不会再买": -2.8, "千万别": -2.5, "血亏": -2.5, "亏了": -1.8,
    "上当": -2.5, "白菜价": 1.0, "退款": -1.5, "退货": -1.5, "投诉": -2.2, "维权": -2.2,
    "曝光": -1.5, "质量问题": -2.5, "过敏": -2.2, "烂尾": -2.5, "甩锅": -2.5, "敷衍": -2.2,
    "套路": -1.5, "emo": -1.2,
    # General sentiment words
    "好": 1.5, "很好": 1.8, "不错": 2.0, "喜欢": 2.0, "满意": 2.0, "棒": 2.2, "优秀": 2.2,
    "完美": 2.8, "推荐": 1.5, "开心": 2.0, "高兴": 2.0, "漂亮": 2.0, "好看": 2.0, "好用": 2.0,
    "好吃": 2.0, "好喝": 2.0, "舒服": 1.8, "方便": 1.5, "感谢": 1.8, "谢谢": 1.2, "值得": 1.8,
    "实惠": 1.5, "耐用": 1.5, "贴心": 2.0, "专业": 1.5, "及时": 1.2, "精彩": 2.2, "可爱": 1.8,
    "清晰": 1.2, "流畅": 1.5, "喜爱": 2.0, "爱": 2.0, "优惠": 1.2, "快": 0.8, "便宜": 1.0,
    "干净": 1.5, "新鲜": 1.5, "差": -2.0, "糟糕": -2.5, "讨厌": -2.2, "生气": -2.2, "愤怒": -2.8,
    "难过": -1.8, "失望": -2.2, "后悔": -2.2, "问题": -1.0, "故障": -2.2, "坏了": -2.2,
    "破": -1.0, "贵": -1.0, "慢": -1.2, "假": -1.5, "脏": -2.0, "臭": -2.0, "漏": -1.5,
    "卡顿": -2.0, "闪退": -2.2, "死机": -2.2, "难用": -2.2, "难吃": -2.5, "难看": -2.2,
    "烂": -2.2, "骗": -2.5, "不满": -2.2, "不行": -2.0, "郁闷": -1.8, "糟": -2.0, "痛苦": -2.2,
    "麻烦": -1.5, "可惜": -1.2, "遗憾": -1.5, "担心": -1.2, "害怕": -1.5, "差劲": -2.5,
    "粗糙": -1.8, "劣质": -2.8, "敷衍了事": -2.5, "态度差": -2.5, "冷漠": -2.0,
}

# Phrases that contain a negator or a sentiment character but carry no sentiment themselves;
# matching them first keeps 不好意思 from reading as "not good" and 好多 from reading as "good".
CHINESE_NEUTRAL_PHRASES: Final[frozenset[str]] = frozenset(
    {
        "不好意思", "好像", "好多", "只好", "好几", "好久", "不仅", "不但", "不少", "不久",
        "不断", "无论", "不管", "不知道", "不用", "没事", "不得不", "好不容易", "不一定",
        "没想到", "不然", "要不", "好奇", "正好", "刚好", "最好", "好友", "爱好", "问题是",
        "没问题", "别人", "别的", "快递", "快点", "尽快", "不同", "差不多", "无法",
    }
)

CHINESE_NEGATORS: Final[frozenset[str]] = frozenset(
    {
        "不", "没", "没有", "并不", "并没有", "并非", "不是", "别", "未", "毫不", "从不", "从没",
        "从来不", "从来没有", "绝不", "一点也不", "一点都不", "无", "非",
        "木有", "莫",
    }
)

# Negators that soften rather than flip outright: 不太好 is milder than 不好.
CHINESE_SOFT_NEGATORS: Final[frozenset[str]] = frozenset(
    {"不太", "不怎么", "不够", "不大", "不是很", "不是太", "不算", "没那么", "没有那么"}
)

# Multipliers on the next sentiment word's valence; below 1 softens it.
CHINESE_INTENSIFIERS: Final[dict[str, float]] = {
    "非常": 1.5, "太": 1.5, "超": 1.5, "超级": 1.6, "特别": 1.5, "很": 1.3, "真": 1.2,
    "真的": 1.2, "极其": 1.8, "极": 1.6, "十分": 1.5, "巨": 1.6, "贼": 1.5, "最": 1.5, "蛮": 1.1,
    "挺": 1.1, "绝对": 1.4, "相当": 1.4, "实在": 1.3, "更": 1.2, "好": 1.3, "太过": 1.5,
    "越来越": 1.3, "简直": 1.5, "一直": 1.1, "有点": 0.7, "有些": 0.7, "稍微": 0.6, "略": 0.7,
    "还算": 0.8, "还": 0.9,
}

# The clause after a contrast word usually carries the writer's verdict (VADER's "but" rule).
CONTRAST_WORDS: Final[frozenset[str]] = frozenset(
    {"但", "但是", "可是", "不过", "然而", "却", "but", "however", "though", "although"}
)

ENGLISH_NEGATORS: Final[frozenset[str]] = frozenset(
    {
        "not", "no", "never", "cannot", "without", "hardly", "nor", "neither", "dont", "doesnt",
        "didnt", "isnt", "wasnt", "arent", "werent", "cant", "wont", "couldnt", "shouldnt",
        "wouldnt", "havent", "hasnt", "aint", "nobody", "nothing", "barely",
    }
)

ENGLISH_INTENSIFIERS: Final[dict[str, float]] = {
    "very": 1.3, "really": 1.3, "so": 1.3, "extremely": 1.6, "super": 1.5, "absolutely": 1.5,
    "totally": 1.4, "too": 1.3, "incredibly": 1.6, "quite": 1.1, "pretty": 1.1, "most": 1.4,
    "insanely": 1.6, "seriously": 1.3, "kinda": 0.7, "slightly": 0.6, "somewhat": 0.7,
    "fairly": 0.9, "bit": 0.7, "little": 0.7, "rather": 0.9, "highly": 1.4, "utterly": 1.6,
}

# Additions to VADER's lexicon for social-media and shopping English it lacks or scores weakly.
ENGLISH_SLANG: Final[dict[str, float]] = {
    "scam": -2.8, "scammed": -2.8, "ripoff": -2.5, "overpriced": -2.0, "refund": -1.2,
    "broken": -2.0, "trash": -2.5, "garbage": -2.8, "meh": -1.0, "mid": -1.0, "slay": 2.0,
    "slaps": 2.0, "goated": 2.5, "lit": 1.5, "fire": 0.5, "awful": -2.8, "defective": -2.2,
    "unacceptable": -2.5, "recommend": 1.8, "recommended": 1.8, "smooth": 1.2, "faulty": -2.2,
    "lagging": -1.5, "laggy": -1.8, "crashes": -2.0, "crashed": -2.0, "rude": -2.2,
    "delayed": -1.5, "late": -1.0, "cheap": 0.0, "poor": -1.8, "sucks": -2.2,
}

# Emoji are read the way Chinese social media uses them: 😂 is mostly mild amusement,
# 🙂 and [微笑] are often passive-aggressive, 🤡 and 🐶 mark self-mockery or sarcasm.
EMOJI_VALENCE: Final[dict[str, float]] = {
    "😡": -2.8, "🤬": -3.0, "😠": -2.5, "😤": -1.8, "👎": -2.2, "💩": -2.5, "🤮": -3.0,
    "🙄": -1.8, "💔": -2.2, "😢": -1.8, "😭": -1.2, "😞": -1.8, "😔": -1.5, "😒": -1.8,
    "😩": -1.8, "😫": -1.8, "🤡": -2.0, "😓": -1.2, "😰": -1.5, "😱": -1.2, "🤢": -2.5,
    "😑": -1.0, "😐": -0.5, "😅": -0.5, "🙂": -0.3, "⚠": -1.0, "❌": -1.5, "👍": 2.2, "👏": 1.8,
    "❤": 2.5, "💕": 2.5, "💖": 2.5, "😍": 2.8, "🥰": 2.8, "😊": 2.0, "😄": 2.0, "😁": 2.0,
    "😀": 1.8, "🤩": 2.8, "😘": 2.2, "🔥": 1.8, "💯": 2.2, "✨": 1.5, "🎉": 2.0, "🙏": 1.2,
    "💪": 1.5, "😋": 2.0, "🌟": 1.8, "⭐": 1.5, "✅": 1.2, "🥳": 2.5, "😂": 0.5, "🤣": 0.5,
    "😆": 1.2, "👌": 1.8, "🤗": 1.8, "🆗": 1.0,
}

EMOTICON_VALENCE: Final[dict[str, float]] = {
    "[怒]": -2.8, "[抓狂]": -2.2, "[鄙视]": -2.5, "[泪]": -1.5, "[衰]": -1.8, "[弱]": -2.0,
    "[吐]": -2.5, "[怒骂]": -3.0, "[伤心]": -2.0, "[失望]": -2.2, "[微笑]": -0.5, "[哈哈]": 1.5,
    "[赞]": 2.2, "[good]": 2.2, "[心]": 2.5, "[爱你]": 2.5, "[鼓掌]": 1.8, "[笑cry]": 0.5,
    "[给力]": 2.2, "[酷]": 1.8, "[耶]": 1.8, "[太开心]": 2.5, "[喵喵]": 1.0,
}
