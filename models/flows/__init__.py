"""Normalizing flows on images: RealNVP (realnvp.py) with its layers (layers.py) and the
data ↔ flow-space maps with their densities (dequantize.py)."""
