"""Prompts against the text encoder's length: what is cut, said in one line."""

from __future__ import annotations

from typing import Any


def truncation_notice(tokenizer: Any, prompt: str, what: str = "prompt") -> str | None:
    """Return one line saying that `prompt` is longer than `tokenizer` takes and what is
    dropped (the pipeline's encoder keeps the first model_max_length tokens, as diffusers
    does), or None when it fits. Any thread; tokenizing only."""
    if not prompt:
        return None
    limit = int(tokenizer.model_max_length)
    ids = tokenizer(prompt, padding="longest", truncation=False).input_ids
    if len(ids) <= limit:
        return None
    dropped = tokenizer.decode(ids[limit - 1:-1]).strip()
    return (f"the {what} is {len(ids)} tokens and the text encoder takes {limit}: "
            f"\u201c{dropped}\u201d was cut")
