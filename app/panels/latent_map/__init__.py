"""The Latent Map panel: the 2-D scatter of a model's latent space."""

from app.panels.latent_map.panel import LatentMapPanel

__all__ = ["LatentMapPanel"]
