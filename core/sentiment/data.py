"""The two sentiment datasets, read from the data directory (`core.data.data_dir`).

    <data>/imdb/imdb_reviews.csv.gz   IMDB Large Movie Review: 25,000 train + 25,000 test reviews
    <data>/sst2/{train,dev}.tsv       SST-2 (GLUE): 67,349 train phrases, 872 dev sentences

Labels are 1 = positive, 0 = negative. Nothing is downloaded: a missing file raises
`DataUnavailableError` naming the file and how to point at it.
"""

from __future__ import annotations

import csv
import gzip
import os
from pathlib import Path

from core.data import DATA_ENV, DataUnavailableError, data_dir

IMDB_FILE = Path("imdb") / "imdb_reviews.csv.gz"
SST2_FILES = {"train": Path("sst2") / "train.tsv", "dev": Path("sst2") / "dev.tsv"}


def _existing(root: str | os.PathLike | None, relative: Path, name: str) -> Path:
    path = data_dir(root) / relative
    if not path.exists():
        raise DataUnavailableError(
            f"{name} is not at {path.resolve()}. Put {relative} under a data folder and pass "
            f"--data-dir <folder> or set ${DATA_ENV} (here: ../shared/data). It is never downloaded."
        )
    return path


def imdb(split: str, root: str | os.PathLike | None = None) -> tuple[list[str], list[int]]:
    """IMDB reviews of one split ("train" or "test") as (texts, labels), in file order."""
    if split not in ("train", "test"):
        raise ValueError(f"IMDB split must be 'train' or 'test', not {split!r}")
    path = _existing(root, IMDB_FILE, "The IMDB reviews file")
    texts, labels = [], []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["split"] == split:
                texts.append(row["review"])
                labels.append(1 if row["sentiment"] == "positive" else 0)
    return texts, labels


def sst2(split: str, root: str | os.PathLike | None = None) -> tuple[list[str], list[int]]:
    """SST-2 sentences of one split ("train" or "dev") as (texts, labels), in file order."""
    if split not in SST2_FILES:
        raise ValueError(f"SST-2 split must be 'train' or 'dev', not {split!r}")
    path = _existing(root, SST2_FILES[split], f"SST-2 {split}.tsv")
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        next(f)  # header: sentence<TAB>label
        for line in f:
            sentence, _, label = line.rstrip("\n").rpartition("\t")  # no quoting: split on the last tab
            texts.append(sentence.strip())
            labels.append(int(label))
    return texts, labels


def load_split(dataset: str, split: str, root: str | os.PathLike | None = None) -> tuple[list[str], list[int]]:
    """("imdb", "test") or ("sst2", "dev") ... -> (texts, labels)."""
    readers = {"imdb": imdb, "sst2": sst2}
    if dataset not in readers:
        raise ValueError(f"dataset must be one of {sorted(readers)}, not {dataset!r}")
    return readers[dataset](split, root)
