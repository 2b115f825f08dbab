"""The sentiment classifier: tokenizer, data readers, both models (against PyTorch/transformers
references), the demo's pure functions and handlers, its API endpoints, and the page in a browser (it
opens on a reading, the palette and the URL, the Try-this buttons, phone width)."""

from __future__ import annotations

import os
import warnings
from html import escape
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio_client import Client
from torch import nn
from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

from core.checkpoints import CHECKPOINT_DIR, load_card
from core.data import DataUnavailableError
from core.errors import UserError
from core.palette import css
from core.sentiment import int8
from core.sentiment import words as sentiment_words
from core.sentiment.curve import curve_figure
from core.sentiment.data import imdb, sst2
from core.sentiment.int8 import Int8Linear, LeanBertLayer, activation_bits
from core.sentiment.models import (
    TRANSFER,
    GRUClassifier,
    ScratchConfig,
    additive_mask,
    base_transfer_model,
    quantize_rows,
    reversed_index,
    transfer_ids,
)
from core.sentiment.predict import Reading, probabilities
from core.sentiment.text import Vocabulary, clean, head_and_tail, tokenize, tokenize_with_spans
from core.training import Progress
from demos.sentiment import handlers as sentiment
from demos.sentiment.markup import legend_html, readings_html, words_html
from demos.sentiment.texts import LONG_REVIEW, METHOD_CHOICES, TRY_THIS
from harness.browser import open_gradio
from tests.conftest import ROOT, axe_violations, need
from train.cards import matches_card
from train.sentiment import CARD_TOLERANCE, accuracy, card_key, keep_best_epoch

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the base model comes from the installed package, never the Hub
DATA = Path(os.environ.get("GALLERY_DATA_DIR") or ROOT.parent / "shared" / "data")
SHIPPED = all((CHECKPOINT_DIR / f"sentiment_{m}.{ext}").exists() for m in ("scratch", "transfer") for ext in ("safetensors", "json"))


def shipped():
    need(SHIPPED, "the sentiment checkpoints are not in checkpoints/ (python -m train.sentiment scratch|transfer)")


# ---------- unit: tokenizer, vocabulary, data ----------


@pytest.mark.unit
def test_tokens_keep_their_place_in_the_text():
    text = "Great cast,<br />terrible plot!\x07 I didn't like it 😀"
    assert len(clean(text)) == len(text)  # spans stay valid
    words = tokenize_with_spans(text)
    assert [w for w, _, _ in words] == ["great", "cast", ",", "terrible", "plot", "!", "i", "didn't", "like", "it", "😀"]
    assert all(text[s:e].lower() == w for w, s, e in words)
    assert "br" not in tokenize(text)


@pytest.mark.unit
def test_head_and_tail_cut_the_middle_of_long_texts_only():
    assert head_and_tail(10, 320, 80) == (10, 10)
    head_end, tail_start = head_and_tail(1000, 320, 80)
    assert (head_end, tail_start) == (80, 760)
    assert head_end + (1000 - tail_start) == 320


@pytest.mark.unit
def test_vocabulary_orders_by_frequency_and_round_trips(tmp_path):
    vocab = Vocabulary.build([["bad", "good", "bad"], ["bad", "good", "rare"]], max_size=10, min_count=2)
    assert vocab.itos == ("<pad>", "<unk>", "bad", "good")
    assert vocab.encode(["good", "unseen", "bad"]) == [3, 1, 2]
    vocab.save(tmp_path / "v.json")
    assert Vocabulary.load(tmp_path / "v.json") == vocab


@pytest.mark.reference
def test_data_readers_see_the_real_files():
    need((DATA / "sst2" / "dev.tsv").exists(), f"SST-2 is not in {DATA}")
    texts, labels = sst2("dev", DATA)
    assert len(texts) == 872 and sum(labels) == 444
    assert texts[0] == "it 's a charming and often affecting journey ."
    texts, labels = imdb("test", DATA)
    assert len(texts) == 25_000 and sum(labels) == 12_500


@pytest.mark.unit
def test_missing_data_says_where_to_put_it(tmp_path):
    with pytest.raises(DataUnavailableError, match="--data-dir"):
        imdb("train", tmp_path)


