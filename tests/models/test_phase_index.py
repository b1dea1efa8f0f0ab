"""Which phase trains an epoch: one rule for the trainer and the run's readers."""

from __future__ import annotations

from models.training.run_record import RunShape, phase_index


def test_epochs_fall_in_their_phase_and_past_the_end_in_the_last() -> None:
    epochs = [3, 20]  # latent diffusion: the autoencoder, then the UNet
    assert [phase_index(epochs, e) for e in (0, 2, 3, 22, 23, 99)] == [0, 0, 1, 1, 1, 1]


def test_a_phase_of_no_epochs_is_skipped() -> None:
    # --first-stage: the autoencoder comes from elsewhere, its phase has no epochs.
    assert [phase_index([0, 5], e) for e in (0, 4, 5)] == [1, 1, 1]


def test_without_phases_everything_is_phase_zero_and_the_shape_agrees() -> None:
    assert phase_index([], 7) == 0
    shape = RunShape(phases=(("autoencoder", 2), ("diffusion", 4)))
    assert [shape.phase_index(e) for e in range(7)] == [0, 0, 1, 1, 1, 1, 1]
