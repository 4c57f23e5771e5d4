"""Every word of the applicant's pages exists in English, French and German, with the same blanks to fill."""

from __future__ import annotations

import re
import string
from typing import get_args

from contracts.events import Outcome
from services.intake.applications import form_fields as form
from services.intake.web import rendering
from services.intake.web.i18n import LANGUAGES, MESSAGES

TEMPLATES = rendering.HERE / "templates"


def blanks(text: str) -> set[str]:
    """The placeholders of a sentence, and the strftime codes of a date format."""
    return ({name for _, name, _, _ in string.Formatter().parse(text) if name}
            | set(re.findall(r"%[a-zA-Z]", text)))


def test_every_message_is_said_in_english_french_and_german_with_the_same_blanks():
    untranslated = {key: sorted(set(LANGUAGES) - {lang for lang, text in entry.items() if text.strip()})
                    for key, entry in MESSAGES.items()}
    assert {key: langs for key, langs in untranslated.items() if langs} == {}
    differing = [key for key, entry in MESSAGES.items()
                 if len({frozenset(blanks(text)) for text in entry.values()}) > 1]
    assert differing == []


def test_every_key_a_page_names_has_its_words():
    pages = [TEMPLATES / "base.html", *TEMPLATES.glob("apply/*.html")]
    named = {key for template in pages
             for key in re.findall(r"""\bt\(\s*["']([\w.-]+)["']\s*\)""", template.read_text(encoding="utf-8"))}
    assert named, "the pages name their words with t('key')"
    assert named - set(MESSAGES) == set()


def test_every_field_choice_and_outcome_has_its_words():
    # The keys pages build from the model's fields and choices, and from the contract's outcomes
    needed = {f"field.{name}" for name in form.NAMES}
    needed |= {f"option.{name}.{value}" for name, spec in form.fields().items() for value in spec.options
               if name != "contact.language"}
    needed |= {f"decision.{outcome}" for outcome in get_args(Outcome)}
    needed |= {f"next.{outcome}" for outcome in get_args(Outcome) if outcome not in ("accept_local", "forward")}
    assert needed - set(MESSAGES) == set()
