"""Request-scoped things the routers take: the settings, the clock, the scanner registry."""

from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request

from content_review.clock import utcnow
from content_review.config import Settings
from content_review.scanner import ScannerRegistry
from content_review.scanning.registry import shared_registry


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


SettingsDep = Annotated[Settings, Depends(_settings)]
NowDep = Annotated[datetime, Depends(utcnow)]
RegistryDep = Annotated[ScannerRegistry, Depends(shared_registry)]
