"""The coalition's colours from its settings, checked for contrast before they reach a page."""

from __future__ import annotations

import re

import webcolors

DEFAULT_ACCENT = "#0b5d7a"
#: WCAG AA for normal text: links and button labels in the accent colour on white.
MIN_CONTRAST = 4.5


def _luminance(hex_color: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    rgb = webcolors.hex_to_rgb(hex_color)
    return 0.2126 * channel(rgb.red) + 0.7152 * channel(rgb.green) + 0.0722 * channel(rgb.blue)


def contrast_with_white(hex_color: str) -> float:
    return 1.05 / (_luminance(hex_color) + 0.05)


def accent_color(value) -> str:
    """`value` as #rrggbb when it reads on white (links, buttons), else the default accent."""
    try:
        color = webcolors.normalize_hex(str(value).strip())
    except ValueError:
        return DEFAULT_ACCENT
    return color if contrast_with_white(color) >= MIN_CONTRAST else DEFAULT_ACCENT


#: A logo address: a path on this site (the Content-Security-Policy loads images from the site
#: only), nothing that could break out of CSS's url().
_LOGO = re.compile(r"^/(?!/)[^\s\"'()\\<>;{}]+$")


def logo_url(value) -> str | None:
    value = str(value or "").strip()
    return value if _LOGO.match(value) else None


def theme_css(color, logo) -> str:
    css = f":root {{ --accent: {accent_color(color)}; }}\n"
    url = logo_url(logo)
    if url:
        css += f'.brand-mark {{ background-image: url("{url}"); }}\n'
    return css
