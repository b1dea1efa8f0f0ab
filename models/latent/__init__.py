"""Latent-space maths for the explorer panels: encoding, projections, paths and arithmetic."""
