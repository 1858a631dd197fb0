"""Forms used across features."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """Only the CSRF token: for buttons that POST (sign out, approve, remove...)."""
