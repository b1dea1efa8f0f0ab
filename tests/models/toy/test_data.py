"""Toy datasets: seeded, shaped, with centres for the mixtures; drawn and CSV points."""

import numpy as np
import pytest

from models.toy.data import TOY_SETS, ToyDataError, from_points, read_csv, toy_dataset


@pytest.mark.parametrize("name", TOY_SETS)
def test_every_named_set_is_deterministic_and_inside_its_extent(name: str) -> None:
    a, b = toy_dataset(name, 500, seed=3), toy_dataset(name, 500, seed=3)
    assert a.points.shape == (500, 2) and a.points.dtype == np.float32
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, toy_dataset(name, 500, seed=4).points)
    assert (np.abs(a.points) < a.extent).mean() > 0.999


def test_mixtures_carry_their_centres_and_points_sit_on_them() -> None:
    ring = toy_dataset("8gaussians", 2000)
    assert ring.is_mixture and ring.centres.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring.centres, axis=1), 2.0)
    d = np.linalg.norm(ring.points[:, None] - ring.centres[None], axis=2).min(1)
    assert np.median(d) < 2 * ring.sigma
    assert toy_dataset("25gaussians").centres.shape == (25, 2)
    assert not toy_dataset("moons").is_mixture


def test_unknown_set_names_the_known_ones() -> None:
    with pytest.raises(ToyDataError, match="8gaussians"):
        toy_dataset("9gaussians")


def test_drawn_points_fit_an_extent_and_refuse_nan() -> None:
    d = from_points([[0.0, 0.0], [4.0, -1.0]])
    assert d.extent >= 4.0 and d.sampler is None
    with pytest.raises(ToyDataError, match="finite"):
        from_points([[0.0, np.nan]])
    with pytest.raises(ToyDataError, match="shape"):
        from_points([1.0, 2.0, 3.0])


def test_csv_with_header_reads_and_bad_rows_are_named_by_line(tmp_path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("x,y\n1,2\n\n3.5,-4\n")
    np.testing.assert_array_equal(read_csv(good).points, [[1, 2], [3.5, -4]])
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\nfoo,3\n4,inf\n5,6,7\n8,nan\n")
    with pytest.raises(ToyDataError) as err:
        read_csv(bad)
    message = str(err.value)
    assert "lines 2, 3, 4, 5" in message and "\n" not in message
