"""Label suggestions from a vision-capable LLM for the images the model is least sure of.

A human-in-the-loop queue: the model predicts a folder of unlabelled images, the ones with the
smallest margin between its first and second guess are sent, one at a time, to an
OpenAI-compatible chat API (the official `openai` client, pointed at `base_url`: OpenAI, Azure,
vLLM, Ollama, ...), which answers with one of the project's labels. Nothing is relabelled
automatically: the suggestions go into a CSV for a person to accept or correct.

Off by default (`LLM_LABELLING=on` turns it on): each call sends an image out and costs money.
Every call has a timeout and the client's retries with backoff; tokens are counted from the
answers' `usage` and priced from a pricing file, and no call is made once the budget is spent.
"""

import base64
import csv
import io
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import yaml

from ..data.image import load_image
from ..utils.atomic import atomic_write_text
from . import IntegrationError
from .settings import LabellingSettings

log = logging.getLogger(__name__)
INSTRUCTIONS = (
    "You label images for an image classifier. Answer with a JSON object with the keys "
    '"label" (exactly one of the allowed labels, or "unsure"), "confidence" (a number from 0 to 1) '
    'and "reason" (at most 20 words).'
)
QUEUE_COLUMNS = (
    "path",
    "model_label",
    "model_probability",
    "margin",
    "suggested_label",
    "llm_confidence",
    "reason",
    "status",
)


@dataclass
class Usage:
    """Tokens and the estimated cost of every call made so far."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    failures: list[str] = field(default_factory=list)


def read_pricing(path: Path, model: str) -> tuple[float, float]:
    """(USD per million input tokens, per million output tokens) for `model` from a YAML pricing file."""
    path = Path(path)
    if not path.is_file():
        raise IntegrationError(f"{path}: pricing file not found; cost accounting and the budget need one")
    prices = (yaml.safe_load(path.read_text()) or {}).get("models", {})
    if model not in prices:
        raise IntegrationError(f"{path}: no price for model {model!r}; add it under models: (USD per million tokens)")
    entry = prices[model]
    return float(entry["input_per_million"]), float(entry["output_per_million"])


def least_sure(results: dict[str, list[dict]], count: int) -> list[tuple[str, list[dict]]]:
    """The `count` predictions with the smallest margin between the first and second label."""

    def margin(row: list[dict]) -> float:
        return row[0]["probability"] - (row[1]["probability"] if len(row) > 1 else 0.0)

    return sorted(results.items(), key=lambda item: (margin(item[1]), item[0]))[:count]


def image_data_url(path: str | Path, side: int) -> str:
    """The image as a JPEG data URL, its longest side at most `side` pixels."""
    image = load_image(path)
    height, width = image.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale < 1:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise IntegrationError(f"{path}: could not encode the image as JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode()


class LabelSuggester:
    """One chat call per image; counts usage and refuses to call past the budget."""

    def __init__(self, s: LabellingSettings, labels: list[str], prices: tuple[float, float]):
        if not s.enabled:
            raise IntegrationError(
                "LLM labelling is off (it sends images to an outside service and costs money): "
                "set LLM_LABELLING=on or pass --enabled"
            )
        if not os.environ.get("OPENAI_API_KEY"):
            raise IntegrationError("set OPENAI_API_KEY (any non-empty value for a local server that ignores it)")
        from openai import OpenAI

        self.s, self.labels, self.prices = s, list(labels), prices
        self.client = OpenAI(base_url=s.base_url, timeout=s.timeout_s, max_retries=s.retries)
        self.usage = Usage()

    @property
    def budget_left(self) -> bool:
        return self.usage.cost_usd < self.s.max_cost_usd

    def suggest(self, path: str | Path) -> dict:
        """{"label", "confidence", "reason", "status"}; status is ok, unsure, invalid or failed."""
        import openai

        question = f"Allowed labels: {', '.join(self.labels)}. Which one does this image show?"
        try:
            response = self.client.chat.completions.create(
                model=self.s.model,
                temperature=0,
                max_tokens=120,
                response_format={"type": "json_object"},
                messages=[
                    {"role": "system", "content": INSTRUCTIONS},
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": question},
                            {"type": "image_url", "image_url": {"url": image_data_url(path, self.s.image_side)}},
                        ],
                    },
                ],
            )
        except openai.OpenAIError as error:  # timeouts, refused connections, 4xx/5xx after the retries
            reason = f"{type(error).__name__}: {getattr(error, 'status_code', '') or ''}".rstrip(": ")
            self.usage.failures.append(f"{path}: {reason}")
            log.warning("no suggestion for %s (%s)", path, reason)
            return {"label": "", "confidence": "", "reason": reason, "status": "failed"}
        self._count(response.usage)
        return self._parse(response.choices[0].message.content or "")

    def _count(self, usage) -> None:
        prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        self.usage.calls += 1
        self.usage.prompt_tokens += prompt
        self.usage.completion_tokens += completion
        self.usage.cost_usd += (prompt * self.prices[0] + completion * self.prices[1]) / 1_000_000

    def _parse(self, text: str) -> dict:
        try:
            answer = json.loads(text)
            label, confidence = str(answer["label"]), float(answer.get("confidence", 0))
        except (ValueError, KeyError, TypeError):
            return {"label": "", "confidence": "", "reason": f"unreadable answer: {text[:80]!r}", "status": "invalid"}
        reason = str(answer.get("reason", ""))[:200]
        if label == "unsure":
            return {"label": "", "confidence": confidence, "reason": reason, "status": "unsure"}
        if label not in self.labels:
            return {"label": label, "confidence": confidence, "reason": reason, "status": "invalid"}
        return {"label": label, "confidence": confidence, "reason": reason, "status": "ok"}


def build_queue(results: dict[str, list[dict]], suggester: LabelSuggester, count: int) -> list[dict]:
    """Ask about the `count` least-sure images while the budget lasts; one queue row per image."""
    rows = []
    for path, prediction in least_sure(results, count):
        top, second = prediction[0], prediction[1] if len(prediction) > 1 else {"probability": 0.0}
        if suggester.budget_left:
            answer = suggester.suggest(path)
        else:
            answer = {"label": "", "confidence": "", "reason": "budget spent", "status": "skipped"}
        rows.append(
            {
                "path": path,
                "model_label": top["label"],
                "model_probability": top["probability"],
                "margin": round(top["probability"] - second["probability"], 6),
                "suggested_label": answer["label"],
                "llm_confidence": answer["confidence"],
                "reason": answer["reason"],
                "status": answer["status"],
            }
        )
    return rows


def write_queue(rows: list[dict], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, QUEUE_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return atomic_write_text(path, buffer.getvalue())
