"""Latent Lab's headless core: data, models, training, sampling and checkpoints.

Nothing in this package imports Qt; it serves the GUI, the command line and notebooks alike.
"""

__version__ = "0.1.0"
