"""Looking inside convolutional networks: the wrapped models (`model`), pictures of maps and kernels
(`pictures`), feature maps, Grad-CAM and activation maximisation (`filters`), ResNet-18 on ImageNet
(`imagenet`), and convolution arithmetic worked by hand (`convolution`)."""
