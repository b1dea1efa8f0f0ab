"""StyleGAN (issue 18): config, networks, the `stylegan` family and W-space tools."""
