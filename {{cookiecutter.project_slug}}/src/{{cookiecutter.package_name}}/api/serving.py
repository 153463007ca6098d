"""Serving strategies: which loaded model answers a request, and what runs after the answer.

The app holds one strategy. The default, `SingleModel`, sends every request to the model it was
started with; an extension can wrap it or replace it through the seam (`Extension.serving`), as
the rollout of a candidate model does, without a branch in the app or its routes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..inference.predict import Predictor

PRIMARY = "primary"


@dataclass(frozen=True)
class Answer:
    variant: str  # which model answered, sent back in the X-Model-Variant header
    predictions: list[dict]
    after_response: Callable[[], None] | None = None  # work that must not delay the answer


class Serving(Protocol):
    primary: Predictor  # what /ready reports on
    models: list[Predictor]  # every model the strategy runs: each gets a micro-batcher

    def predict(self, request_id: str, image: np.ndarray, top_k: int) -> Answer: ...


# What an extension's `serving` hook returns: the strategy built so far -> the one to use instead.
ServingWrapper = Callable[[Serving], Serving]


class SingleModel:
    """Every request goes to the one model."""

    def __init__(self, primary: Predictor):
        self.primary = primary
        self.models = [primary]

    def predict(self, request_id: str, image: np.ndarray, top_k: int) -> Answer:
        [predictions] = self.primary.predict_arrays([image], top_k)
        return Answer(PRIMARY, predictions)
