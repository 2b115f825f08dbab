"""Load-once caches that are safe when two threads ask at the same moment.

The app warms its models up in a background thread while the first visitors arrive; with a bare
functools.cache both would build the model, twice the memory and time, and some loaders (transformers'
from_pretrained) are not safe to run concurrently at all.
"""

from __future__ import annotations

import functools
import threading

# One lock for every loader: loading is rare, loaders call each other (hence re-entrant), and lazy
# imports such as `from transformers import AutoModel` fail when two threads race through them.
_LOADING = threading.RLock()


def cached_loader(fn):
    """Cache by arguments; build under the one loading lock so each value is made exactly once.

    Once built, a value is returned without taking the lock: a request never waits for another
    model's warm-up.
    """
    values: dict = {}

    @functools.wraps(fn)
    def load(*args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        if key in values:
            return values[key]
        with _LOADING:
            if key not in values:
                values[key] = fn(*args, **kwargs)
            return values[key]

    load.cache_clear = values.clear
    return load
