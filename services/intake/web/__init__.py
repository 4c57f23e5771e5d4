"""intake's web pages: the applicant's form and status page, and the staff console. Server-rendered HTML
(Jinja2), with one small vendored script library (htmx) and no build step."""

from __future__ import annotations

from fastapi import FastAPI

from services.runtime.service import Runtime


def install(app: FastAPI, runtime: Runtime) -> None:
    from services.intake.web import apply, console
    from services.intake.web.rendering import mount_static

    mount_static(app)
    app.include_router(apply.router(runtime))
    app.include_router(console.router(runtime))
