"""Each toy family's view: a module per family with `OPTIONS` (its view controls),
`build(model, options, grids) -> FamilyParts`, and optionally `metric_samples(model)`."""

from __future__ import annotations

from types import ModuleType

from app.panels.toy_lab.options import ViewOption
from app.panels.toy_lab.views import diffusion, ebm, flow, gan, score, vae

FAMILY_VIEWS: dict[str, ModuleType] = {"gan": gan, "vae": vae, "diffusion": diffusion,
                                       "score": score, "flow": flow, "ebm": ebm}


def family_options(family: str) -> tuple[ViewOption, ...]:
    """Return the view options of a family (none for an unknown one)."""
    module = FAMILY_VIEWS.get(family)
    return module.OPTIONS if module is not None else ()
