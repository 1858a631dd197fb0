"""A person's private link: a signed token naming one row and the secret it holds.

The secret (`manage_secret`) lives on the row; replacing it (or erasing the row, which writes
`ERASED` or a new random secret) kills every link made before. Knowing an id proves nothing:
the token is signed for one purpose, and the secret in it must match.
"""

from __future__ import annotations

from dataclasses import dataclass

from coalition.extensions import db
from coalition.tokens import TokenError, make_token, read_token
from coalition.urls import external_url


@dataclass(frozen=True)
class PrivateLink:
    #: The token's purpose (its salt): an RSVP's link is no helper's link.
    purpose: str
    model: type
    #: The payload's key for the row's id ("r", "h", "d", "g": kept, so old links still work).
    key: str
    #: The page the link opens (its endpoint takes the token).
    endpoint: str
    #: Loader options for the row (what its page reads next, in the same statement).
    options: tuple = ()

    def token(self, row) -> str:
        return make_token(self.purpose, {self.key: row.id, "s": row.manage_secret})

    def url(self, row) -> str:
        return external_url(self.endpoint, token=self.token(row))

    def row(self, token: str):
        """The row behind a link; TokenError when tampered with, replaced or erased."""
        payload = read_token(self.purpose, token, max_age=None)
        if not isinstance(payload, dict):
            raise TokenError("invalid")
        row = db.session.get(self.model, payload.get(self.key), options=self.options)
        if row is None or row.erased_at is not None or row.manage_secret != payload.get("s"):
            raise TokenError("invalid")
        return row
