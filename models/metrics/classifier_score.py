"""A classifier score in the manner of the Inception Score (Salimans et al., 2016), computed
with the bundled digit classifier instead of Inception: exp E_x[KL(p(y|x) ‖ p(y))], p(y) the
mean of p(y|x) over the images. It lies in [1, K]: 1 when every image gets the same class
distribution, K when each is one confident class and the K classes are equally frequent.
It is not the Inception Score and is not comparable with published ones."""

from __future__ import annotations

import torch

NAME = "digit classifier score (Inception-Score style)"


def classifier_score(probs: torch.Tensor) -> float:
    """Return exp E[KL(p(y|x) ‖ p(y))] of class probabilities `probs` (N×K, rows summing
    to 1)."""
    p = probs.double().clamp(min=0.0)
    p = p / p.sum(1, keepdim=True)
    marginal = p.mean(0, keepdim=True)
    # 0·log 0 = 0: classes an image gives no probability add nothing to its KL.
    terms = torch.where(p > 0, p * (p.clamp(min=1e-300).log()
                                    - marginal.clamp(min=1e-300).log()), torch.zeros_like(p))
    return float(terms.sum(1).mean().exp())
