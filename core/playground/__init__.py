"""The overfitting playground: settings and presets (`settings`, torch-free), your own points
(`paint`, torch-free), the data (`data`), model and runs (`experiment`), and the pictures of the data
and boundary (`draw`)."""
