"""The request each robot expects, and how each says it accepted the message.

- WeCom group robot: POST JSON `{"msgtype": "markdown", "markdown": {"content": …}}`; it
  answers 200 with `{"errcode": 0, "errmsg": "ok"}` (a non-zero errcode is a refusal).
- DingTalk robot with 加签: `timestamp` (ms) and `sign` = URL-encoded base64 of
  HMAC-SHA256(secret, f"{timestamp}\\n{secret}") appended to the webhook URL; body
  `{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`; answer `{"errcode": 0}`.
- Slack incoming webhook: POST JSON `{"text": …}`; it answers 200 with the body `ok`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote_plus

ChannelKind = Literal["wecom", "dingtalk", "slack"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = ("wecom", "dingtalk", "slack")


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    url: str
    body: dict[str, Any]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def build_request(
    kind: str, url: str, secret: str | None, title: str, text: str, *, timestamp_ms: int
) -> WebhookRequest:
    if kind == "wecom":
        return WebhookRequest(
            url, {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
        )
    if kind == "dingtalk":
        signed = url
        if secret:
            separator = "&" if "?" in url else "?"
            sign = dingtalk_sign(secret, timestamp_ms)
            signed = f"{url}{separator}timestamp={timestamp_ms}&sign={sign}"
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n{text}"}}
        return WebhookRequest(signed, body)
    if kind == "slack":
        return WebhookRequest(url, {"text": f"*{title}*\n{text}"})
    raise ValueError(f"unknown channel kind {kind!r}")


def refusal(kind: str, status: int, body: bytes) -> str | None:
    """None when the robot accepted the message, else why not."""
    if status != 200:
        return f"HTTP {status}: {body[:200].decode(errors='replace')}"
    if kind == "slack":
        return None if body.strip() == b"ok" else f"unexpected answer {body[:200]!r}"
    try:
        answer = json.loads(body)
    except ValueError:
        return f"unreadable answer {body[:200]!r}"
    if not isinstance(answer, dict) or answer.get("errcode") != 0:
        return f"refused: {str(answer)[:200]}"
    return None
