"""What a draft crisis statement says: does it acknowledge the problem, apologise, and state a
concrete remedy? Rule-based, in Chinese and English, over the shared normalisation (full width,
traditional characters and spacing do not matter; English words are matched without spaces).

A cue preceded by a negation (不会道歉, "we will not apologise") does not count. A remedy is
concrete when it names an action (refund, recall, replacement, compensation, …) and a detail
someone can hold the brand to: a number, a deadline, or a contact channel. Vague promises
(高度重视, 积极处理, "we are looking into it") are not remedies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yunying_shared.text import normalize, normalize_term


def _terms(*terms: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_term(t) for t in terms))


ACKNOWLEDGE = _terms(
    "确实存在",
    "存在问题",
    "存在质量问题",
    "情况属实",
    "属实",
    "经核实",
    "经调查",
    "经排查",
    "我们注意到",
    "我们关注到",
    "我们的失误",
    "我们的责任",
    "我们的错",
    "承认",
    "疏忽",
    "失误",
    "负全部责任",
    "承担责任",
    "责任在我们",
    "we acknowledge",
    "we are aware",
    "we recognize",
    "we recognise",
    "our mistake",
    "our fault",
    "our responsibility",
    "take full responsibility",
    "we take responsibility",
    "we have confirmed",
    "we have identified",
    "we fell short",
    "we made a mistake",
    "we got this wrong",
    "was caused by",
)
APOLOGY = _terms(
    "道歉",
    "致歉",
    "抱歉",
    "对不起",
    "歉意",
    "深表歉意",
    "诚挚的歉意",
    "apologize",
    "apologise",
    "apology",
    "apologies",
    "sorry",
)
REMEDY = _terms(
    "退款",
    "全额退款",
    "召回",
    "下架",
    "赔偿",
    "补偿",
    "免费更换",
    "更换",
    "换货",
    "退货",
    "停售",
    "暂停销售",
    "整改",
    "报销",
    "承担费用",
    "医药费",
    "无条件退",
    "refund",
    "recall",
    "replace",
    "replacement",
    "compensate",
    "compensation",
    "reimburse",
    "free of charge",
    "withdraw",
    "suspend sales",
    "stop selling",
    "pull the",
)
CHANNEL = _terms(
    "热线",
    "客服电话",
    "电话",
    "邮箱",
    "微信",
    "客服",
    "联系",
    "链接",
    "官网",
    "门店",
    "hotline",
    "call us",
    "email",
    "contact",
    "visit",
    "website",
    "store",
)
NEGATIONS = _terms(
    "不",
    "不会",
    "无需",
    "无须",
    "拒绝",
    "没有",
    "不必",
    "not",
    "no",
    "never",
    "wont",
    "refuse to",
    "will not",
    "do not",
    "dont",
)
DEADLINE = re.compile(r"\d|日内|天内|小时内|工作日|周内|月底前|即日起|within|today|tomorrow")
VAGUE = _terms(
    "高度重视",
    "积极处理",
    "正在调查",
    "持续关注",
    "尽快处理",
    "妥善处理",
    "looking into",
    "investigating",
    "take this seriously",
    "monitoring the situation",
)
PARTS = ("acknowledgement", "apology", "remedy")


@dataclass(frozen=True, slots=True)
class StatementCheck:
    acknowledges: bool
    apologises: bool
    remedy: bool
    remedy_concrete: bool
    found: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.missing


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 8) : start]
    return any(before.endswith(negation) for negation in NEGATIONS)


def _find(text: str, cues: tuple[str, ...]) -> list[str]:
    found = []
    for cue in cues:
        start = text.find(cue)
        while start != -1:
            if not _negated(text, start):
                found.append(cue)
                break
            start = text.find(cue, start + 1)
    return found


def check_statement(draft: str) -> StatementCheck:
    text = normalize(draft).text
    acknowledged = _find(text, ACKNOWLEDGE)
    apologies = _find(text, APOLOGY)
    remedies = _find(text, REMEDY)
    channels = _find(text, CHANNEL)
    vague = _find(text, VAGUE)
    concrete = bool(remedies) and (bool(DEADLINE.search(text)) or bool(channels))
    missing: list[str] = []
    advice: list[str] = []
    if not acknowledged:
        missing.append("acknowledgement")
        advice.append("Say what went wrong and that it is the brand's (经核实…确实存在…).")
    if not apologies:
        missing.append("apology")
        advice.append("Apologise plainly to the people affected (向…郑重道歉).")
    if not remedies:
        missing.append("remedy")
        advice.append("State what you will do: refund, recall, replacement, compensation.")
    elif not concrete:
        missing.append("remedy_detail")
        advice.append("Make the remedy concrete: a deadline (7日内), amount or contact channel.")
    if vague and not remedies:
        advice.append(f"Vague promises are not a remedy: {', '.join(vague)}.")
    return StatementCheck(
        acknowledges=bool(acknowledged),
        apologises=bool(apologies),
        remedy=bool(remedies),
        remedy_concrete=concrete,
        found={
            "acknowledgement": acknowledged,
            "apology": apologies,
            "remedy": remedies,
            "channel": channels,
        },
        missing=missing,
        advice=advice,
    )
