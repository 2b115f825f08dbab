"""GANs: settings (`config`), the conditional digit GAN and its losses (`models`), its fused
answering copy (`fused`), sampling and latent walks (`sample`), and the live 2-D toy GAN (`toy`)."""
