"""The HTTP bridge for partner factories without Kafka: what a partner reads and writes on its topics, over HTTP.

- `GET /v1/partners/{factory_id}/offers`: the offers made to the partner that wait for its answer, each as the
  envelope it would read on `aif.referrals.to.<factory-id>.v1`. Intake reads every partner's offer topic (consumer
  group `intake.partner-bridge`, `when_offered`) and keeps each offer until it is answered here or its deadline
  passes.
- `POST /v1/partners/{factory_id}/replies`: the partner's answer to one of its offers, published on
  `aif.referrals.replies.v1` in the partner's name. It is signed with this factory's own private key: the
  partner's stays with the partner, and the readers accept this factory's signature as the bridge's
  (services/runtime/partners.py).
- `POST /v1/partners/{factory_id}/referrals`: a project the partner refers to the home factory, published on
  `aif.referrals.incoming.v1` the same way; intake's own subscriber takes it in from there (incoming.py).

Every request is signed by the partner with its own key (signed_requests.py); a refused request changes nothing.
"""

from __future__ import annotations

import json
import logging

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import update
from sqlmodel import col, select

from contracts import signing
from contracts.envelope import Envelope, now
from contracts.events import ReferralAnswer, ReferralIncoming, ReferralOffered, ReferralReplied
from contracts.topics import REFERRAL_REPLIES, REFERRALS_INCOMING, Topic
from services.intake.errors import ErrorBody, Refusal
from services.intake.models import BridgeOffer
from services.intake.partners.incoming import application_id_of
from services.intake.partners.signed_requests import SignedRequest, may_not_act, remember, require_signed_request
from services.runtime.db import as_utc
from services.runtime.partners import PartnerKeys
from services.runtime.reactions import Tx
from services.runtime.service import Runtime

log = logging.getLogger(__name__)


async def when_offered(tx: Tx, envelope: Envelope[ReferralOffered]) -> None:
    """Keep the offer for its partner, to fetch over the bridge if it has no Kafka."""
    offer = envelope.data
    tx.add(BridgeOffer(offer_id=offer.offer_id, factory_id=offer.factory_id, application_id=offer.application_id,
                       envelope=envelope.model_dump_json(), answer_by=offer.answer_by))


def in_the_name_of(factory_id: str, envelope: Envelope) -> Envelope:
    """An envelope built here, as partner `factory_id` sends it: its source names the partner."""
    return envelope.model_copy(update={"source": signing.partner_source(factory_id)})


class Reply(BaseModel):
    """A partner's answer to one of its offers."""

    model_config = ConfigDict(extra="forbid")

    offer_id: str = Field(description="The `data.offer_id` of the offer.")
    answer: ReferralAnswer = Field(description="accept, decline or need_more_information.")
    reason: str | None = Field(default=None, max_length=500,
                               description="Why, for a decline or a question: 500 characters at most (it reaches the "
                                           "applicant's email).")


class PartnerReferral(ReferralIncoming):
    """The payload of `aif.referrals.incoming.v1`; `from_factory` may be left out: it is the partner of the path."""

    from_factory: str | None = Field(default=None, description="The referring partner: the one of the path.")


class Offers(BaseModel):
    offers: list[Envelope[ReferralOffered]] = Field(description="Pending offers, the one due first first.")


class Replied(BaseModel):
    offer_id: str
    event_id: str = Field(description="Id of the reply's envelope on aif.referrals.replies.v1.")


class Referred(BaseModel):
    referral_id: str
    application_id: str = Field(description="The application the referral becomes at the home factory.")


RESPONSES: dict[int | str, dict] = {
    401: {"model": ErrorBody, "description": "A signature header is missing, the partner is unknown, the signature "
                                             "does not match, or the timestamp is outside the replay window."},
    403: {"model": ErrorBody, "description": "The signing partner is not the partner of the path."},
    409: {"model": ErrorBody, "description": "The same signed request was received before (a replay)."},
}
UNAVAILABLE = {503: {"model": ErrorBody, "description": "The message broker did not take the message, or this "
                                                        "factory has no key to sign it with; nothing was recorded: "
                                                        "send the request again, signed anew."}}


