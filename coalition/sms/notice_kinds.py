"""What the text channel tells the coalition's admins (coalition/notices)."""

from coalition.notices import ACCOUNT, Notice

NOTICES = (Notice("sms_cap_reached", ACCOUNT, email="sms/cap_reached"),)
