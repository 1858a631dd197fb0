"""How many billed segments a text takes: GSM-7 when every character is in GSM 03.38, else UCS-2.

One character outside GSM-7 (an accented capital, a Creole "è" is fine but "ò" is not, an emoji)
switches the whole text to UCS-2 and roughly halves what fits in a segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

#: Characters per segment: a single-segment text, and each part of a longer one (a header
#: in each part takes the difference).
_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}
#: We never send more than this many segments.
MAX_SEGMENTS = 3
_ELLIPSIS = "..."


@dataclass(frozen=True)
class SegmentCount:
    encoding: str
    #: Septets (GSM-7, an extension character counts 2) or UTF-16 code units (UCS-2).
    units: int
    segments: int
    #: Units left before the next segment starts.
    remaining: int


def count_segments(text: str) -> SegmentCount:
    try:
        units = len(text.encode("gsm03.38"))
        encoding = "GSM-7"
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-le")) // 2
        encoding = "UCS-2"
    single, multi = _LIMITS[encoding]
    if units <= single:
        segments = 1 if units else 0
        return SegmentCount(encoding, units, segments, single - units)
    segments = math.ceil(units / multi)
    return SegmentCount(encoding, units, segments, segments * multi - units)


#: Typography that forces UCS-2 for nothing: replaced by its GSM-7 look-alike before counting.
_PLAIN = str.maketrans({
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2019": "'", "\u2018": "'",
    "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "...",
})  # fmt: skip


def plain(text: str) -> str:
    """`text` with non-breaking spaces, curly quotes, dashes and ellipses made plain (a date
    formatted for a locale has a narrow no-break space before "PM": that alone would double the
    cost of an English text)."""
    return text.translate(_PLAIN)


def fit(text: str, max_segments: int = MAX_SEGMENTS) -> str:
    """`text`, cut with "..." if needed so that it takes at most `max_segments` segments."""
    text = text.strip()
    if count_segments(text).segments <= max_segments:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that still fits with the ellipsis
        middle = (low + high + 1) // 2
        if count_segments(text[:middle].rstrip() + _ELLIPSIS).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + _ELLIPSIS
