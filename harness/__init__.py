"""What the tests, the benchmarks and the scripts share: starting a server on a free port and
stopping it, waiting for a condition with a deadline, and driving a Gradio page in chromium.

    tests/ ──┐
    bench/ ──┼──> harness/
    scripts/ ┘

Imports point one way: tests/, bench/ and scripts/ import `harness`; `harness` imports none of
them, and none of them imports another (tests/test_layout.py checks both). Light at import: no
torch, no gradio, no Playwright (the browser helpers take the page they are given).

- `harness.serving`: free_port, wait_until, stop, wait_for_http, served (a command that serves
  HTTP, run on a free port) and served_app (`python app.py`, as a user starts it);
- `harness.guide`: walking a page's guided path (open a step, answer, run, read the verdict);
- `harness.browser`: Debian's chromium and its flags, the phone's viewport, the offline stand-in
  for Gradio's CDN, open_gradio and settle (a page that has finished its events), drawing with
  the mouse.
"""
