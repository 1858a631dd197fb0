"""Home page, health check, language switcher, errors and template helpers."""
