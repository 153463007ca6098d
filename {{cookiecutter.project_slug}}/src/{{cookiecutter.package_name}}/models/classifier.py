"""A torchvision backbone with a fresh head, taking uint8 RGB batches and normalising on-device."""

from collections.abc import Sequence
from pathlib import Path

import torch
import torchvision
from torch import nn

from ..data.preprocessing import IMAGENET_MEAN, IMAGENET_STD
from ..settings import BACKBONES


def _replace_last_linear(net: nn.Module, num_classes: int) -> None:
    name, last = [(n, m) for n, m in net.named_modules() if isinstance(m, nn.Linear)][-1]
    parent = net.get_submodule(name.rpartition(".")[0])
    setattr(parent, name.rpartition(".")[2], nn.Linear(last.in_features, num_classes))


class Classifier(nn.Module):
    """`forward` takes NxCxHxW uint8 (or float in 0..255) and returns class logits.

    Weights are never downloaded: `weights` is an optional local state-dict file for the
    backbone (for example ImageNet weights fetched by hand), loaded before the head is replaced.
    Works in either memory format; callers move it to `channels_last` on GPUs.
    """

    def __init__(
        self,
        backbone: str,
        num_classes: int,
        weights: Path | None = None,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
    ):
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"backbone={backbone!r} must be one of {', '.join(BACKBONES)}")
        if num_classes < 2:
            raise ValueError(f"num_classes={num_classes} must be at least 2")
        net = torchvision.models.get_model(backbone, weights=None)
        if weights is not None:
            net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        _replace_last_linear(net, num_classes)
        self.backbone = net
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1) * 255)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1) * 255)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = (images.float() - self.mean) / self.std
        return self.backbone(x)
