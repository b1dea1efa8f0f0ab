"""The LDA map (a linear 2-D view that separates classes, invertible on its plane) and the
t-SNE job's progress stages."""

import numpy as np
import pytest

from models.latent.discriminant import LDAProjection, separation
from models.latent.embedding import Embedding, EmbeddingProgress, tsne_embedding
from models.latent.projection import PCAProjection, procrustes_rotation


def _mixture(n: int = 2000, dim: int = 12, classes: int = 5, seed: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """Return N×D latents and labels: class means apart along low-variance directions, and
    two high-variance directions that carry no class (what PCA picks and LDA must not)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    x = rng.normal(size=(n, dim))
    x[:, :2] *= 6.0  # nuisance: the largest variance, the same for every class
    centres = rng.normal(size=(classes, dim - 2)) * 1.5
    x[:, 2:] += centres[labels]
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))  # hide the structure from the axes
    return x @ q, labels


def test_lda_separates_classes_that_pca_mixes() -> None:
    x, y = _mixture()
    lda = LDAProjection.fit(x, y)
    lda_sep = separation(lda.transform(x), y)
    pca_sep = separation(PCAProjection.fit(x).transform(x), y)
    assert lda_sep > 10 * pca_sep and lda_sep > 2.0, (lda_sep, pca_sep)
    # Axes ordered by how much of the separation they carry; scaled to unit class spread.
    assert lda.explained_ratio[0] >= lda.explained_ratio[1] > 0
    assert lda.explained_ratio.sum() <= 1.0 + 1e-9
    pos = lda.transform(x)
    within = np.mean([pos[y == c].std(0) for c in range(5)], axis=0)
    np.testing.assert_allclose(within, 1.0, atol=0.1)


def test_lda_inverts_exactly_on_its_plane() -> None:
    x, y = _mixture()
    lda = LDAProjection.fit(x, y)
    points = np.random.default_rng(1).uniform(-5, 5, size=(50, 2))
    latents = lda.inverse_transform(points)
    assert latents.shape == (50, x.shape[1])
    np.testing.assert_allclose(lda.transform(latents), points, atol=1e-4)
    # The latents lie on one plane through the mean: decoding a position twice is stable.
    np.testing.assert_allclose(lda.inverse_transform(lda.transform(latents)), latents,
                               atol=1e-4)
    np.testing.assert_allclose(lda.inverse_transform(np.zeros((1, 2)))[0], x.mean(0),
                               atol=1e-5)
    # The plane's latents are the least-squares estimate of the points drawn there: for
    # latents with a class structure they predict the data better than the pseudo-inverse.
    pos = lda.transform(x)
    pinv = x.mean(0) + pos @ np.linalg.pinv(lda.components).T
    assert np.mean((x - lda.inverse_transform(pos)) ** 2) < np.mean((x - pinv) ** 2)


def test_a_rotated_lda_still_inverts_and_follows_previous_positions() -> None:
    x, y = _mixture()
    before = LDAProjection.fit(x, y).transform(x)
    moved = -x + np.random.default_rng(2).normal(scale=0.01, size=x.shape)  # mirrored
    refit = LDAProjection.fit(moved, y)
    aligned = refit.rotated(procrustes_rotation(before, refit.transform(moved)))
    assert np.abs(aligned.transform(moved) - before).mean() < 0.1
    pts = aligned.transform(moved[:5])
    np.testing.assert_allclose(aligned.transform(aligned.inverse_transform(pts)), pts,
                               atol=1e-4)


def test_unlabelled_points_are_left_out_of_the_fit_but_placed() -> None:
    x, y = _mixture()
    y_part = y.copy()
    y_part[::3] = -1
    lda = LDAProjection.fit(x, y_part)
    assert lda.transform(x).shape == (len(x), 2)
    assert separation(lda.transform(x), y) > 2.0
    with pytest.raises(ValueError, match="two classes"):
        LDAProjection.fit(x, np.where(y == 0, 0, -1))


def test_tsne_reports_neighbours_without_a_count_then_moving_iterations() -> None:
    x = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    x[:150] += 5.0
    events = list(tsne_embedding(x, seed=0, iterations=(50, 50), poll_s=0.05))
    stages = [e for e in events if isinstance(e, EmbeddingProgress)]
    names = list(dict.fromkeys(e.stage for e in stages))
    assert names == ["starting", "finding neighbours", "optimising"]
    # The neighbour search has no hook: it is reported without a count (a moving bar),
    # never as 0 % of the whole job.
    assert all(e.total == 0 for e in stages if e.stage != "optimising")
    done = [e.done for e in stages if e.stage == "optimising"]
    assert all(e.total == 100 for e in stages if e.stage == "optimising")
    steps = sorted(set(done))
    assert len(steps) >= 4 and steps[0] == 0 and steps[-1] == 100
    assert done == sorted(done)  # never goes back
    assert isinstance(events[-1], Embedding) and events[-1].positions.shape == (300, 2)


def test_tsne_reduces_wide_latents_to_fifty_principal_components() -> None:
    from models.latent.embedding import _reduced

    x = np.random.default_rng(0).normal(size=(200, 64))
    r = _reduced(x, 50)
    assert r.shape == (200, 50)
    assert _reduced(x[:, :16], 50).shape == (200, 16)
    # Pairwise distances are kept up to the small variance of the dropped axes.
    d = np.linalg.norm(x[:20, None] - x[None, :20], axis=2)
    dr = np.linalg.norm(r[:20, None] - r[None, :20], axis=2)
    assert np.corrcoef(d.ravel(), dr.ravel())[0, 1] > 0.9


def test_the_dcgan_demos_lda_plane_decodes_digits_where_their_samples_lie() -> None:
    """On the bundled DCGAN, the LDA map's grid shows the digits its samples are classified
    as nearby; on the PCA map of the same samples it mostly does not."""
    import torch
    from scipy.spatial import cKDTree

    from models.demos import DEMOS_DIR
    from models.latent.decode import decode_latents
    from models.latent.encode import EncodedLatents, generated_latents
    from models.latent.grids import grid_positions
    from models.latent.labels import predicted_labels
    from models.opened import open_model

    torch.set_num_threads(1)
    net = open_model(DEMOS_DIR / "dcgan").inference_copy()
    samples = [e for e in generated_latents(net, 1500, seed=0) if isinstance(e, EncodedLatents)]
    z, images = samples[0].means, samples[0].images
    labels = predicted_labels(images, "mnist5k")
    assert labels is not None

    def grid(proj: PCAProjection | LDAProjection) -> tuple[float, int]:
        """Return the share of an 8×8 grid's cells drawing the digit most samples near them
        are, and how many different digits the grid draws."""
        pos = proj.transform(z)
        lo, hi = pos.min(0), pos.max(0)
        cells = grid_positions((lo[0], hi[0]), (lo[1], hi[1]), 8)
        drawn = predicted_labels(decode_latents(net, proj.inverse_transform(cells))
                                 .transpose(0, 3, 1, 2), "mnist5k")
        _, near = cKDTree(pos).query(cells, k=25)
        nearby = np.array([np.bincount(labels[i], minlength=10).argmax() for i in near])
        return float((drawn == nearby).mean()), len(np.unique(drawn))

    lda, pca = LDAProjection.fit(z, labels), PCAProjection.fit(z)
    assert separation(lda.transform(z), labels) > 10 * separation(pca.transform(z), labels)
    (lda_agrees, lda_digits), (pca_agrees, _) = grid(lda), grid(pca)
    assert lda_agrees > 0.6 and lda_agrees > pca_agrees + 0.2  # measured: 0.75 and 0.38
    assert lda_digits >= 4
