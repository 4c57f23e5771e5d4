"""The words of the applicant's pages in English, French and German. A missing translation falls back to English,
and a test checks that none is missing."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch"}

MESSAGES: dict[str, dict[str, str]] = {
    "site.name": {"en": "Luxembourg AI Factory", "fr": "Luxembourg AI Factory", "de": "Luxembourg AI Factory"},
    "site.tagline": {"en": "One-stop shop for AI projects", "fr": "Guichet unique pour les projets d'IA",
                     "de": "Zentrale Anlaufstelle für KI-Projekte"},
    "site.skip": {"en": "Skip to main content", "fr": "Aller au contenu principal",
                  "de": "Zum Hauptinhalt springen"},
    "site.language": {"en": "Language", "fr": "Langue", "de": "Sprache"},
}


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry["en"]

    return t
