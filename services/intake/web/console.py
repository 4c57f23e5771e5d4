"""The staff console: sign-in, the queue, an application, overrides and the indicators."""

from __future__ import annotations

from fastapi import APIRouter

from services.runtime.service import Runtime


def router(runtime: Runtime) -> APIRouter:
    return APIRouter(include_in_schema=False)
