"""Coalition admin pages: applications, organizations, users."""
