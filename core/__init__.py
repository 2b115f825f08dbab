"""The gallery's shared PyTorch library: models, data, preprocessing, training, checkpoints, figures.

Nothing in here imports gradio; demos/ turn these functions into pages.
"""
