"""Aspect of a complaint or survey answer: product, service, delivery, price or other.

A keyword rule over the shared normalisation (so 物流 and 物流, 退貨 and 退货 are one), in
Chinese and English. Each aspect scores one point per cue found; the highest wins, ties go
to the aspect listed first (delivery, price, service, product: the more specific cues first).
A separate cue list says whether the writer is leaving (churn)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from yunying_shared.text import normalize, normalize_term

Aspect = Literal["product", "service", "delivery", "price", "other"]

_CUES: dict[Aspect, tuple[str, ...]] = {
    "delivery": (
        "配送",
        "物流",
        "快递",
        "发货",
        "送货",
        "到货",
        "包裹",
        "运费",
        "签收",
        "派送",
        "运输",
        "还没到",
        "没收到",
        "送达",
        "漏发",
        "错发",
        "delivery",
        "shipping",
        "shipped",
        "courier",
        "package",
        "parcel",
        "arrived",
        "late",
    ),
    "price": (
        "价格",
        "太贵",
        "好贵",
        "贵了",
        "价钱",
        "降价",
        "差价",
        "涨价",
        "优惠",
        "性价比",
        "割韭菜",
        "智商税",
        "不值",
        "便宜",
        "price",
        "expensive",
        "overpriced",
        "pricey",
        "cost",
        "discount",
        "refund the difference",
    ),
    "service": (
        "客服",
        "服务",
        "态度",
        "售后",
        "退款",
        "退货",
        "换货",
        "回复",
        "不理",
        "投诉",
        "维权",
        "店家",
        "商家",
        "customer service",
        "support",
        "service",
        "staff",
        "rude",
        "refund",
        "return",
        "reply",
    ),
    "product": (
        "质量",
        "产品",
        "做工",
        "味道",
        "过敏",
        "烂脸",
        "起皮",
        "掉色",
        "坏了",
        "破损",
        "假货",
        "效果",
        "成分",
        "难用",
        "包装",
        "尺码",
        "异味",
        "刺激",
        "闷痘",
        "色号",
        "quality",
        "product",
        "broken",
        "defective",
        "fake",
        "allergic",
        "allergy",
        "smell",
        "rash",
        "size",
        "damaged",
    ),
}
_CHURN_CUES = (
    "再也不买",
    "不会再买",
    "再也不会买",
    "不再购买",
    "再也不来",
    "拉黑",
    "取关",
    "取消关注",
    "卸载",
    "销户",
    "注销",
    "退会员",
    "最后一次买",
    "再见了",
    "不买了",
    "换别家",
    "换个牌子",
    "never again",
    "never buy",
    "won't buy",
    "will not buy",
    "unsubscribe",
    "cancel my",
    "last time i",
    "switching to",
    "done with",
)


def _compile(terms: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in dict.fromkeys(normalize_term(term) for term in terms) if t)


_COMPILED: dict[Aspect, tuple[str, ...]] = {a: _compile(t) for a, t in _CUES.items()}
_CHURN = _compile(_CHURN_CUES)


@dataclass(frozen=True, slots=True)
class Classification:
    aspect: Aspect
    cues: tuple[str, ...]
    churn_related: bool


def classify(text: str) -> Classification:
    # English cues are matched on the normalised text too: the normalisation drops spaces,
    # so "customer service" is looked for as "customerservice".
    normalised = normalize(text).text
    best: Aspect = "other"
    best_cues: tuple[str, ...] = ()
    for aspect, cues in _COMPILED.items():
        found = tuple(cue for cue in cues if cue in normalised)
        if len(found) > len(best_cues):
            best, best_cues = aspect, found
    churn = any(cue in normalised for cue in _CHURN)
    return Classification(best, best_cues, churn)
