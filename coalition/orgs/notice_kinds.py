"""What organizations' people and the coalition's admins are sent (coalition/notices)."""

from coalition.notices import ACCOUNT, Notice

NOTICES = (
    Notice("org_application", ACCOUNT, email="orgs/application_received"),
    Notice("org_approved", ACCOUNT, email="orgs/approved"),
    Notice("org_declined", ACCOUNT, email="orgs/declined"),
    Notice("org_suspended", ACCOUNT, email="orgs/suspended"),
    Notice("org_reinstated", ACCOUNT, email="orgs/reinstated"),
    Notice("org_invitation", ACCOUNT, email="orgs/invitation"),
)