# ---------- models against references ----------


@pytest.mark.reference
@pytest.mark.figures
def test_gru_reads_a_text_the_same_alone_or_padded_in_a_batch():
    torch.manual_seed(0)
    model = GRUClassifier(ScratchConfig(vocab_size=50, embed_dim=8, hidden=6)).eval()
    short, long = torch.tensor([[5, 6, 7]]), torch.tensor([[9, 8, 7, 6, 5, 4]])
    batch = torch.tensor([[5, 6, 7, 0, 0, 0], [9, 8, 7, 6, 5, 4]])
    with torch.no_grad():
        together = model(batch)
        assert torch.allclose(together[0], model(short)[0], atol=1e-6)
        assert torch.allclose(together[1], model(long)[0], atol=1e-6)
        # and the recurrence is torch's GRU: the last state equals nn.GRU's own
        states, last = model.gru(model.embedding(long))
        assert torch.allclose(states[0, -1], last[0, 0])


@pytest.mark.reference
@pytest.mark.figures
def test_the_backward_gru_reads_each_text_from_its_last_word():
    index = reversed_index(torch.tensor([3, 1]), torch.zeros(2, 4, 1))[:, :, 0]
    assert index.tolist() == [[2, 1, 0, 3], [0, 1, 2, 3]]  # real words reversed, padding in place
    torch.manual_seed(0)
    model = GRUClassifier(ScratchConfig(vocab_size=50, embed_dim=8, hidden=6, dropout=0.0)).eval()
    ids = torch.tensor([[5, 6, 7, 0]])
    with torch.no_grad():
        embedded = model.embedding(ids)
        expected, _ = model.backward_gru(embedded[:, [2, 1, 0]])  # nn.GRU over the words, last first
        back, _ = model.backward_gru(embedded.gather(1, reversed_index(torch.tensor([3]), embedded)))
    assert torch.allclose(back[:, :3], expected, atol=1e-6)


@pytest.mark.unit
def test_int8_rows_reconstruct_the_weights_within_half_a_step():
    weight = torch.randn(6, 50, generator=torch.Generator().manual_seed(0)) * torch.tensor([[0.01], [1], [5], [0.2], [3], [1e-4]])
    q, scale = quantize_rows(weight)
    assert q.dtype == torch.int8 and scale.shape == (6, 1) and int(q.abs().max()) == 127
    assert torch.all((q.float() * scale - weight).abs() <= scale / 2 + 1e-9)


@pytest.mark.reference
@pytest.mark.figures
def test_lean_layer_equals_the_transformers_bert_layer_padding_included():
    model = base_transfer_model().eval()
    ids = transfer_ids("Not bad at all, though the ending drags.")[0]
    batch = torch.tensor([ids, ids[:5] + [0] * (len(ids) - 5)])
    mask = (batch != 0).long()
    with torch.no_grad():
        hidden = model.lower(batch, mask)
        bias = additive_mask(mask, hidden.dtype)
        for layer in model.encoder.encoder.layer:
            expected, actual = layer(hidden, attention_mask=bias), LeanBertLayer(layer)(hidden, bias)
            assert torch.allclose(actual[0], expected[0], atol=1e-5) and torch.allclose(actual[1, :5], expected[1, :5], atol=1e-5)
            hidden = expected


