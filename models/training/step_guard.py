"""What the trainer checks after each step: finite metrics and weights, and the wall-clock rate."""

from __future__ import annotations

import math
import time

import torch

from models.base import GenerativeModel

Optimizers = dict[str, torch.optim.Optimizer]


class StepGuard:
    """Reads a step's metrics and checks that they and every weight are finite, with one
    device sync per step.

    The weights are checked after the update (and after `after_training_step`, so EMA
    copies and running statistics too): a loss is computed before its update, so an update
    that overflows on an epoch's last step would otherwise reach validation and the
    checkpoint. The metrics and one scalar summarising every floating tensor come back
    to Python in one `tolist()`.
    """

    def __init__(self, model: GenerativeModel) -> None:
        self._model = model
        self._tensors = [t for t in (*model.parameters(), *model.buffers())
                         if t.is_floating_point()]

    @torch.no_grad()
    def check(self, out: dict[str, torch.Tensor]) -> tuple[dict[str, float], str | None]:
        """Return (the metrics as floats, None) or (them, "what became what") when a metric
        or a weight is NaN or infinite."""
        values = [v if isinstance(v, torch.Tensor) else torch.tensor(float(v))
                  for v in out.values()]
        values = [v if v.ndim == 0 else v.reshape(()) for v in values]
        if self._tensors:
            values.append(self._weights_sum())
        # stack promotes mixed float types, so float32 metrics come back exactly.
        numbers = torch.stack(values).tolist() if values else []  # the one sync
        metrics = dict(zip(out, numbers[:len(out)], strict=True))
        for name, value in metrics.items():
            if not math.isfinite(value):
                return metrics, f"{name} became {value}"
        if numbers[len(out):] and not math.isfinite(numbers[-1]):
            return metrics, self._bad_weight()
        return metrics, None

    def _weights_sum(self) -> torch.Tensor:
        """Return a scalar that is finite exactly when every weight is (a sum overflows only
        for weights near 1e38 / their count, which are as broken): one read of each weight.

        On the CPU a plain sum per tensor is the cheapest read (measured: 0.13 ms against
        0.20 ms for the fused norm on the default VAE's 1.07 M weights); on an accelerator
        one fused kernel beats a launch per tensor.
        """
        if self._tensors[0].device.type == "cpu":
            return torch.stack([t.sum() for t in self._tensors]).sum()
        return torch.stack([n.float() for n in torch._foreach_norm(self._tensors)]).sum()

    def _bad_weight(self) -> str:
        """Return which weight is not finite (a slow scan, only after one failed)."""
        for name, t in (*self._model.named_parameters(), *self._model.named_buffers()):
            if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                bad = t[~torch.isfinite(t)].flatten()[0].item()
                return f"weight {name} became {bad}"
        return "the weights' norm became infinite"


def learning_rates(optimizers: Optimizers) -> str:
    """Return the optimisers' learning rates for a message ("0.001", or "generator 0.0002,
    discriminator 0.0002")."""
    rates = {name: opt.param_groups[0]["lr"] for name, opt in optimizers.items()}
    if len(rates) == 1:
        return f"{next(iter(rates.values())):g}"
    return ", ".join(f"{name} {lr:g}" for name, lr in rates.items())


class RateMeter:
    """Wall-clock images per second: images over the time between consecutive steps' ends
    (data, the step, checks, logging and the consumer's time between events), smoothed.

    An epoch end (validation, pictures, checkpoint; reported as EpochEnd.seconds) is left
    out: the first step of an epoch counts from the epoch's start plus the consumer's time
    after the previous event. Smoothing weighs steps by their time: the rate is the ratio
    of exponentially decaying sums of images and seconds.
    """

    DECAY = 0.9

    def __init__(self) -> None:
        self.rate = 0.0
        self._images = 0.0
        self._seconds = 0.0
        self._last = time.perf_counter()  # the previous step's end
        self._gap = 0.0  # the consumer's time after the last event

    def event_sent(self) -> None:
        """Record that an event was yielded (TrainStarted or a step) and the consumer is done."""
        self._gap = time.perf_counter() - self._last

    def restart(self) -> None:
        """Start an epoch: its first step counts from now plus the consumer's last time."""
        self._last = time.perf_counter() - self._gap

    def step_done(self, images: int) -> float:
        """Record a step's end; return the smoothed rate."""
        now = time.perf_counter()
        self._images = self.DECAY * self._images + images
        self._seconds = self.DECAY * self._seconds + max(now - self._last, 1e-9)
        self._last = now
        self.rate = self._images / self._seconds
        return self.rate
