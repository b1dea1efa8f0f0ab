"""The toy lab's core: 2-D datasets, small generative families trained in seconds, and
metrics that are exact because the data's density is known.

Datasets and metrics are numpy only; the families (gan, vae, diffusion, score, flow, ebm)
import torch. Nothing here imports Qt.
"""
