"""What accounts are sent (coalition/notices: the registry the app factory fills)."""

from coalition.notices import ACCOUNT, Notice

NOTICES = (
    Notice("account_exists", ACCOUNT, email="auth/account_exists"),
    Notice("confirm_account", ACCOUNT, email="auth/confirm_account"),
    Notice("password_reset", ACCOUNT, email="auth/password_reset"),
    Notice("password_reset_unknown", ACCOUNT, email="auth/password_reset_unknown"),
)
