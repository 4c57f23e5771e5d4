"""The applicant's pages: the application form, its confirmation and the status page."""

from __future__ import annotations

from fastapi import APIRouter

from services.runtime.service import Runtime


def router(runtime: Runtime) -> APIRouter:
    return APIRouter(include_in_schema=False)