@pytest.mark.reference
@pytest.mark.figures
def test_int8_linear_uses_all_eight_bits_where_the_cpu_allows_and_tracks_float32():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32))
    x = torch.randn(5, 64) * 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seven_bits = quantize_dynamic(model, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
    ours = Int8Linear(seven_bits[0])
    with torch.no_grad():
        reference = model(x)
        error, error7 = (ours(x) - reference).abs().mean(), (seven_bits(x) - reference).abs().mean()
        if activation_bits() == 8:
            assert error < 0.7 * error7  # one more bit: about half the activation rounding error
        else:  # no VNNI: 8-bit activations would saturate AVX2's 16-bit pair sums, so torch's 7 bits
            assert torch.equal(ours(x), seven_bits(x))
    assert torch.allclose(ours(x), reference, atol=0.05 * float(reference.abs().max()))


@pytest.mark.unit
@pytest.mark.parametrize(
    "engine, flags, setting, bits",
    [
        ("x86", "fpu sse2 avx2 fma", "", 7),  # AVX2 alone: vpmaddubsw saturates
        ("x86", "fpu avx2 avx512f avx512_vnni", "", 8),
        ("fbgemm", "fpu avx2 avx_vnni", "", 8),
        ("qnnpack", "", "", 8),  # ARM: sums in 32 bits
        ("x86", None, "", 7),  # no /proc/cpuinfo: the safe bit
        ("x86", "fpu avx2", "8", 8),  # the setting wins
        ("x86", "fpu avx512_vnni", "7", 7),
    ],
)
def test_activation_bits_follow_the_cpu(monkeypatch, tmp_path, engine, flags, setting, bits):
    monkeypatch.setattr(torch.backends.quantized, "engine", engine)
    monkeypatch.setenv("GALLERY_INT8_ACTIVATION_BITS", setting)
    cpuinfo = tmp_path / "cpuinfo"
    if flags is not None:
        cpuinfo.write_text(f"processor : 0\nflags : {flags}\n")
    monkeypatch.setattr(int8, "Path", lambda _: cpuinfo)
    int8.activation_bits.cache_clear()
    try:
        assert int8.activation_bits() == bits
    finally:
        int8.activation_bits.cache_clear()


@pytest.mark.unit
def test_the_epoch_with_the_best_validation_accuracy_is_kept():
    weights = {"w": torch.zeros(1)}
    accuracies = [0.80, 0.90, 0.85]

    def records():
        for epoch, val_accuracy in enumerate(accuracies, 1):
            weights["w"] += 1  # the state as this epoch leaves it
            yield Progress("step", epoch, epoch * 10, 30, 0.0, {"loss": 0.5})
            yield Progress("epoch", epoch, epoch * 10, 30, float(epoch), {"val_accuracy": val_accuracy})

    history, best = keep_best_epoch(records(), lambda: weights, "test", progress=False)
    assert [row["epoch"] for row in history] == [1, 2, 3] and history[1]["val_accuracy"] == 0.90
    assert float(best["w"]) == 2.0 and float(weights["w"]) == 3.0  # epoch 2's copy, not a view


@pytest.mark.reference
@pytest.mark.figures
def test_transfer_layers_equal_the_transformers_model():
    """Our frozen/trained split of MiniLM reproduces transformers' BertModel, padding included."""

    model = base_transfer_model().eval()
    ids = transfer_ids("Great cast, terrible plot.")[0]
    batch = torch.tensor([ids, ids[:4] + [0] * (len(ids) - 4)])
    mask = (batch != 0).long()
    with torch.no_grad():
        reference = model.encoder(input_ids=batch, attention_mask=mask).last_hidden_state  # (2, T, 384)
        ours = model.lower(batch, mask)
        for layer in model.encoder.encoder.layer[model.split :]:
            ours = layer(ours, attention_mask=additive_mask(mask, ours.dtype))
    assert torch.allclose(ours[0], reference[0], atol=1e-5)
    assert torch.allclose(ours[1, :4], reference[1, :4], atol=1e-5)


@pytest.mark.unit
def test_transfer_tokens_of_a_long_review_are_cut_in_the_middle():
    text = " ".join(f"w{i}" for i in range(400))  # "w12" is 2 pieces
    ids, read_words, head_end, tail_start, spans = transfer_ids(text)
    assert len(ids) == TRANSFER.max_tokens and len(spans) == 400
    assert read_words[0] == 0 and read_words[-1] == 399
    assert 0 < head_end < tail_start < 400


# ---------- the demo's pure functions ----------


@pytest.mark.unit
def test_checked_text_answers_every_kind_of_odd_input():
    with pytest.raises(UserError, match="Type or paste"):
        sentiment.checked("   \n\t ")
    with pytest.raises(UserError, match="control characters"):
        sentiment.checked("\x00\x07\x1b")
    assert sentiment.checked("so good 😍")[0] == "so good 😍"
    text, note = sentiment.checked("a" * 200_000)
    assert len(text) == 20_000 and "20,000 of 200,000" in note


def a_reading(scores=(2.0, 0, 0, 0, -4.0), head_end=1, tail_start=4):
    units = [(0, 3), (4, 7), (8, 13), (14, 18), (19, 23)]
    return Reading("one two three four five", units, head_end, tail_start, np.array([0.3, 0.7]), np.array(scores))


@pytest.mark.unit
def test_segments_mark_the_cut_off_middle_and_scale_scores():
    reading = a_reading()
    segments = sentiment_words.segments(reading)
    assert ("one", 0.5) in segments and ("five", -1.0) in segments
    assert [s for s in segments if sentiment_words.is_cut_marker(s[0])] == [(" ✂ … 3 words cut off, not read … ✂ ", None)]
    assert not any(s in ("two", "three", "four") for s, _ in segments)
    assert sentiment_words.cut_off_text(reading) == "two three four"
    assert sentiment_words.read_count(reading) == (2, 5) and sentiment_words.read_count(a_reading(head_end=5, tail_start=5)) == (5, 5)
    assert not sentiment_words.is_cut_marker("a ✂ in a review")


@pytest.mark.unit
def test_word_colours_follow_the_palette_with_readable_text():
    for palette in ("default", "safe"):
        (negative, _), (white, ink), (positive, _) = sentiment_words.word_colours([-1.0, 0.0, 1.0], palette)
        assert (negative, positive) == (css(palette)["negative"], css(palette)["positive"])
        assert white == "#ffffff" and ink == "#000000"
    assert sentiment_words.word_colours([-1.0], "default") != sentiment_words.word_colours([-1.0], "safe")
    assert sentiment_words.ink_for((33, 102, 172)) == "#ffffff" and sentiment_words.ink_for((230, 97, 1)) == "#000000"  # dark blue, orange
    assert sentiment_words.strongest([("great", 1.0), (" ", None), ("cast", 0.05), ("bad", -0.4), ("plot", -0.9)]) == (
        [("great", 1.0)],
        [("plot", -0.9), ("bad", -0.4)],
    )


@pytest.mark.unit
def test_words_and_legend_say_the_scores_and_colours_in_words_too():
    pieces = sentiment_words.segments(a_reading())
    drawn = words_html("From scratch", pieces, "safe")
    assert f"background:{css('safe')['negative']}" in drawn and 'title="-1.00"' in drawn  # "five", the strongest
    assert '<span class="score"> (-1.00)</span>' in drawn  # read out, not colour alone
    assert "towards positive:</strong> one (+0.50)" in drawn and "Towards negative:</strong> five (-1.00)" in drawn
    assert '<span class="cut">' in drawn and "<script" not in words_html("x", [("<script>", 1.0)])
    assert ">Red</span> words pushed" in legend_html("default") and css("default")["positive"] in legend_html("default")
    assert ">Orange</span> words pushed" in legend_html("safe") and css("safe")["positive"] in legend_html("safe")
    scratch, transfer = readings_html({"transfer": pieces[:2], "scratch": pieces}, "safe")  # in the page's order, each its own words
    assert scratch == drawn.replace("From scratch", "From scratch (GRU): which words mattered") and "Transfer (MiniLM)" in transfer


@pytest.mark.unit
def test_a_missing_text_keeps_what_is_shown_and_says_what_is_missing():
    assert sentiment.explain("  \n ") == (sentiment.gr.skip(),) * 8
    assert sentiment.explain("\x00\x07") == (sentiment.gr.skip(),) * 8
    assert "Type or paste" in sentiment.missing(None) and "control characters" in sentiment.missing("\x1b")
    assert sentiment.missing("fine") is None
    assert sentiment.classify_lines_on_page(" \n\n ") == (sentiment.gr.skip(),) * 2  # the Many lines tab too
    assert sentiment.redraw_words(None, "safe")[:2] == (sentiment.gr.skip(),) * 2  # nothing read yet: only the legend
    with pytest.raises(sentiment.gr.Error, match="No experiment"):
        sentiment.try_this("Delete everything", "saliency", "default")


@pytest.mark.unit
def test_labels_and_verdict():
    payload = sentiment.label_payload(np.array([0.2, 0.8]))
    assert payload["label"] == "positive" and payload["confidences"][0] == {"label": "positive", "confidence": 0.8}
    assert "agree: positive" in sentiment.verdict(np.array([0.1, 0.9]), np.array([0.3, 0.7]))
    assert "disagree" in sentiment.verdict(np.array([0.9, 0.1]), np.array([0.3, 0.7]))


@pytest.mark.unit
def test_learning_curve_figure_draws_both_models():
    curve = {
        "test_set": "SST-2 dev",
        "points": [
            {"model": m, "labels": n, "accuracy": a}
            for m, n, a in [("scratch", 100, 0.5), ("scratch", 1000, 0.6), ("transfer", 100, 0.8), ("transfer", 1000, 0.85)]
        ],
    }

    axes = curve_figure(curve).axes[0]
    assert [line.get_label() for line in axes.get_lines()[:2]] == ["From scratch (GRU)", "Transfer (MiniLM)"]
    assert list(axes.get_lines()[1].get_ydata()) == [0.8, 0.85]


# ---------- the shipped models ----------


@pytest.mark.reference
@pytest.mark.figures
@pytest.mark.parametrize("model", ["scratch", "transfer"])
def test_shipped_models_read_clear_reviews_right(model):
    shipped()

    p = probabilities(["A wonderful, moving film. I loved every minute.", "Boring, badly acted and far too long. Avoid it."], model)
    assert p[0, 1] > 0.8 and p[1, 1] < 0.2


@pytest.mark.unit
def test_a_re_measurement_matches_the_card_within_a_few_examples():
    card = {"accuracy": 676 / 872, "examples": 872}
    assert matches_card({"accuracy": 676 / 872, "examples": 872}, card, tolerance=2)
    assert matches_card({"accuracy": 674 / 872, "examples": 872}, card, tolerance=2)
    assert matches_card({"accuracy": 678 / 872, "examples": 872}, card, tolerance=2)
    assert not matches_card({"accuracy": 673 / 872, "examples": 872}, card, tolerance=2)
    assert not matches_card({"accuracy": 679 / 872, "examples": 872}, card, tolerance=2)
    assert not matches_card({"accuracy": 676 / 872, "examples": 800}, card, tolerance=2)  # another set
    assert not matches_card({"accuracy": 676 / 872, "examples": 872}, None, tolerance=2)  # no card figure


@pytest.mark.reference
@pytest.mark.figures
def test_cards_are_reproduced_on_sst2_dev_and_the_transfer_file_is_small():
    shipped()

    need((DATA / "sst2" / "dev.tsv").exists(), f"SST-2 is not in {DATA}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the evaluation command runs; two threads thrash on a busy 2-core machine
    try:
        for model in ("scratch", "transfer"):
            card = load_card(f"sentiment_{model}")
            measured, claimed = accuracy(model, "sst2", "dev", DATA), card["test"][card_key(model, "sst2_dev")]
            assert matches_card(measured, claimed, CARD_TOLERANCE["sst2_dev"]), (model, measured, claimed)
            assert {"command", "seed", "training_seconds"} <= set(card)
    finally:
        torch.set_num_threads(threads)
    assert (CHECKPOINT_DIR / "sentiment_transfer.safetensors").stat().st_size <= 15_000_000


@pytest.mark.reference
@pytest.mark.figures
def test_explain_gives_labels_attributions_and_the_cut_off_part():
    shipped()
    scratch, transfer, verdict, scratch_html, transfer_html, scratch_cut, transfer_cut, views = sentiment.explain(LONG_REVIEW)
    assert set(scratch) == set(transfer) == {"negative", "positive"}
    assert "agree" in verdict and "the from-scratch model read 400 and the transfer model" in verdict
    assert "words cut off, not read" in scratch_html and "words cut off, not read" in transfer_html
    assert "dinner party" in scratch_cut and "dinner party" in transfer_cut
    scores = [v for _, v in views["scratch"] if v is not None]
    assert max(abs(v) for v in scores) == 1.0


@pytest.mark.unit
def test_each_word_method_has_a_note_and_grad_cam_is_refused_with_the_reason():
    for method in ("saliency", "integrated_gradients", "smoothgrad", "occlusion"):
        assert "*Misleads:*" in sentiment.method_note(method) and "No Grad-CAM here" in sentiment.method_note(method)
    assert [value for _, value in METHOD_CHOICES] == ["integrated_gradients", "saliency", "smoothgrad", "occlusion"]
    with pytest.raises(gr.Error, match="method must be one of saliency, integrated_gradients, smoothgrad, occlusion; got 'gradcam'"):
        sentiment.explain("not bad at all", "gradcam")
    assert sentiment.explain_again("  ", "occlusion", "default") == (sentiment.gr.skip(),) * 8  # nothing typed: nothing to redo


@pytest.mark.reference
@pytest.mark.figures
def test_the_word_method_choice_reaches_both_models():
    shipped()
    words, labels = {}, set()
    for method in ("integrated_gradients", "saliency", "smoothgrad", "occlusion"):
        scratch, transfer, *_, views = sentiment.explain("great cast, terrible plot", method)
        labels.add((tuple(scratch.items()), tuple(transfer.items())))
        for model, view in enumerate((views["scratch"], views["transfer"])):
            scores = {word.strip(): value for word, value in view if value is not None}
            assert set(scores) >= {"great", "terrible", "plot"} and max(abs(v) for v in scores.values()) == 1.0
            words[method, model] = scores
    assert len(labels) == 1  # the answers do not depend on the method
    for model in (0, 1):  # integrated gradients and occlusion: "terrible" pushes hardest towards negative
        for method in ("integrated_gradients", "occlusion"):
            scores = words[method, model]
            assert min(scores, key=scores.get) == "terrible", (method, model, scores)
        assert words["integrated_gradients", model] != words["occlusion", model]  # different methods, different numbers


# ---------- end to end: the app's API and a browser ----------


@pytest.fixture(scope="module")
def client(app_url):
    return Client(f"{app_url}/demos/sentiment/", verbose=False)


@pytest.mark.e2e
def test_classify_sentiment_endpoint_for_both_models(client):
    shipped()
    for model in ("scratch", "transfer"):
        result = client.predict("An absolute delight from start to finish.", model, api_name="/classify_sentiment")
        assert result["label"] == "positive"
        assert {c["label"] for c in result["confidences"]} == {"positive", "negative"}
    huge = client.predict("dreadful. " * 20_000, "transfer", api_name="/classify_sentiment")  # 200,000 characters
    assert huge["label"] == "negative"


@pytest.mark.e2e
def test_classify_sentiment_rejects_bad_input_with_a_message(client):
    with pytest.raises(Exception, match="Type or paste"):
        client.predict("   ", "scratch", api_name="/classify_sentiment")
    with pytest.raises(Exception, match="must be"):
        client.predict("fine", "gpt-5", api_name="/classify_sentiment")


@pytest.mark.e2e
def test_classify_lines_returns_a_table(client):
    shipped()
    table, note = client.predict(
        "A wonderful film, I loved it.\n\nBoring, badly acted and far too long.\n" + "ok\n" * 300, api_name="/classify_lines"
    )
    assert "first 200 were classified" in note
    rows = table["data"]
    assert len(rows) == 200 and rows[0][1] == "positive" and rows[1][1] == "negative"


@pytest.mark.reference
def test_each_try_this_loads_its_text_and_reads_it():
    shipped()
    for label, (text, note, open_cut) in TRY_THIS.items():
        shown, said, cut_part, scratch, _, verdict, scratch_html, *_ = sentiment.try_this(label, "saliency", "safe")
        assert shown == text and said == note and set(scratch) == {"negative", "positive"} and "%" in verdict
        assert ">" + escape(text.split()[-1].strip(".")) + "<" in scratch_html
        assert (cut_part.open if open_cut else cut_part) == (True if open_cut else sentiment.gr.skip())
    assert "words cut off, not read" in scratch_html  # the last one is the long review


def word_colours_on_page(page, selector: str) -> dict[str, str]:
    """Each coloured word's score (its tooltip) -> its background colour as the browser computes it."""
    return page.eval_on_selector_all(
        f"{selector} .word[title]",
        "els => Object.fromEntries(els.map(e => [e.title, getComputedStyle(e).backgroundColor]))",
    )


def rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)))


