"""Creators from CSV: one creator per row, lists and shares packed into cells, so that a
spreadsheet an operator keeps can be uploaded as it is.

    external_id,name,tier,categories,accounts,prices,gender,age_band,region,interests
    kol-1,小鹿,micro,护肤|彩妆,xiaohongshu:5f1a:48000,xiaohongshu:image_post:8000,female=0.8|male=0.2,...

- `categories`: `|`-separated;
- `accounts`: `platform:account_id:followers[:handle]`, `|`-separated;
- `prices`: `platform:deliverable:price`, `|`-separated;
- `gender`, `age_band`, `region`, `interests`: `label=share`, `|`-separated (empty: unknown);
- `performance` (optional): `platform:period:posts:followers:avg_engagements`, `|`-separated.

A cell that cannot be unpacked is passed on as it is, so the model's validation names the
field (`items.3.accounts.0`) like any other error.
"""

from __future__ import annotations

import csv
import io
from typing import Any

REQUIRED_COLUMNS = ("external_id", "name", "tier", "accounts")
MAX_ROWS = 1000


class CsvProblem(ValueError):
    """The file itself cannot be read (no header, a required column missing, too many rows)."""


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split("|") if part.strip()]


def _account(part: str) -> Any:
    fields = part.split(":", 3)
    if len(fields) < 3:
        return part
    platform, account_id, followers, *handle = fields
    return {
        "platform": platform,
        "account_id": account_id,
        "followers": followers,
        "handle": handle[0] if handle else "",
    }


def _price(part: str) -> Any:
    fields = part.split(":")
    if len(fields) != 3:
        return part
    return dict(zip(("platform", "deliverable", "price"), fields, strict=True))


def _performance(part: str) -> Any:
    fields = part.split(":")
    if len(fields) != 5:
        return part
    return dict(
        zip(("platform", "period", "posts", "followers", "avg_engagements"), fields, strict=True)
    )


def _shares(cell: str) -> Any:
    shares: dict[str, Any] = {}
    for part in _split(cell):
        label, sep, value = part.rpartition("=")
        if not sep:
            return cell
        try:
            shares[label.strip()] = float(value)
        except ValueError:
            shares[label.strip()] = value
    return shares or None


def rows_of(text: str) -> list[dict[str, Any]]:
    try:
        return _rows(text)
    except csv.Error as exc:  # NUL bytes, a field past the parser's limit, a broken quote
        raise CsvProblem(str(exc)) from exc


def _rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CsvProblem(f"the header lacks column(s) {', '.join(missing)}")
    items: list[dict[str, Any]] = []
    for row in reader:
        if len(items) >= MAX_ROWS:
            raise CsvProblem(f"at most {MAX_ROWS} rows per file")
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        item: dict[str, Any] = {
            "external_id": cells.get("external_id", ""),
            "name": cells.get("name", ""),
            "tier": cells.get("tier", ""),
            "categories": _split(cells.get("categories", "")),
            "accounts": [_account(p) for p in _split(cells.get("accounts", ""))],
            "prices": [_price(p) for p in _split(cells.get("prices", ""))],
            "performance": [_performance(p) for p in _split(cells.get("performance", ""))],
        }
        audience = {
            dimension: _shares(cells[dimension])
            for dimension in ("gender", "age_band", "region", "interests")
            if cells.get(dimension)
        }
        item["audience"] = audience
        items.append(item)
    return items
