"""What the outbox itself sends (coalition/notices: the registry the app factory fills)."""

from coalition.notices import ACCOUNT, Notice

NOTICES = (
    # To every coalition admin, once per refusal: a channel refuses us (credentials, account,
    # sender) and waits for them (mail/admins.tell_admins_channel_refused).
    Notice("channel_refused", ACCOUNT, email="mail/channel_refused"),
)
