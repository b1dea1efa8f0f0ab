"""The sampler table is the one list: the CLI, the config and the sampling loop agree."""

from __future__ import annotations

import argparse

import pytest

from app.cli import build_parser
from models.config import FieldSpec
from models.diffusion.config import SAMPLERS as CONFIG_SAMPLERS
from models.diffusion.config import CDDPMConfig, DDPMConfig
from models.diffusion.samplers import SAMPLERS, is_stochastic, sampler_spec


def cli_sampler_choices() -> tuple[str, ...]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sample = sub.choices["sample"]
    action = next(a for a in sample._actions if "--sampler" in a.option_strings)
    for name, spec in SAMPLERS.items():
        assert name in action.help and spec.description in action.help
    return tuple(action.choices)


def config_sampler_choices(cls: type) -> tuple[str, ...]:
    spec: FieldSpec = next(f for f in cls.field_specs() if f.name == "sampler")
    return tuple(spec.choices)


def test_cli_config_and_table_list_the_same_samplers() -> None:
    table = tuple(SAMPLERS)
    assert table == ("ddpm", "ddim", "dpm-solver++", "euler-ancestral")
    assert cli_sampler_choices() == table
    assert config_sampler_choices(DDPMConfig) == config_sampler_choices(CDDPMConfig) == table
    assert CONFIG_SAMPLERS is SAMPLERS and list(CONFIG_SAMPLERS) == list(table)
    assert all(name == spec.name for name, spec in SAMPLERS.items())


def test_only_ddim_takes_eta_and_stochastic_samplers_are_marked() -> None:
    assert [n for n, s in SAMPLERS.items() if s.uses_eta] == ["ddim"]
    assert not is_stochastic("ddim", 0.0) and is_stochastic("ddim", 0.5)
    assert is_stochastic("ddpm", 0.0) and is_stochastic("euler-ancestral", 0.0)
    assert not is_stochastic("dpm-solver++", 1.0)
    assert sampler_spec("dpm-solver++").label == "DPM-Solver++"
    assert {s.clip for s in SAMPLERS.values()} <= {"clip", "emulate", "none"}


def test_an_unknown_sampler_names_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown sampler 'plms'; choose one of ddpm, ddim"):
        sampler_spec("plms")


def test_every_scheduler_class_exists_in_diffusers() -> None:
    diffusers = pytest.importorskip("diffusers")
    for spec in SAMPLERS.values():
        assert isinstance(getattr(diffusers, spec.scheduler), type)
