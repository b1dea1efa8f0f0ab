"""Qt-free pieces of the latent map: decoding, embeddings, classifier labels."""

import time

import numpy as np
import torch

from models.autoencoders.config import CVAEConfig, VAEConfig
from models.images import to_uint8_nhwc
from models.latent.decode import decode_latents
from models.latent.embedding import Embedding, EmbeddingProgress, tsne_embedding, umap_embedding
from models.latent.labels import predicted_labels
from models.latent.projection import PCAProjection, align_pca_to_positions
from models.registry import build_model
from tests.models.helpers import small_mnist


def test_decode_latents_matches_the_model_in_any_batching() -> None:
    torch.manual_seed(0)
    model = build_model("vae", VAEConfig(latent_dim=3, hidden_dims=(16,))).eval()
    z = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    with torch.no_grad():
        expected = to_uint8_nhwc(model.decode(torch.from_numpy(z)))
    np.testing.assert_array_equal(decode_latents(model, z, batch_size=4), expected)


def test_decode_latents_conditions_a_conditional_model() -> None:
    torch.manual_seed(0)
    model = build_model("cvae", CVAEConfig(latent_dim=2, hidden_dims=(16,))).eval()
    z = np.zeros((2, 2), np.float32)
    images = decode_latents(model, z, np.array([1, 7]))
    assert images.shape == (2, 28, 28, 1)
    assert not np.array_equal(images[0], images[1])


def test_tsne_yields_progress_then_positions() -> None:
    x = np.random.default_rng(0).normal(size=(150, 5)).astype(np.float32)
    x[:75] += 6.0  # two clusters
    events = list(tsne_embedding(x, seed=0, iterations=(25, 50)))
    progress = [e for e in events if isinstance(e, EmbeddingProgress) and e.total]
    assert progress[0].stage == "optimising"
    assert progress[-1].done == progress[-1].total == 75
    result = events[-1]
    assert isinstance(result, Embedding) and result.positions.shape == (150, 2)
    a, b = result.positions[:75].mean(0), result.positions[75:].mean(0)
    assert np.linalg.norm(a - b) > result.positions[:75].std()


def test_closing_the_umap_job_ends_its_process_at_once() -> None:
    x = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    events = umap_embedding(x, poll_s=0.05)
    first = next(events)
    assert isinstance(first, EmbeddingProgress) and first.total == 0
    t0 = time.perf_counter()
    events.close()
    assert time.perf_counter() - t0 < 5.0


def test_classifier_labels_generated_digits() -> None:
    ds = small_mnist(200)
    labels = predicted_labels(ds.images, "mnist5k")
    assert labels is not None and labels.shape == (200,)
    assert (labels == ds.labels).mean() > 0.8
    assert predicted_labels(ds.images, "no-such-dataset") is None


def test_refits_align_to_the_previous_positions_of_the_same_points() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(400, 5)) * np.array([3, 2, 1, 0.5, 0.5])
    before = PCAProjection.fit(z).transform(z)
    # Next epoch the encoder rotated its latent space: a plain refit jumps.
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    z2 = z @ q + rng.normal(scale=0.01, size=z.shape)
    refit = PCAProjection.fit(z2)
    aligned = align_pca_to_positions(before, refit, z2)
    assert np.abs(aligned.transform(z2) - before).mean() < 0.05
    # Still an orthonormal PCA: positions invert onto the plane.
    pts = aligned.transform(z2[:3])
    np.testing.assert_allclose(aligned.transform(aligned.inverse_transform(pts)), pts,
                               atol=1e-4)
