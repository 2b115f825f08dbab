"""Sending a digit from one page to another: "Look inside" (sketcher -> filters), and a generated or an
augmented digit to the sketcher.

The digit travels as 28 x 28 grey bytes (MNIST's convention: 0 = paper, 255 = ink), base64url: 1,046
characters, short enough for an address bar and for a load balancer's header limit.

- In the gallery, the sender opens the other tab and hands the digit over in the page (no reload).
- On a standalone page (/demos/<slug>/) it opens /demos/<target>/?digit=... in a new tab, and shows that
  link too, in case the browser blocks the new tab. `/?tab=<target>&digit=...` works in the gallery.

A page that sends: `out = sender("sketcher-send")`, and an event handler returns `send_value(target,
digit)` into it. A page that receives: `box = receiver("filters")`, and
`box.change(handler, box, ...)`, where the handler reads the digit with `received_digit(value)`.
"""

from __future__ import annotations

import base64
import html
import json
import re

import gradio as gr
import numpy as np

from demos import DEMOS

SIDE = 28
ENCODED = re.compile(r"[A-Za-z0-9_-]{1046}")  # base64url of 784 bytes, without padding
SLUGS = tuple(demo.slug for demo in DEMOS)


def encode_digit(digit: np.ndarray) -> str:
    """(28, 28) ink, uint8 0..255 or float 0..1 (1 = ink) -> the text that travels."""
    digit = np.asarray(digit)
    if digit.shape != (SIDE, SIDE):
        raise ValueError(f"a handed-off digit is {SIDE}x{SIDE}, not {digit.shape}")
    if digit.dtype != np.uint8:
        digit = np.rint(np.clip(digit, 0.0, 1.0) * 255).astype(np.uint8)
    return base64.urlsafe_b64encode(digit.tobytes()).decode("ascii").rstrip("=")


def decode_digit(text) -> np.ndarray | None:
    """The text that travels -> (28, 28) float32 ink in [0, 1], or None when it is not one (checked
    before decoding: the value comes from a browser, or from anyone's hand-made address)."""
    if not isinstance(text, str) or not ENCODED.fullmatch(text):
        return None
    raw = base64.urlsafe_b64decode(text + "==")
    return np.frombuffer(raw, np.uint8).reshape(SIDE, SIDE).astype(np.float32) / 255.0


def send_value(target: str, digit: np.ndarray, nonce: int | None = None) -> dict:
    """What a `sender` is given to send `digit` to the page `target` (a slug)."""
    if target not in SLUGS:
        raise ValueError(f"unknown page {target!r}")
    return {"to": target, "digit": encode_digit(digit), "n": nonce if nonce is not None else int(np.random.default_rng().integers(2**31))}


def received_digit(value) -> np.ndarray | None:
    """A `receiver`'s value -> (28, 28) float32 ink in [0, 1], or None."""
    return decode_digit(value.get("digit")) if isinstance(value, dict) else None


_SENDER_JS = """
const link = element.querySelector('a');
const TITLES = JSON.parse(element.querySelector('.handoff').dataset.titles);
function target(to) {  // this page's own address, with its slug swapped for the target's
  const here = new URL((window.gradio_config && window.gradio_config.root) || window.location.href, window.location.href);
  const path = here.pathname.replace(/\\/+$/, '');
  if (/\\/demos\\/[^/]+$/.test(path)) { here.pathname = path.replace(/\\/demos\\/[^/]+$/, '/demos/' + to + '/'); here.search = ''; }
  else { here.pathname = path + '/'; here.search = '?tab=' + encodeURIComponent(to); }
  here.searchParams.set('digit', props.value.digit);
  here.hash = '';
  return here.toString();
}
function go(value) {
  if (!value || !value.to || !value.digit) { link.hidden = true; return; }
  const tab = document.querySelector('button[role="tab"][data-tab-id="' + CSS.escape(value.to) + '"]');
  if (tab) {  // in the gallery: hand it over in the page, then open the tab
    (window.galleryHandoff = window.galleryHandoff || {})[value.to] = value;
    window.dispatchEvent(new CustomEvent('gallery-handoff', { detail: value }));
    tab.click();
    link.hidden = true;
    return;
  }
  const url = target(value.to);
  link.href = url;
  link.textContent = 'Open it in the ' + (TITLES[value.to] || value.to) + ' ↗';
  link.hidden = false;
  window.open(url, '_blank', 'noopener');
}
watch('value', () => go(props.value));
"""

_RECEIVER_JS = """
const SLUG = element.querySelector('.handoff').dataset.slug;
const taken = new Set();
function take(value) {
  if (!value || value.to !== SLUG || typeof value.digit !== 'string' || taken.has(value.n)) return;
  taken.add(value.n);
  props.value = { digit: value.digit, n: value.n };  // fires the component's change event
}
function waiting() {
  const value = window.galleryHandoff && window.galleryHandoff[SLUG];
  if (value) { delete window.galleryHandoff[SLUG]; take(value); }
}
window.addEventListener('gallery-handoff', event => { if (event.detail && event.detail.to === SLUG) waiting(); });
const query = new URLSearchParams(window.location.search);
const asked = window.galleryTab !== undefined ? window.galleryTab : query.get('tab');  // the gallery's tab select rewrites ?tab= early
const forThisPage = asked ? asked === SLUG : window.location.pathname.replace(/\\/+$/, '').endsWith('/demos/' + SLUG);
if (query.get('digit') && forThisPage) take({ to: SLUG, digit: query.get('digit'), n: 'address' });
waiting();  // a gallery tab is only put in the page when first opened: its digit waits for it
"""

_HIDDEN_CSS = ".handoff a { font-size: var(--text-sm); } .handoff:has(a[hidden]) { display: none; }"


def sender(elem_id: str, titles: dict[str, str] | None = None) -> gr.HTML:
    """Sends whatever `send_value` it is given; shows a link on a standalone page."""
    titles = titles or {demo.slug: demo.title.lower() for demo in DEMOS}
    template = f'<div class="handoff" data-titles="{html.escape(json.dumps(titles))}"><a hidden target="_blank" rel="noopener"></a></div>'
    return gr.HTML(
        None, html_template=template, css_template=_HIDDEN_CSS, js_on_load=_SENDER_JS, elem_id=elem_id, container=False, padding=False
    )


def receiver(slug: str) -> gr.HTML:
    """Takes a digit sent to the page `slug` (in the gallery, or from `?digit=` in the address)."""
    if slug not in SLUGS:
        raise ValueError(f"unknown page {slug!r}")
    template = f'<div class="handoff" data-slug="{slug}" hidden></div>'
    return gr.HTML(None, html_template=template, js_on_load=_RECEIVER_JS, elem_id=f"{slug}-handoff", container=False, padding=False)