def router(runtime: Runtime, keys: PartnerKeys, own_key: Ed25519PrivateKey | None, window: int) -> APIRouter:
    """The bridge's routes: requests checked with the partners' public `keys`, what they send published signed
    with this factory's `own_key` (none: every publication is refused with a 503 naming the missing key)."""
    routes = APIRouter(prefix="/v1/partners/{factory_id}", tags=["partner factories"], responses=RESPONSES)
    authenticated = Depends(require_signed_request(keys, window))

    async def publish(topic: Topic, envelope: Envelope, signed: SignedRequest) -> None:
        """Publish in the partner's name, signed with this factory's key as the bridge relaying for the partner,
        and return once the broker has acknowledged it (acks=all); else a 503 refusal."""
        if own_key is None:
            raise signed.refusal(503, "not_signing", "this factory has no signing key to publish in the partner's "
                                                     "name (FACTORY_SIGNING_KEY_FILE); nothing was recorded")
        value = envelope.model_dump_json().encode()
        try:
            await runtime.broker.publish(value, topic=topic.name, key=envelope.subject.encode(), headers={
                "content-type": "application/cloudevents+json", signing.KAFKA_HEADER: signing.sign(own_key, value)})
        except Exception as error:  # noqa: BLE001 - whatever failed, nothing is recorded: the partner sends again
            log.exception("partner bridge: publishing on %s for partner %s failed", topic.name, signed.factory_id)
            raise signed.refusal(503, "broker_unavailable",
                                 "the message broker did not take the message; nothing was recorded: send the "
                                 "request again, signed anew") from error

    @routes.get("/offers", response_model=Offers, summary="The offers waiting for this partner's answer")
    async def offers(signed: SignedRequest = authenticated) -> dict:
        async with runtime.transaction() as tx:
            await remember(tx, signed)
            pending = (await tx.exec(
                select(BridgeOffer).where(BridgeOffer.factory_id == signed.factory_id)
                .where(col(BridgeOffer.answered_at).is_(None)).where(col(BridgeOffer.answer_by) > now())
                .order_by(col(BridgeOffer.answer_by), col(BridgeOffer.offer_id))
            )).all()
        return {"offers": [json.loads(offer.envelope) for offer in pending]}

    @routes.post("/replies", status_code=202, response_model=Replied,
                 summary="Answer an offer: published on aif.referrals.replies.v1 in the partner's name",
                 responses={404: {"model": ErrorBody, "description": "No such offer was made to this partner."},
                            409: {"model": ErrorBody, "description": "A replay, or the offer was answered already "
                                                                     "or is past its deadline."},
                            422: {"description": "A field is missing or invalid; the message names it."},
                            **UNAVAILABLE})
    async def reply(answer: Reply, signed: SignedRequest = authenticated) -> JSONResponse:
        async with runtime.transaction() as tx:
            await remember(tx, signed)
            offer = (await tx.exec(select(BridgeOffer).where(BridgeOffer.offer_id == answer.offer_id))).first()
            if offer is None or offer.factory_id != signed.factory_id:
                raise signed.refusal(404, "not_found", f"no offer {answer.offer_id} was made to {signed.factory_id}")
            if offer.answered_at is not None:
                raise signed.refusal(409, "already_answered", f"offer {offer.offer_id} was answered already "
                                                              f"({offer.answer}): an answer is final")
            if as_utc(offer.answer_by) <= now():
                raise signed.refusal(409, "expired", f"offer {offer.offer_id} expired: its answer was due by "
                                                     f"{as_utc(offer.answer_by):%Y-%m-%d %H:%M:%S} UTC")
            offered = Envelope[ReferralOffered].model_validate_json(offer.envelope)
            replied = ReferralReplied(application_id=offer.application_id, offer_id=offer.offer_id,
                                      factory_id=signed.factory_id, answer=answer.answer, reason=answer.reason)
            # Derived from the offer and the answer: the same answer sent again is the same event.
            event = in_the_name_of(signed.factory_id, tx.caused_by(offered, REFERRAL_REPLIES, replied,
                                                                   discriminator=f"/{answer.answer}"))
            # Claimed before publishing, in one conditional update: of two answers sent at once (an accept and a
            # decline), one claims the offer and the other gets a 409, on SQLite as on PostgreSQL.
            claimed_at = now()
            claim = await tx.exec(update(BridgeOffer).where(col(BridgeOffer.offer_id) == offer.offer_id)
                                  .where(col(BridgeOffer.answered_at).is_(None))
                                  .values(answer=answer.answer, answered_at=claimed_at))
            if claim.rowcount != 1:
                raise signed.refusal(409, "already_answered", f"offer {offer.offer_id} was answered meanwhile: an "
                                                              "answer is final")
        # Published once the claim has committed: the database is never held while the broker takes its time (on
        # SQLite, that would hold up every other writer, public submissions included). A failed publish gives the
        # claim back. Should intake stop between the two, the offer stays answered without a reply on the topic, and
        # routing's deadline hands it to staff as for a partner that never answered.
        try:
            await publish(REFERRAL_REPLIES, event, signed)
        except Refusal:
            async with runtime.transaction() as tx:
                await tx.exec(update(BridgeOffer).where(col(BridgeOffer.offer_id) == offer.offer_id)
                              .where(col(BridgeOffer.answered_at) == claimed_at)
                              .values(answer=None, answered_at=None))
            raise
        return JSONResponse({"offer_id": offer.offer_id, "event_id": event.id}, status_code=202)

    @routes.post("/referrals", status_code=202, response_model=Referred,
                 summary="Refer a project to the home factory: published on aif.referrals.incoming.v1 in the partner's "
                         "name",
                 responses={422: {"description": "A field is missing or invalid; the message names it."},
                            **UNAVAILABLE})
    async def refer(body: PartnerReferral, signed: SignedRequest = authenticated) -> JSONResponse:
        if body.from_factory not in (None, signed.factory_id):
            raise signed.refusal(403, "forbidden", may_not_act(signed.factory_id, str(body.from_factory)))
        referral = ReferralIncoming.model_validate({**body.model_dump(), "from_factory": signed.factory_id})
        async with runtime.transaction() as tx:
            event = in_the_name_of(signed.factory_id, tx.first_event(REFERRALS_INCOMING, referral,
                                                                     subject=referral.referral_id))
            await remember(tx, signed)
        await publish(REFERRALS_INCOMING, event, signed)  # once the signature is kept: the database is not held
        return JSONResponse({"referral_id": referral.referral_id, "application_id": application_id_of(referral)},
                            status_code=202)

    return routes
