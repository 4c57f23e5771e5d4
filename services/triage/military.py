"""Military purposes: told apart from the civilian texts that only sound military, with evidence.

The EuroHPC AI Factories serve civilian applications. A military purpose is declined; a possible dual use, or a
single cue, goes to staff with the cue named. Cues, in every language of the vocabulary:
- a strong term ('armed forces', 'ammunition', 'target acquisition') counts 2, a weak one ('drone',
  'surveillance', 'defence') 1, and the model ranking the military description first for a sentence 1;
- a civilian context (two words such as 'museum', 'history', 'search and rescue', or one in the title) speaks
  against: two strong cues then reach staff, and only three that the model reads as military decline;
- a military purpose must weigh at least as much as the project's best civilian sector (or the model must read
  it first): a drone detector for airports that armies may buy too is a possible dual use, not a weapon;
- weak cues that the model does not bear out (the military description is not among the closest to the text)
  are words used otherwise ('surveillance' of a vineyard): no signal;
- a phrase that is not military ('cyber defence', 'armoured glass') hides its words (the lexicon's `not`).
`military_decline_min` cues (with a strong one) decline; a strong cue, or `military_review_min` distinct weak ones
(the model's reading counting as one), send to staff; a single weak word ('radar', 'drone') is no cue on its own.
"""

from __future__ import annotations

from services.triage.model import Classifier, Signal

MILITARY_SECTOR = "defence"


def military_signal(cues, civilian: tuple[str, ...], civilian_titles: bool, civilian_best: int, ranked,
                    settings: Classifier) -> Signal | None:
    """`cues`: the lexical candidate of the military sector (its strong and weak words and its score, a word in
    the title counting more); `civilian`: the civilian context words found (`civilian_titles`: one in the title);
    `civilian_best`: the score of the best civilian sector; `ranked`: the model's ranking, when it was asked."""
    strong = list(dict.fromkeys(cues.strong_terms)) if cues else []
    weak = list(dict.fromkeys(cues.weak_terms)) if cues else []
    if not strong and not weak:
        return None
    model = bool(ranked) and ranked[0].sector == MILITARY_SECTOR and ranked[0].lift >= settings.semantic_lift_min
    # The model checks a cue: is the military description among the closest to what the text says?
    borne_out = not ranked or MILITARY_SECTOR in [r.sector for r in ranked[:settings.semantic_confirm_rank]]
    score = cues.score + model * settings.military_model_points
    evidence = tuple(strong + weak) + (("the model reads a military purpose",) if model else ())
    said = ", ".join(f"'{word}'" for word in strong + weak)
    if len(set(civilian)) >= 2 or civilian_titles:
        if len(strong) >= 3 and model:
            return Signal("military", evidence, f"The project describes a military purpose ({said}), beside a "
                          f"civilian use ({', '.join(civilian)}).")
        if len(strong) >= 2:
            return Signal("dual-use", evidence, f"The text has military words ({said}) but also a civilian "
                          f"context ({', '.join(civilian)}): an intake expert checks what the project is for.")
        return None
    if strong and score >= settings.military_decline_min and (score >= civilian_best or model or len(strong) >= 2):
        return Signal("military", evidence, f"The project describes a military purpose ({said}).")
    if not strong and not borne_out:  # weak cues the model does not bear out: words used otherwise
        return None
    if strong or len(weak) + model >= settings.military_review_min:
        purpose = " beside a civilian purpose" if civilian_best > score else ""
        return Signal("dual-use", evidence, f"Cues of a military use ({said}){purpose}: an intake expert checks who "
                      "the end users are before anything is decided.")
    return None
