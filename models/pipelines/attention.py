"""Where each word looks: per-token cross-attention maps recorded during a UNet pass.

`CrossAttentionRecorder(unet, n, size)` swaps every cross-attention layer's processor
(`attn2`) for diffusers' plain `AttnProcessor` (explicit softmax, so the probabilities
exist; the default SDPA kernel never forms them) that keeps them: per layer, the
conditional half of the batch (with guidance the batch is [negative; prompt]), averaged
over heads, brought to the latent's h×w and averaged over layers. `take()` returns them
as n×T×h×w (T the text encoder's positions: start, the prompt's tokens, end, padding;
each pixel's maps sum to 1 over T) and starts the next pass. `close()` puts the
processors back. Explicit attention differs from SDPA by rounding only (tested ≤ 1e-4
on the final image).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


class _Recording:
    """An AttnProcessor that hands each pass's attention probabilities to `sink`."""

    def __init__(self, name: str, sink: Any) -> None:
        from diffusers.models.attention_processor import AttnProcessor

        self.name, self.sink, self.inner = name, sink, AttnProcessor()

    def __call__(self, attn: Any, hidden_states: torch.Tensor, *args: Any, **kwargs: Any
                 ) -> torch.Tensor:
        original = attn.get_attention_scores

        def scores(query: torch.Tensor, key: torch.Tensor, mask: Any = None
                   ) -> torch.Tensor:
            probs = original(query, key, mask)
            self.sink(probs, attn.heads)
            return probs

        # AttnProcessor calls attn.get_attention_scores: shadow it on this instance for the
        # call (the module is the calling thread's own copy), then uncover the method.
        attn.get_attention_scores = scores
        try:
            return self.inner(attn, hidden_states, *args, **kwargs)
        finally:
            del attn.get_attention_scores


class CrossAttentionRecorder:
    """Records cross-attention maps of `unet` for `n` images of latent size `size` (h, w);
    `guided`: the batch holds [negative; prompt] and the prompt's half is kept."""

    def __init__(self, unet: Any, n: int, size: tuple[int, int], guided: bool) -> None:
        self.unet, self.n, self.size, self.guided = unet, n, size, guided
        self.original = dict(unet.attn_processors)
        self.sum: torch.Tensor | None = None
        self.layers = 0
        processors = {name: _Recording(name, self._add) if ".attn2." in name else proc
                      for name, proc in self.original.items()}
        unet.set_attn_processor(processors)

    def _add(self, probs: torch.Tensor, heads: int) -> None:
        """Fold one layer's probabilities (batch·heads × h'w' × T) into the sum."""
        batch = probs.shape[0] // heads
        p = probs.reshape(batch, heads, probs.shape[1], probs.shape[2])[batch - self.n:]
        p = p.float().mean(dim=1)  # n × h'w' × T
        h, w = self.size
        scale = math.sqrt(h * w / p.shape[1])
        hh, ww = round(h / scale), round(w / scale)
        p = p.transpose(1, 2).reshape(self.n, -1, hh, ww)
        if (hh, ww) != (h, w):
            p = torch.nn.functional.interpolate(p, size=(h, w), mode="bilinear",
                                                align_corners=False)
        self.sum = p if self.sum is None else self.sum + p
        self.layers += 1

    def take(self) -> np.ndarray | None:
        """Return this pass's maps, n×T×h×w float32 averaged over layers (None: no
        cross-attention ran), and start the next pass."""
        if self.sum is None:
            return None
        maps = (self.sum / self.layers).cpu().numpy().astype(np.float32, copy=True)
        self.sum, self.layers = None, 0
        return maps

    def close(self) -> None:
        """Put the UNet's own processors back."""
        self.unet.set_attn_processor(self.original)


def prompt_tokens(tokenizer: Any, prompt: str) -> tuple[str, ...]:
    """Return the text encoder's positions for `prompt` as token strings (start, tokens,
    end, padding up to the tokenizer's length), as the maps' T axis counts them."""
    ids = tokenizer(prompt, padding="max_length", max_length=tokenizer.model_max_length,
                    truncation=True).input_ids
    return tuple(tokenizer.convert_ids_to_tokens(ids))
