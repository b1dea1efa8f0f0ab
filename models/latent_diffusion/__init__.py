"""Latent diffusion (`ldm`, `cldm`): a KL autoencoder (diffusers' AutoencoderKL) as the first
stage and a diffusers UNet2DModel denoising its scaled latents, trained in two phases."""
