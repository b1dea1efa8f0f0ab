"""Config dataclasses: validation, field listing and JSON round trips."""

import pytest

from models.autoencoders.config import ConvVAEConfig, VAEConfig
from models.config import TrainConfig
from models.registry import FAMILIES, config_class


def test_every_family_config_round_trips_through_a_dict() -> None:
    for name in FAMILIES:
        cls = config_class(name)
        cfg = cls()
        assert cls.from_dict(cfg.to_dict()) == cfg


def test_out_of_range_value_is_refused_with_the_field_name() -> None:
    with pytest.raises(ValueError, match="latent_dim"):
        VAEConfig(latent_dim=0).validate()
    with pytest.raises(ValueError, match="likelihood"):
        VAEConfig(likelihood="poisson").validate()
    with pytest.raises(ValueError, match="device"):
        TrainConfig(device="gpu").validate()


def test_conv_vae_refuses_a_size_that_does_not_halve_cleanly() -> None:
    with pytest.raises(ValueError, match="does not halve"):
        ConvVAEConfig(image_size=28, conv_channels=(8, 16, 32)).validate()
    ConvVAEConfig(image_size=32, conv_channels=(8, 16, 32)).validate()


def test_unknown_keys_in_a_dict_are_named() -> None:
    with pytest.raises(ValueError, match="wingspan"):
        VAEConfig.from_dict({"wingspan": 3})


def test_field_specs_describe_types_limits_and_sequences() -> None:
    specs = {s.name: s for s in VAEConfig.field_specs()}
    assert specs["latent_dim"].type is int and specs["latent_dim"].min == 1
    assert specs["hidden_dims"].is_sequence
    assert specs["likelihood"].choices == ("bernoulli", "gaussian")
    threads = {s.name: s for s in TrainConfig.field_specs()}["threads"]
    assert threads.optional and threads.default is None


def test_a_diffusion_model_cannot_default_to_more_steps_than_it_was_trained_with() -> None:
    import pytest

    from models.diffusion.config import DDPMConfig

    with pytest.raises(ValueError, match="sample_steps 5000 is more than"):
        DDPMConfig(sample_steps=5000, num_train_timesteps=1000).validate()
