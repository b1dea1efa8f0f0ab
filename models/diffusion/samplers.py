"""The one table of diffusion samplers: what each is called, needs and does (no torch).

The config's choices, the sampling loop, the CLI and the GUI all read it, so a sampler
is added or described in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamplerSpec:
    """One sampler: its name (as configs and the CLI spell it) and how it behaves."""

    name: str
    label: str  # for display
    scheduler: str  # the diffusers scheduler class
    description: str  # one line for tooltips and --help
    stochastic: bool  # draws fresh noise every step whatever η is
    uses_eta: bool  # takes DDIM's η (η > 0 adds noise)
    # How x̂0 is kept in range when the model's schedule clips: "clip" (the scheduler's
    # clip_sample), "emulate" (the scheduler has no clip_sample: Latent Lab clamps x̂0 itself
    # when Departures.emulate_clip is on) or "none" (never clamped).
    clip: str
    supports_guidance: bool = True  # guidance lives in the predictor: every sampler takes it
    sigma_space: bool = False  # works on x·√(σ²+1) with σ-indexed steps (Euler)
    scheduler_options: tuple[tuple[str, object], ...] = ()  # extra from_config arguments
    noise_at_t0: bool = True  # a stochastic step at t = 0 still draws noise (DDPM's does not)


SAMPLERS: dict[str, SamplerSpec] = {s.name: s for s in (
    SamplerSpec("ddpm", "DDPM", "DDPMScheduler",
                "the original ancestral sampler: fresh noise each step, needs many steps",
                stochastic=True, uses_eta=False, clip="clip", noise_at_t0=False),
    SamplerSpec("ddim", "DDIM", "DDIMScheduler",
                "deterministic at η = 0 (η > 0 adds noise), good in 20–50 steps",
                stochastic=False, uses_eta=True, clip="clip"),
    SamplerSpec("dpm-solver++", "DPM-Solver++", "DPMSolverMultistepScheduler",
                "deterministic multistep solver: good in 10–20 steps",
                stochastic=False, uses_eta=False, clip="emulate",
                scheduler_options=(("algorithm_type", "dpmsolver++"),)),
    SamplerSpec("euler-ancestral", "Euler ancestral", "EulerAncestralDiscreteScheduler",
                "Euler steps in σ-space adding fresh noise each step",
                stochastic=True, uses_eta=False, clip="none", sigma_space=True),
)}


@dataclass(frozen=True)
class Departures:
    """Where sampling departs from diffusers' own pipelines; all off samples exactly as
    DDPMPipeline/DDIMPipeline (or the scheduler swapped in) would.

    Latent Lab's own checkpoints turn all on (see DDPMConfig): young models whose x̂0 hits
    the clip range need them. Pipeline folders made elsewhere turn all off.
    """

    # DDIM with x̂0 clipped: re-derive ε̂ from the clipped x̂0 (as GLIDE does; diffusers'
    # use_clipped_model_output, which its pipelines leave off).
    rederive_noise: bool = False
    # Samplers without clip_sample (DPM-Solver++) clamp x̂0 to the clip range as DDIM does
    # (diffusers would not clamp at all).
    emulate_clip: bool = False
    # Stochastic steps draw step i's noise from its own generator of (seed, i), as Latent
    # Lab always has (so our checkpoints' pictures stay); diffusers draws the initial noise
    # and every step's noise from one generator. Branches replay exactly either way.
    noise_per_step: bool = False

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Return the option names, as configs, sampling options and trajectory metadata
        spell them."""
        return tuple(cls.__dataclass_fields__)

    def as_dict(self) -> dict[str, bool]:
        """Return {option name: on?} for metadata and JSON output."""
        return {name: bool(getattr(self, name)) for name in self.names()}


LATENTLAB = Departures(rederive_noise=True, emulate_clip=True, noise_per_step=True)
DIFFUSERS = Departures()


def sampler_spec(name: str) -> SamplerSpec:
    """Return the spec of sampler `name`; ValueError naming the choices for an unknown one."""
    try:
        return SAMPLERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown sampler {name!r}; choose one of "
                         f"{', '.join(SAMPLERS)}") from None


def is_stochastic(name: str, eta: float) -> bool:
    """Return True when sampler `name` draws fresh noise at each step with this η."""
    spec = sampler_spec(name)
    return spec.stochastic or (spec.uses_eta and eta > 0)


def sampler_help() -> str:
    """Return "name: description; ..." over every sampler, for --help and tooltips."""
    return "; ".join(f"{s.name}: {s.description}" for s in SAMPLERS.values())
