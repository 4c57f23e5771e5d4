"""The application form, built on the public API's own model (`SubmitApplication`) so that the web form keeps the
same rules: its fields take their limits, patterns and choices from the model's JSON Schema, what the browser
posts becomes the model's input, and the model's errors become sentences in the page's language."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from contracts import reference
from services.intake.applications.requests import SubmitApplication
from services.intake.web.i18n import LANGUAGES, MESSAGES

Translate = Callable[[str], str]

NAMES = ("company.name", "company.country", "company.size", "contact.name", "contact.email", "contact.language",
         "project.title", "project.summary", "project.declared_sectors", "project.data_readiness", "project.stage",
         "consent.share_with_partner_factories")
SECTORS = "project.declared_sectors"
RADIOS = ("company.size", "project.data_readiness", "project.stage")
CONSENT = "consent.share_with_partner_factories"
# ISO 3166-1 codes with their names in our three languages, from Debian's iso-codes (4.15).
COUNTRIES_FILE = Path(__file__).resolve().parent / "countries.json"


@dataclass(frozen=True)
class FormField:
    """One field of the form, as the model defines it."""

    name: str  # as posted and as pydantic locates its errors: "contact.email"
    required: bool
    min_length: int | None = None
    max_length: int | None = None
    max_items: int | None = None
    pattern: str | None = None  # for the browser's `pattern` attribute
    options: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.name.replace(".", "-").replace("_", "-")


def html_pattern(pattern: str) -> str:
    """A pydantic (Python) pattern as the HTML `pattern` attribute takes it: browsers compile that with the `v`
    flag, under which `( ) [ ] { } / - |` and doubled punctuators must be escaped inside a character class (the
    dash of a range stays)."""
    out, in_class, start, i = [], False, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if not in_class and char == "[":
            in_class, start = True, len(out) + 1
            out.append(char)
            if pattern[i + 1:i + 2] == "^":
                out.append("^")
                i, start = i + 1, start + 1
        elif in_class and char == "]":
            in_class = False
            out.append(char)
        elif in_class and char == "-":
            is_range = len(out) > start and pattern[i + 1:i + 2] not in ("]", "")
            out.append(char if is_range else "\\-")
        elif in_class and (char in "()[{}/|" or (out and out[-1] == char and not char.isalnum())):
            out.append("\\" + char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


@cache
def fields() -> dict[str, FormField]:
    schema = SubmitApplication.model_json_schema()
    found = {}
    for name in NAMES:
        section, key = name.split(".")
        definition = schema["$defs"][schema["properties"][section]["$ref"].rsplit("/", 1)[-1]]
        prop = definition["properties"][key]
        found[name] = FormField(
            name=name, required=key in definition.get("required", ()) and prop.get("type") != "boolean",
            min_length=prop.get("minLength"), max_length=prop.get("maxLength"), max_items=prop.get("maxItems"),
            pattern=html_pattern(prop["pattern"]) if "pattern" in prop else None,
            options=tuple(prop.get("enum", ())),
        )
    return found


def posted(form: FormData) -> dict[str, Any]:
    """The values of a posted form, by field name: text trimmed (an empty one is a missing one), the sectors a
    list, the consent a yes or no (an unticked checkbox posts nothing)."""
    values: dict[str, Any] = {}
    for name in NAMES:
        if name == SECTORS:
            values[name] = [str(sector) for sector in form.getlist(name)]
        elif name == CONSENT:
            values[name] = form.get(name) == "yes"
        elif text := str(form.get(name) or "").strip():
            values[name] = text
    return values


def application(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The model's input (the JSON API's body) from the form's values."""
    body: dict[str, dict[str, Any]] = {"company": {}, "contact": {}, "project": {}, "consent": {}}
    for name, value in values.items():
        section, key = name.split(".")
        body[section][key] = value
    return body


def message(t: Translate, field: str, error_type: str, context: dict[str, Any]) -> str:
    """The sentence for an error of pydantic's `error_type` on `field`: the field's own, else the type's naming
    the field, else a generic one naming the field."""
    for key in (f"error.{field}.{error_type}", f"error.{error_type}", "error.generic"):
        if key in MESSAGES:
            return t(key).format(**{**context, "field": t(f"field.{field}")})
    raise AssertionError("error.generic is always there")


def errors(invalid: ValidationError, t: Translate) -> dict[str, str]:
    """The first error of each field, in the order of the form."""
    found: dict[str, str] = {}
    for error in invalid.errors():
        field = ".".join(str(part) for part in error["loc"][:2])
        if field not in found:
            found[field] = message(t, field, error["type"], error.get("ctx", {}))
    return {name: found[name] for name in sorted(found, key=lambda n: NAMES.index(n) if n in NAMES else len(NAMES))}


def client_messages(t: Translate) -> dict[str, dict[str, str]]:
    """What the page's script says for each check the browser can make: the same sentences as the server's."""
    checks: dict[str, dict[str, str]] = {}
    for name, spec in fields().items():
        said = {"missing": message(t, name, "missing", {})}
        if spec.min_length:
            said["too_short"] = message(t, name, "string_too_short", {"min_length": spec.min_length})
        if spec.max_length:
            said["too_long"] = message(t, name, "string_too_long", {"max_length": spec.max_length})
        if spec.max_items:
            said["too_long"] = message(t, name, "too_long", {"max_length": spec.max_items})
        if spec.pattern:
            said["pattern"] = message(t, name, "string_pattern_mismatch", {})
        checks[name] = said
    return checks


def hints(t: Translate) -> dict[str, str]:
    return {name: t(f"hint.{name}").format(min_length=spec.min_length, max_items=spec.max_items)
            for name, spec in fields().items() if f"hint.{name}" in MESSAGES}


def option_label(t: Translate, field: str, value: str) -> str:
    return LANGUAGES[value] if field == "contact.language" else t(f"option.{field}.{value}")


def _sort_key(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


@cache
def _country_names() -> dict[str, dict[str, str]]:
    return json.loads(COUNTRIES_FILE.read_text(encoding="utf-8"))


def countries(lang: str) -> list[tuple[str, str]]:
    """(ISO code, name in `lang`), by name."""
    names = [(code, names.get(lang) or names["en"]) for code, names in _country_names().items()]
    return sorted(names, key=lambda pair: _sort_key(pair[1]))


def sectors(t: Translate) -> list[tuple[str, str]]:
    """(sector id, readable name) of the reference data's vocabulary, by name: our translation, else the data's
    own description, else the id."""
    named = [(sector, t(f"sector.{sector}") if f"sector.{sector}" in MESSAGES else description or sector)
             for sector, description in reference.load().sectors.items()]
    return sorted(named, key=lambda pair: _sort_key(pair[1]))
