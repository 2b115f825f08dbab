"""Load-once caches that are safe when two threads ask at the same moment.

The app warms its models up in a background thread while the first visitors arrive; with a bare
functools.cache both would build the model, twice the memory and time, and some loaders (transformers'
from_pretrained) are not safe to run concurrently at all.
"""

from __future__ import annotations

import functools
import threading


def cached_loader(fn):
    """functools.cache, with one lock per loader so a value is built exactly once."""
    cached = functools.cache(fn)
    lock = threading.Lock()

    @functools.wraps(fn)
    def load(*args, **kwargs):
        with lock:
            return cached(*args, **kwargs)

    load.cache_clear = cached.cache_clear
    load.cache_info = cached.cache_info
    return load
