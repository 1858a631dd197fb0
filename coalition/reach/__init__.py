"""Reach: link previews, event images, share links, printable flyers and the embeddable calendar."""
