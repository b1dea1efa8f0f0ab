"""GAN family: MLP GAN, DCGAN, WGAN-GP and class-conditional DCGAN."""
