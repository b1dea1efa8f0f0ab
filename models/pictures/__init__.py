"""Pictures of a checkpoint computed ahead of time, read without torch.

A checkpoint folder (a bundled demo, or any folder `scripts/precompute_pictures.py` was
run on) may hold `precomputed/`: its latent map (`map.npz`: the encoded dataset, its
labels and images, and the slow 2-D projections) and a recorded denoising trajectory
(`trajectory.npz`). Each file carries the fingerprint of the weights it was made from
(fingerprint.py) and is ignored once the weights change. The window shows them while
PyTorch is still loading and uses them instead of recomputing once it has loaded.
numpy and Pillow only: nothing here imports torch.
"""

from __future__ import annotations

PRECOMPUTED = "precomputed"
