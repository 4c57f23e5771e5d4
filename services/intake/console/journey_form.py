"""The journey's forms on an accepted project's page: what they offer (the next step, the providers suggested at
the matching step, the datasets at the PoC step, the steps a correction may go back to) and what they send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.datastructures import FormData

from contracts.events import JOURNEY_STEPS, ApplicationScored, ApplicationSubmitted
from services.intake.console.pages import text
from services.intake.journey import datasets as dataset_catalogue, providers as provider_directory
from services.intake.journey.steps import EXIT_REASONS, Journey, index_of, step_label

RECORDS = ("step", "exit", "correction")
FIELDS = ("record", "step", "on", "note", "exit_reason", "reason", "providers", "datasets")
SUGGESTED_CHECKED = 2  # the best suggestions come checked: the expert confirms them, or changes the choice


@dataclass(frozen=True)
class Offer:
    """What the journey section of the page offers the expert."""

    next_step: str | None
    back_to: list[tuple[str, str]]  # (value, label) of the steps a correction may go back to
    suggestions: list[provider_directory.Suggestion]
    other_providers: list[provider_directory.Provider]
    datasets: list[dataset_catalogue.Dataset]
    exit_reasons: dict[str, str]
    provider_names: dict[str, str]
    dataset_names: dict[str, str]
    steps: tuple[str, ...] = JOURNEY_STEPS


def offer(journey: Journey, submitted: ApplicationSubmitted, scored: ApplicationScored | None) -> Offer:
    sectors = [finding.sector for finding in scored.sectors] if scored else list(submitted.project.declared_sectors)
    directory = provider_directory.load()
    suggestions = provider_directory.suggest(directory, sectors=sectors, language=submitted.contact.language,
                                             summary=submitted.project.summary)
    suggested = {s.provider.id for s in suggestions}
    catalogue = dataset_catalogue.load()
    current = index_of(journey.current)
    return Offer(
        next_step=journey.next_step,
        back_to=[("", step_label(None))] + [(s, step_label(s)) for s in JOURNEY_STEPS[:max(current, 0)]],
        suggestions=suggestions,
        other_providers=sorted((p for p in directory.providers if p.id not in suggested), key=lambda p: p.name),
        datasets=catalogue.for_sectors(sectors),
        exit_reasons=EXIT_REASONS,
        provider_names={p.id: p.name for p in directory.providers},
        dataset_names={d.id: d.name for d in catalogue.datasets},
    )


def chosen_of(form: FormData) -> dict:
    """The form's values as the page shows them again after a refusal."""
    return {
        "record": text(form, "record"), "journey_id": text(form, "journey_id"), "step": text(form, "step"),
        "on": text(form, "on"), "note": text(form, "note"), "exit_reason": text(form, "exit_reason"),
        "reason": text(form, "reason"),
        "providers": [v for v in form.getlist("providers") if isinstance(v, str)],
        "datasets": [v for v in form.getlist("datasets") if isinstance(v, str)],
    }


def errors_of(chosen: dict) -> tuple[dict[str, str], date | None]:
    """What is missing or malformed in a journey form, by field, and the date it gives."""
    errors: dict[str, str] = {}
    if chosen["record"] not in RECORDS:
        errors["record"] = "Choose what to record: a step, an exit or a correction."
    try:
        on = date.fromisoformat(chosen["on"])
    except ValueError:
        on, errors["on"] = None, "Enter the date as year-month-day, e.g. 2026-12-01."
    if chosen["record"] == "exit" and chosen["exit_reason"] not in EXIT_REASONS:
        errors["exit_reason"] = "Choose why the project leaves the journey."
    if chosen["record"] == "correction" and not chosen["reason"]:
        errors["reason"] = "Say why the journey is corrected: the record keeps it, with your name."
    return errors, on
