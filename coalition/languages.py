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
