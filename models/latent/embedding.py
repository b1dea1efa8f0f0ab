"""Non-linear 2-D embeddings (t-SNE, UMAP) as cancellable generators of progress events.

Each runs in a spawned child process: closing the generator (the user cancelled, the
window closed) terminates the child at once, even in the middle of openTSNE's neighbour
search or umap's numba code, and the long numeric work never holds this process's GIL
(which would stall the GUI thread). Both libraries are imported lazily, in the child only.
Neither has an inverse, so positions on their maps cannot be decoded.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

# openTSNE's default early-exaggeration phase, then half its default 500 iterations: on the
# conv-VAE demo's 5,000 16-D latents the map looks the same (10-NN accuracy in 2-D 0.949
# vs 0.946 with 500) and the late phase takes half the time.
TSNE_EXAGGERATION_ITERS = 250
TSNE_ITERS = 250
# Iterations between progress reports: fewer for big maps, so reports stay ~0.3 s apart.
TSNE_POINT_ITERS_PER_REPORT = 125_000
# Exact neighbours (a brute-force search) up to this many points: 0.2-1.3 s for 5,000
# 16-D latents, against 2.5 s for openTSNE's default Annoy index; above, Annoy.
TSNE_EXACT_MAX = 10_000
# The early phase, where the map is compact, runs with FFT interpolation (5,000 points:
# 1.6 s against Barnes-Hut's 3.3 s); FFT slows as the map spreads, so the late phase runs
# Barnes-Hut up to this many points (3.1 s against 5.1 s), and FFT above.
TSNE_BH_MAX = 10_000
# Latents with more dimensions are reduced to their top principal components first.
TSNE_PCA_DIMS = 50
# The seed of the latent map's t-SNE and UMAP: the window's jobs and the precomputed map
# files (models/pictures/map_writer.py) use it, so both give the same positions.
MAP_SEED = 0


@dataclass(frozen=True)
class EmbeddingProgress:
    """`done` of `total` work units in `stage`; total 0 means progress is unknown."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class Embedding:
    """The finished job: N×2 float32 positions made by `method`."""

    method: str
    positions: np.ndarray


def tsne_embedding(latents: np.ndarray, seed: int = 0, perplexity: float = 30.0,
                   iterations: tuple[int, int] = (TSNE_EXAGGERATION_ITERS, TSNE_ITERS),
                   poll_s: float = 0.25) -> Iterator[EmbeddingProgress | Embedding]:
    """Yield progress, then the openTSNE Embedding.

    Stages: "finding neighbours" (no progress hook: total 0), then "optimising" with `done`
    of early + late iterations, reported from openTSNE's callbacks. Raises RuntimeError
    with the child's message if openTSNE fails.
    """
    yield from _in_child(_tsne_child, (latents, seed, perplexity, iterations), "t-SNE",
                         poll_s)


def umap_embedding(latents: np.ndarray, seed: int = 0, poll_s: float = 0.25
                   ) -> Iterator[EmbeddingProgress | Embedding]:
    """Yield indeterminate progress ("embedding") every `poll_s`, then the UMAP Embedding.

    UMAP has no progress hooks; the first run also compiles numba code (~20 s).
    Raises RuntimeError with the child's message if UMAP fails.
    """
    yield from _in_child(_umap_child, (latents, seed), "UMAP", poll_s)


def _in_child(target: Callable[..., None], args: tuple[Any, ...], method: str,
              poll_s: float) -> Iterator[EmbeddingProgress | Embedding]:
    """Run target(conn, *args) in a spawned process; relay its messages as events.

    Until the child's first report the stage is "starting" (spawning it, importing the
    library); between reports the last one is repeated every `poll_s`.
    """
    ctx = mp.get_context("spawn")  # fork would copy the GUI's threads and Qt state
    parent, child = ctx.Pipe(duplex=False)
    latents = np.ascontiguousarray(args[0], dtype=np.float32)
    proc = ctx.Process(target=target, args=(child, latents, *args[1:]), daemon=True)
    proc.start()
    child.close()
    try:
        last = EmbeddingProgress("starting", 0, 0)
        while True:
            if not parent.poll(poll_s):
                if not proc.is_alive() and not parent.poll():
                    raise RuntimeError(f"the {method} process ended without a result")
                # A yield per poll lets the caller cancel; repeat the last known progress
                # (a bar must not flicker to "unknown" between two reports).
                yield last
                continue
            kind, *payload = parent.recv()
            if kind == "progress":
                last = EmbeddingProgress(*payload)
                yield last
            elif kind == "ok":
                yield Embedding(method, payload[0])
                return
            else:
                raise RuntimeError(f"{method} failed: {payload[0]}")
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(5)
        parent.close()


def _tsne_child(conn: Any, latents: np.ndarray, seed: int, perplexity: float,
                iterations: tuple[int, int]) -> None:
    """Child-process body: openTSNE, sending ("progress", stage, done, total) reports."""
    try:
        from openTSNE import TSNEEmbedding, affinity, initialization

        conn.send(("progress", "finding neighbours", 0, 0))
        x = _reduced(latents.astype(np.float64), TSNE_PCA_DIMS)
        n = len(x)
        aff = affinity.PerplexityBasedNN(
            x, perplexity=min(perplexity, max(2.0, (n - 1) / 3)),
            method="exact" if n <= TSNE_EXACT_MAX else "annoy", n_jobs=1, random_state=seed)
        early, late = iterations
        total = early + late
        conn.send(("progress", "optimising", 0, total))
        init = initialization.pca(x, random_state=seed)
        emb = TSNEEmbedding(init, aff, n_jobs=1, random_state=seed)
        every = int(np.clip(TSNE_POINT_ITERS_PER_REPORT // max(n, 1), 1, 25))
        late_method = "bh" if n <= TSNE_BH_MAX else "fft"
        done = 0
        for count, params in ((early, {"exaggeration": 12, "momentum": 0.5,
                                       "negative_gradient_method": "fft"}),
                              (late, {"momentum": 0.8, "negative_gradient_method": late_method})):
            if count <= 0:
                continue

            def report(iteration: int, _error: float, _emb: np.ndarray, start: int = done
                       ) -> bool:
                conn.send(("progress", "optimising", start + iteration, total))
                return False  # never stop early

            emb = emb.optimize(n_iter=count, inplace=True, callbacks=report,
                               callbacks_every_iters=every, **params)
            done += count
            conn.send(("progress", "optimising", done, total))
        conn.send(("ok", np.asarray(emb, dtype=np.float32)))
    except Exception as exc:  # reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _reduced(x: np.ndarray, dims: int) -> np.ndarray:
    """Return N×D `x` projected on its top `dims` principal axes when D > dims, else x."""
    if x.shape[1] <= dims:
        return x
    centred = x - x.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:dims].T


def _umap_child(conn: Any, latents: np.ndarray, seed: int) -> None:
    """Child-process body: fit UMAP and send ("ok", positions) or ("error", text)."""
    try:
        import umap

        conn.send(("progress", "embedding", 0, 0))
        pos = umap.UMAP(n_components=2, random_state=seed, n_jobs=1).fit_transform(latents)
        conn.send(("ok", np.asarray(pos, dtype=np.float32)))
    except Exception as exc:  # reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()