def strongest_word(page, selector: str) -> tuple[str, str]:
    """The side ("negative" or "positive") of a model's strongest word (score -1 or +1), and its colour on the page."""
    colours = word_colours_on_page(page, selector)
    side = "negative" if "-1.00" in colours else "positive"
    return side, colours["-1.00" if side == "negative" else "+1.00"]


@pytest.mark.browser
def test_the_page_opens_on_a_reading_and_its_palette_is_kept_in_the_url(page, app_url):
    """No click: both readings and both models' coloured words are there; the palette recolours them,
    goes into the address bar, and a page opened with ?palette=safe draws the safe colours."""
    shipped()
    open_gradio(page, f"{app_url}/demos/sentiment/")
    page.locator("#scratch-words .word").first.wait_for(timeout=60_000)
    result = page.locator("#sentiment-result").inner_text()
    assert "disagree" in result and "From scratch (GRU)" in result and "%" in result
    for words in ("#scratch-words", "#transfer-words"):
        side, colour = strongest_word(page, words)
        assert colour == rgb(css("default")[side])
    assert ">Red</span>" in page.locator("#sentiment-legend").inner_html()
    assert not [v for v in axe_violations(page) if v["impact"] == "critical"]
    assert not axe_violations(page, "#sentiment-result, #sentiment-legend, #scratch-words, #transfer-words")

    page.get_by_label("Colour-blind safe (blue / orange)").check()
    page.locator("#sentiment-legend").get_by_text("Orange").wait_for()  # drawn by the same event as the words
    page.wait_for_function("() => location.search.includes('palette=safe')")
    side, colour = strongest_word(page, "#transfer-words")
    assert colour == rgb(css("safe")[side])

    open_gradio(page, f"{app_url}/demos/sentiment/?palette=safe")
    page.locator("#sentiment-legend").get_by_text("Orange").wait_for(timeout=60_000)
    page.locator("#scratch-words .word").first.wait_for(timeout=60_000)
    for words in ("#scratch-words", "#transfer-words"):
        side, colour = strongest_word(page, words)
        assert colour == rgb(css("safe")[side])
    assert page.get_by_label("Colour-blind safe (blue / orange)").is_checked()


