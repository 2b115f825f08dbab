"""Training commands: the library's users, never imported by the app.

python -m train.digits     # the MLP and CNN
python -m train.sentiment  # the GRU from scratch and the MiniLM transfer model
python -m train.gan        # the conditional digit GAN
"""
