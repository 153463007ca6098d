"""A/B and shadow rollouts: a candidate model takes a fixed share of requests, chosen by request id.

The share is picked by hashing the request id, not by a random draw: the same id always lands on
the same variant (a retried request meets the same model), every replica agrees without sharing
state, and a test can predict the split. In `ab` mode the candidate answers its share; in
`shadow` mode the primary always answers, and the candidate also runs on its share after the
response has gone out, so only the logs see what it would have said.
"""

import functools
import hashlib
import logging

import numpy as np

from ..api.serving import PRIMARY, Answer
from ..inference.predict import Predictor
from .settings import RolloutSettings

log = logging.getLogger(__name__)

CANDIDATE = "candidate"


def bucket(request_id: str) -> float:
    """A number in [0, 1) fixed by the request id (the first 8 bytes of its SHA-256)."""
    digest = hashlib.sha256(request_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_candidate_share(request_id: str, share: float) -> bool:
    return bucket(request_id) < share


class Rollout:
    """The serving strategy of a rollout: the primary model, a candidate, and the rule that splits
    requests between them (it replaces the core's single model through the seam)."""

    def __init__(self, primary: Predictor, candidate: Predictor, settings: RolloutSettings):
        if settings.rollout_mode == "ab" and candidate.class_names != primary.class_names:
            raise ValueError(
                f"the candidate {settings.candidate} answers with classes {candidate.class_names}, the primary "
                f"with {primary.class_names}: an A/B rollout needs the same classes (shadow mode does not)"
            )
        self.primary = primary
        self.candidate = candidate
        self.models = [primary, candidate]
        self.settings = settings

    @classmethod
    def load(cls, primary: Predictor, settings: RolloutSettings, device: str = "auto") -> "Rollout":
        candidate = Predictor.from_checkpoint(settings.candidate, device, backend=primary.backend)
        log.info(
            "rollout: %s mode, %.1f%% of requests to candidate %s",
            settings.rollout_mode,
            100 * settings.candidate_share,
            settings.candidate,
        )
        return cls(primary, candidate, settings)

    def variant_for(self, request_id: str) -> str:
        """Which model answers this request."""
        ab = self.settings.rollout_mode == "ab"
        return CANDIDATE if ab and in_candidate_share(request_id, self.settings.candidate_share) else PRIMARY

    def shadows(self, request_id: str) -> bool:
        """Whether the candidate also runs on this request, for the logs only."""
        return self.settings.rollout_mode == "shadow" and in_candidate_share(request_id, self.settings.candidate_share)

    def predict(self, request_id: str, image: np.ndarray, k: int) -> Answer:
        """Top-k from the variant this request belongs to; logs which variant answered. A request
        in a shadow's share also runs on the candidate, after the answer has gone out."""
        variant = self.variant_for(request_id)
        model = self.candidate if variant == CANDIDATE else self.primary
        [predictions] = model.predict_arrays([image], k)
        top = predictions[0]
        log.info(
            "rollout request_id=%s mode=%s variant=%s label=%s probability=%.4f",
            request_id,
            self.settings.rollout_mode,
            variant,
            top["label"],
            top["probability"],
            extra={"request_id": request_id, "variant": variant},
        )
        shadow = functools.partial(self.shadow, request_id, image, k, predictions) if self.shadows(request_id) else None
        return Answer(variant, predictions, shadow)

    def shadow(self, request_id: str, image: np.ndarray, k: int, answered: list[dict]) -> None:
        """Run the candidate on a request the primary answered, and log both top labels.

        Called after the response was sent; a failing candidate is logged and never reaches a client.
        """
        try:
            [predictions] = self.candidate.predict_arrays([image], k)
        except Exception:
            log.exception("rollout request_id=%s shadow run of the candidate failed", request_id)
            return
        top, primary_top = predictions[0], answered[0]
        log.info(
            "rollout request_id=%s mode=shadow variant=candidate label=%s probability=%.4f primary_label=%s agrees=%s",
            request_id,
            top["label"],
            top["probability"],
            primary_top["label"],
            top["label"] == primary_top["label"],
            extra={"request_id": request_id, "variant": CANDIDATE},
        )
