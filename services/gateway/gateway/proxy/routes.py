"""Which service owns which path: the gateway forwards `/v1/…` by this table and nothing else."""

from __future__ import annotations

ROUTES: dict[str, str] = {
    "/v1/segmentation/": "segmentation",
    "/v1/campaigns/": "campaigns",
    "/v1/content-review/": "content-review",
    "/v1/sentiment-alert/": "sentiment-alert",
    "/v1/events": "segmentation",
    "/v1/users": "segmentation",
    "/v1/segments": "segmentation",
    "/v1/tags": "segmentation",
    "/v1/population": "segmentation",
}


def owner_of(path: str) -> str | None:
    """The service owning `path`; a prefix matches whole path segments only."""
    best: tuple[int, str] | None = None
    for prefix, service in ROUTES.items():
        root = prefix.rstrip("/")
        if (path == root or path.startswith(root + "/")) and (best is None or len(root) > best[0]):
            best = (len(root), service)
    return best[1] if best else None
