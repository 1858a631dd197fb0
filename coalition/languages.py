"""Languages that events and organizations work in (wider than the translated interface)."""

from __future__ import annotations

#: Code → endonym. The interface itself is translated into config LANGUAGES only.
CONTENT_LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "ht": "Kreyòl ayisyen",
    "pt": "Português",
    "so": "Soomaali",
    "vi": "Tiếng Việt",
    "zh": "中文",
    "ar": "العربية",
    "fr": "Français",
}


def language_name(code: str) -> str:
    return CONTENT_LANGUAGES.get(code, code)


def message_locale(code: str | None) -> str:
    """The interface language to write a message in for someone who reads `code`: theirs when
    the interface is translated into it (config LANGUAGES), else English."""
    from flask import current_app

    return code if code and code in current_app.config["LANGUAGES"] else "en"
