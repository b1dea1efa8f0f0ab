"""Gated PixelCNN: an autoregressive model with exact likelihood over 8-bit pixels."""
