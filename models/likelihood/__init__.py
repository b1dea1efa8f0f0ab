"""Likelihoods of 8-bit images, in bits per dimension: the decoder distributions of the VAE
families made discrete (discretised.py), their importance-weighted bound (iwae.py), and which
number each family gives (bits.py)."""
