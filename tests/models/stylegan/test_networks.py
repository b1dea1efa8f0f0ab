"""StyleGAN networks: shapes, layer list, demodulation, noise inputs, mapping."""

from __future__ import annotations

import pytest
import torch

from models.stylegan.layers import ModulatedConv2d
from tests.models.stylegan.helpers import tiny_stylegan


@pytest.mark.parametrize(("channels", "size"), [(1, 28), (3, 28), (1, 32), (3, 32)])
def test_generator_and_discriminator_shapes(channels: int, size: int) -> None:
    model = tiny_stylegan(channels=channels, image_size=size)
    z = torch.randn(5, 8)
    assert model.decode(z).shape == (5, channels, size, size)
    fakes = model.generator.training_images(z, mixing_prob=0.5)
    assert fakes.shape == (5, channels, size, size)
    assert model.discriminator(fakes).shape == (5,)
    assert model.generator.synthesis.const.shape[1:] == (4, 4)  # the learned 4×4 constant


def test_the_layer_list_names_every_style_and_its_resolution() -> None:
    synthesis = tiny_stylegan().generator.synthesis
    assert synthesis.num_ws == 8
    assert synthesis.layer_names() == ["4×4", "8×8 up", "8×8", "16×16 up", "16×16",
                                       "32×32 up", "32×32", "32×32 rgb"]
    assert synthesis.layer_resolutions() == [4, 8, 8, 16, 16, 32, 32, 32]


def test_a_28_px_model_is_the_centre_of_the_32_px_synthesis() -> None:
    model = tiny_stylegan()
    ws = model.generator.mapped_ws(torch.randn(2, 8))
    full = model.generator.synthesis(ws, "const")
    torch.testing.assert_close(model.generator.synthesize(ws), torch.tanh(full[:, :, 2:30, 2:30]))
    linear = tiny_stylegan(output_tanh=False)
    ws = linear.generator.mapped_ws(torch.randn(2, 8))
    torch.testing.assert_close(linear.generator.synthesize(ws),
                               linear.generator.synthesis(ws, "const")[:, :, 2:30, 2:30])


def test_demodulation_gives_unit_output_std_for_unit_input_whatever_the_style() -> None:
    torch.manual_seed(0)
    conv = ModulatedConv2d(64, 32, 3, w_dim=16)
    plain = ModulatedConv2d(64, 32, 3, w_dim=16, demodulate=False)
    x = torch.randn(8, 64, 32, 32)
    for scale in (0.1, 1.0, 10.0):
        w = torch.randn(8, 16) * 0.3 * scale
        with torch.no_grad():
            conv.affine.bias.fill_(scale)  # styles: scale·(1 ± ~0.3) per image and channel
            plain.load_state_dict(conv.state_dict())
            y = conv(x, w)[:, :, 1:-1, 1:-1]  # away from the zero padding
            raw = plain(x, w)[:, :, 1:-1, 1:-1]
        assert abs(float(y.std()) - 1.0) < 0.05, scale
        # Without demodulation the output's scale follows the styles'.
        assert float(raw.std()) == pytest.approx(scale * float(y.std()), rel=0.5), scale


def test_noise_mode_none_and_const_are_deterministic_and_random_is_not() -> None:
    model = tiny_stylegan()
    ws = model.generator.mapped_ws(torch.randn(3, 8))
    g = model.generator
    with torch.no_grad():
        for mode in ("none", "const"):
            assert torch.equal(g.synthesize(ws, mode), g.synthesize(ws, mode)), mode
        assert not torch.equal(g.synthesize(ws, "random"), g.synthesize(ws, "random"))
        assert not torch.equal(g.synthesize(ws, "none"), g.synthesize(ws, "const"))
        all_off = g.synthesize(ws, "random", noise_layers=[False] * 7)
        torch.testing.assert_close(all_off, g.synthesize(ws, "none"))
        only_fine = [False] * 5 + [True, True]
        assert not torch.equal(g.synthesize(ws, "const", only_fine), g.synthesize(ws, "none"))
    with pytest.raises(ValueError, match="noise_mode"):
        g.synthesize(ws, "loud")
    with pytest.raises(ValueError, match="noise_layers"):
        g.synthesize(ws, "const", [True])


def test_mapping_normalises_z_and_tracks_the_mean_w_while_training() -> None:
    model = tiny_stylegan()
    mapping = model.generator.mapping
    z = torch.randn(4, 8)
    torch.testing.assert_close(mapping(z), mapping(z * 7.0))  # z's length is normalised away
    before = mapping.w_avg.clone()
    with torch.no_grad():
        w = mapping(z, update_w_avg=True)
    expected = w.mean(0).lerp(before, model.config.w_avg_beta)
    torch.testing.assert_close(mapping.w_avg, expected)


def test_style_mixing_takes_the_later_layers_from_a_second_latent() -> None:
    model = tiny_stylegan(style_mixing_prob=1.0)
    g = model.generator
    calls: list[torch.Tensor] = []
    original = g.synthesize

    def spy(ws: torch.Tensor, noise_mode: str = "const", noise_layers=None) -> torch.Tensor:
        calls.append(ws.detach().clone())
        return original(ws, "none")

    g.synthesize = spy  # type: ignore[method-assign]
    g.training_images(torch.randn(16, 8), mixing_prob=1.0)
    ws = calls[0]
    first = ws[:, :1]
    for row in ws:  # each image: its own w up to a cutoff, another w after it
        changes = [i for i in range(1, 8) if not torch.equal(row[i], row[i - 1])]
        assert len(changes) == 1
    assert torch.equal(first, ws[:, :1])
    calls.clear()
    g.training_images(torch.randn(16, 8), mixing_prob=0.0)
    assert all(torch.equal(row, row[:1].expand_as(row)) for row in calls[0])
