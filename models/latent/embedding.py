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

TSNE_EXAGGERATION_ITERS = 250
TSNE_ITERS = 500
# Iterations between progress reports: fewer for big maps, so reports stay ~1 s apart.
TSNE_POINT_ITERS_PER_REPORT = 250_000


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
    """Yield progress (neighbour search, then iterations), then the openTSNE Embedding.

    Raises RuntimeError with the child's message if openTSNE fails.
    """
    yield from _in_child(_tsne_child, (latents, seed, perplexity, iterations), "t-SNE",
                         poll_s)


def umap_embedding(latents: np.ndarray, seed: int = 0, poll_s: float = 0.25
                   ) -> Iterator[EmbeddingProgress | Embedding]:
    """Yield indeterminate progress every `poll_s`, then the UMAP Embedding.

    UMAP has no progress hooks; the first run also compiles numba code (~20 s).
    Raises RuntimeError with the child's message if UMAP fails.
    """
    yield from _in_child(_umap_child, (latents, seed), "UMAP", poll_s)


def _in_child(target: Callable[..., None], args: tuple[Any, ...], method: str,
              poll_s: float) -> Iterator[EmbeddingProgress | Embedding]:
    """Run target(conn, *args) in a spawned process; relay its messages as events."""
    ctx = mp.get_context("spawn")  # fork would copy the GUI's threads and Qt state
    parent, child = ctx.Pipe(duplex=False)
    latents = np.ascontiguousarray(args[0], dtype=np.float32)
    proc = ctx.Process(target=target, args=(child, latents, *args[1:]), daemon=True)
    proc.start()
    child.close()
    try:
        ticks = 0
        last: EmbeddingProgress | None = None
        while True:
            if not parent.poll(poll_s):
                if not proc.is_alive() and not parent.poll():
                    raise RuntimeError(f"the {method} process ended without a result")
                # A yield per poll lets the caller cancel; repeat the last known progress
                # (a bar must not flicker to "unknown" between two reports).
                ticks += 1
                yield last or EmbeddingProgress(method, ticks, 0)
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
    """Child-process body: openTSNE in chunks, sending ("progress", stage, done, total)."""
    try:
        from openTSNE import TSNEEmbedding, affinity, initialization

        x = latents.astype(np.float64)
        n = len(x)
        early, late = iterations
        total = 1 + early + late
        conn.send(("progress", "neighbours", 0, total))
        aff = affinity.PerplexityBasedNN(x, perplexity=min(perplexity, max(2.0, (n - 1) / 3)),
                                         n_jobs=1, random_state=seed)
        init = initialization.pca(x, random_state=seed)
        # Barnes-Hut is faster below ~10k points, the FFT interpolation above.
        emb = TSNEEmbedding(init, aff, negative_gradient_method="bh" if n < 10_000 else "fft",
                            n_jobs=1, random_state=seed)
        chunk = int(np.clip(TSNE_POINT_ITERS_PER_REPORT // max(n, 1), 1, 25))
        done = 1
        conn.send(("progress", "optimising", done, total))
        for count, params in ((early, {"exaggeration": 12, "momentum": 0.5}),
                              (late, {"momentum": 0.8})):
            left = count
            while left > 0:
                step = min(chunk, left)
                emb.optimize(n_iter=step, inplace=True, **params)
                left -= step
                done += step
                conn.send(("progress", "optimising", done, total))
        conn.send(("ok", np.asarray(emb, dtype=np.float32)))
    except Exception as exc:  # reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _umap_child(conn: Any, latents: np.ndarray, seed: int) -> None:
    """Child-process body: fit UMAP and send ("ok", positions) or ("error", text)."""
    try:
        import umap

        pos = umap.UMAP(n_components=2, random_state=seed, n_jobs=1).fit_transform(latents)
        conn.send(("ok", np.asarray(pos, dtype=np.float32)))
    except Exception as exc:  # reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()
