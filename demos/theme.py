"""The theme every page is served with: Gradio's default look, with text that meets WCAG AA contrast.

Gradio's default theme draws several kinds of text below the 4.5:1 contrast ratio that WCAG AA asks
of normal-size text, and axe-core's `color-contrast` rule flags each of them on every page:
- subdued text (slider bounds, block info, the footer's links, code line numbers) in neutral-400
  on white: 1.9:1;
- white on the primary orange-500 (primary buttons) and orange-500 on white (the selected tab's
  label, through the accent colour): 2.8:1; white on the Stop button's red-500: 3.8:1;
- visited links in blue-500: 3.7:1.
Here each is moved a step or two darker (lighter in dark mode), and nothing else changes. The
ratios, light (on white) then dark (on neutral-950), checked with the WCAG formula:
subdued neutral-600 7.7 / neutral-400 10.0; primary and accent orange-700 5.2 (white on it, and it
on white) / accent orange-400 8.5, primary button orange-700 with white 5.2; Stop red-700 6.5 (both
modes); placeholder neutral-500 4.8 / neutral-400 7.8 on neutral-800; visited links blue-700 6.7 /
blue-400 7.5. tests/test_accessibility.py holds every page to a plain Gradio page served with it.
"""

from __future__ import annotations

import gradio as gr


class Legible(gr.themes.Default):
    """gr.themes.Default with every text colour at WCAG AA contrast or better, in both modes."""

    def __init__(self):
        super().__init__()
        self.name = "legible"
        super().set(
            body_text_color_subdued="*neutral_600",  # block info, slider bounds, footer (default neutral_400)
            body_text_color_subdued_dark="*neutral_400",
            input_placeholder_color="*neutral_500",
            input_placeholder_color_dark="*neutral_400",
            color_accent="*primary_700",  # the selected tab's label, sliders, checked boxes
            button_primary_background_fill="*primary_700",
            button_primary_background_fill_dark="*primary_700",
            button_primary_background_fill_hover="*primary_800",
            button_primary_background_fill_hover_dark="*primary_800",
            button_primary_border_color="*primary_700",
            button_primary_border_color_dark="*primary_700",
            button_primary_border_color_hover="*primary_800",
            button_primary_border_color_hover_dark="*primary_800",
            button_cancel_background_fill="#b91c1c",  # red-700 (default red-500)
            button_cancel_background_fill_hover="#991b1b",
            link_text_color_visited="*secondary_700",
            link_text_color_visited_dark="*secondary_400",
        )
        # set() has no keyword for the accent's dark twin, but the theme writes every `<name>_dark`
        # attribute into its dark-mode CSS: orange-700 on neutral-950 would be 3.7:1, orange-400 is 8.5:1.
        self.color_accent_dark = "*primary_400"


THEME = Legible()
