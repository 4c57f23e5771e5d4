"""Rendering pages: one Jinja2 environment (autoescaped), the static files, and the page language.

The applicant's pages speak English, French or German: the `lang` query parameter chooses, a cookie remembers
it, and the browser's Accept-Language decides the first time. The staff console speaks English.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from contracts import profile
from services.intake.web.i18n import LANGUAGES, translator

HERE = Path(__file__).resolve().parent
LANGUAGE_COOKIE = "aif_lang"

templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                        trim_blocks=True, lstrip_blocks=True)
# The factory every page names (`home.name`, `home.short_name`): the factory profile's.
templates.globals["home"] = profile.selected().identity


def page_language(request: Request) -> str:
    """The language of the applicant's pages: ?lang=, else the cookie, else the browser's first of ours."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def render(request: Request, template: str, *, status_code: int = 200, lang: str = "en",
           **context: Any) -> HTMLResponse:
    html = templates.get_template(template).render(request=request, lang=lang, t=translator(lang),
                                                   languages=LANGUAGES, **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
