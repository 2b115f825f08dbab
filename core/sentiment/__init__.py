"""Sentiment: tokenising (`text`), the datasets (`data`), the two classifiers and their loaders
(`models`), the int8 answering copy (`int8`), training batches (`batches`) and readings with word
attributions (`predict`)."""
