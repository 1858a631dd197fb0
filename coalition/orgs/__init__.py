"""Member organizations: applications, profiles, people and invitations."""
