"""Autoencoder family: MLP AE, MLP (β-)VAE, convolutional VAE and label-conditional VAE."""
