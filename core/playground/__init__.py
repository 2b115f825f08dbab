"""The overfitting playground: settings and presets (`settings`, torch-free), data, model and runs
(`experiment`), and the pictures of the data and boundary (`draw`)."""