@pytest.mark.browser
def test_try_this_buttons_load_and_read_and_a_missing_text_keeps_the_reading(page, app_url):
    shipped()
    open_gradio(page, f"{app_url}/demos/sentiment/")
    page.locator("#scratch-words .word").first.wait_for(timeout=60_000)
    words = page.locator("#scratch-words")
    for n, (label, (text, _, _)) in enumerate(TRY_THIS.items()):
        page.locator(f"#sentiment-try-{n}").click()
        page.locator("#sentiment-try-note").get_by_text(label.split(":")[0]).first.wait_for(timeout=60_000)
        words.get_by_text(text.split()[-1].strip(".'")).first.wait_for(timeout=60_000)
        assert page.locator("#sentiment-text textarea").input_value() == text
    assert "words cut off, not read" in words.inner_text()  # the long review, with its middle opened below
    assert "dinner party" in page.get_by_label("Not read by the from-scratch model").input_value()

    before = page.locator("#sentiment-result").inner_text()
    page.locator("#sentiment-text textarea").fill("   ")
    page.get_by_role("button", name="Classify", exact=True).click()
    page.get_by_text("Type or paste some text first").first.wait_for()
    assert page.locator("#sentiment-result").inner_text() == before and "%" in before
    assert "dinner party" in words.inner_text() or "words cut off" in words.inner_text()
    assert page.locator(".error").count() == 0


@pytest.mark.browser
def test_at_phone_width_the_page_and_a_long_review_fit_without_sideways_scrolling(phone_page, app_url):
    shipped()
    open_gradio(phone_page, f"{app_url}/demos/sentiment/")
    phone_page.locator("#scratch-words .word").first.wait_for(timeout=60_000)
    phone_page.locator("#sentiment-try-2").tap()
    phone_page.locator("#scratch-words").get_by_text("words cut off, not read").wait_for(timeout=60_000)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    for words in ("#scratch-words", "#transfer-words"):  # wrapped to the screen, not cut off at its edge
        box = phone_page.locator(f"{words} .text")
        assert box.bounding_box()["width"] <= 390 and box.evaluate("e => e.scrollWidth <= e.clientWidth")
