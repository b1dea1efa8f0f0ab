"""The normal images are the run's validation split without the held-out class; each
anomaly set is what its name says, seeded, and a class the run trained on is refused."""

from __future__ import annotations

import numpy as np
import pytest

from models.anomaly.sets import build_sets, parse_anomalies
from models.config import DataConfig
from models.data import load_dataset, split_indices
from tests.models.helpers import quick_train

DATA = DataConfig(dataset="digits", exclude_class=(7,))
TRAIN = quick_train(seed=5)


def test_normal_images_are_the_validation_split_training_drew() -> None:
    sets = build_sets(parse_anomalies("class:7"), DATA, TRAIN)
    trained_on = load_dataset(DATA)  # what the trainer split
    _, val = split_indices(len(trained_on), TRAIN.val_fraction, TRAIN.seed)
    np.testing.assert_array_equal(sets.normal, trained_on.images[val])
    whole = load_dataset("digits")
    assert 7 not in set(whole.labels[sets.normal_index].tolist())
    assert (whole.labels[sets.anomalous_index] == 7).all()
    assert len(sets.anomalous) == int((whole.labels == 7).sum())  # every unseen 7
    assert "class 7 excluded" in sets.normal_text


def test_rotate_turns_and_invert_flips_the_normal_images() -> None:
    normal = build_sets(parse_anomalies("rotate"), DATA, TRAIN).normal
    rotated = build_sets(parse_anomalies("rotate"), DATA, TRAIN).anomalous
    np.testing.assert_array_equal(rotated[0], np.rot90(normal[0], 1, axes=(1, 2)))
    np.testing.assert_array_equal(rotated[1], normal[1, :, ::-1, ::-1])
    inverted = build_sets(parse_anomalies("invert"), DATA, TRAIN).anomalous
    np.testing.assert_array_equal(inverted, 255 - normal)


def test_noise_is_uniform_and_fixed_by_the_seed() -> None:
    a = build_sets(parse_anomalies("noise"), DATA, TRAIN, seed=1).anomalous
    b = build_sets(parse_anomalies("noise"), DATA, TRAIN, seed=1).anomalous
    c = build_sets(parse_anomalies("noise"), DATA, TRAIN, seed=2).anomalous
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.dtype == np.uint8 and 100 < a.mean() < 155


def test_n_caps_each_set_with_a_seeded_subset() -> None:
    a = build_sets(parse_anomalies("class:7"), DATA, TRAIN, n=20, seed=3)
    b = build_sets(parse_anomalies("class:7"), DATA, TRAIN, n=20, seed=3)
    assert len(a.normal) == len(a.anomalous) == 20
    np.testing.assert_array_equal(a.normal_index, b.normal_index)


@pytest.mark.parametrize("text, words", [("class:3", "was not held out"),
                                         ("class:x", "takes a class index"),
                                         ("blur", "unknown anomaly set")])
def test_a_set_that_cannot_be_made_is_refused_in_one_line(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as info:
        build_sets(parse_anomalies(text), DATA, TRAIN)
    assert "\n" not in str(info.value)


def test_a_run_without_held_out_classes_says_how_to_make_one() -> None:
    with pytest.raises(ValueError, match="--exclude-class"):
        build_sets(parse_anomalies("class:7"), DataConfig(dataset="digits"), TRAIN)
