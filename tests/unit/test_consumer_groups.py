"""Each service's consumer groups, as the running services name them: Kafka keeps a reader's offsets under its
group id, so a renamed group reads its topics again from the start (a flood of copies for the inboxes to drop,
or, with offsets reset to the latest, messages never read). A change here is a migration, not a refactoring."""

from __future__ import annotations

from contracts import reference
from contracts.topics import referrals_to

INTAKE_GROUPS = {
    "intake.incoming-referrals": ("aif.referrals.incoming.v1",),
    "intake.offers": ("aif.referrals.to.lux-aif.v1",),
    "intake.partner-bridge": tuple(referrals_to(factory.id).name for factory in reference.load().partners),
    "intake.read-model.scored": ("aif.triage.application-scored.v1",),
    "intake.read-model.decisions": ("aif.routing.decision-made.v1",),
    "intake.read-model.referrals": ("aif.routing.referral-updated.v1",),
    "intake.read-model.emails": ("aif.notify.email-sent.v1",),
    "intake.read-model.journey": ("aif.journey.step-recorded.v1",),
    "intake.privacy": ("aif.privacy.erasure-requested.v1",),
}
TRIAGE_GROUPS = {"triage": ("aif.intake.application-submitted.v1",),
                 "triage.privacy": ("aif.privacy.erasure-requested.v1",)}
ROUTING_GROUPS = {
    "routing": ("aif.triage.application-scored.v1",),
    "routing.overrides": ("aif.routing.override-requested.v1",),
    "routing.journey": ("aif.journey.step-recorded.v1",),
    "routing.referrals": ("aif.referrals.replies.v1", "aif.referrals.replies.to.lux-aif.v1"),
    "routing.privacy": ("aif.privacy.erasure-requested.v1",),
}
NOTIFY_GROUPS = {
    "notify": ("aif.routing.decision-made.v1",),
    "notify.referrals": ("aif.routing.referral-updated.v1",),
    "notify.journey": ("aif.journey.step-recorded.v1",),
    "notify.privacy": ("aif.privacy.erasure-requested.v1",),
}


def test_intake_reads_its_topics_in_the_groups_it_always_had():
    # Given intake's table of reactions, as the service serves it
    from services.intake.main import REACTIONS

    # Then every topic is read in the group whose offsets Kafka already holds
    assert REACTIONS.service == "intake"
    assert REACTIONS.groups() == INTAKE_GROUPS


def test_every_partner_offer_topic_is_read_by_the_one_bridge_consumer():
    from services.intake.main import REACTIONS

    # Gaia and JAIF among them: one consumer reads every partner's offers, never a group per partner
    bridge = REACTIONS.for_topic(referrals_to("jaif").name)
    assert bridge.group == "intake.partner-bridge"
    assert REACTIONS.for_topic(referrals_to("gaia-aif").name) is bridge


def test_triage_reads_the_submitted_applications_in_its_group():
    from services.triage.main import REACTIONS

    assert REACTIONS.service == "triage"
    assert REACTIONS.groups() == TRIAGE_GROUPS


def test_routing_reads_its_topics_in_the_groups_it_always_had():
    from services.routing.main import REACTIONS

    assert REACTIONS.service == "routing"
    assert REACTIONS.groups() == ROUTING_GROUPS


def test_notify_reads_its_topics_in_the_groups_it_always_had():
    from services.notify.main import REACTIONS

    assert REACTIONS.service == "notify"
    assert REACTIONS.groups() == NOTIFY_GROUPS


def test_the_rebuild_replays_the_services_own_reactions():
    from services.intake.main import REACTIONS
    from services.intake.read_model.rebuild import replayed, taken_in

    # When the rebuild lists what it reads
    reaction_to = replayed(REACTIONS)

    # Then each topic goes through the service's own reaction, the applications come from their submitted events,
    # and a partner's referral is not taken in again (it became a submitted event when intake took it in)
    assert reaction_to["aif.intake.application-submitted.v1"] is taken_in
    assert "aif.referrals.incoming.v1" not in reaction_to
    for entry in REACTIONS:
        for topic in entry.topics:
            if topic.name != "aif.referrals.incoming.v1":
                assert reaction_to[topic.name] is entry.react
