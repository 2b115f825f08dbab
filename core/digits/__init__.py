"""Handwritten digits: the MLP and CNN (`models`), the one preprocessing (`preprocess`), synthetic
canvases for tests (`synthetic`), and the cached loaders and readings (`predict`)."""
