"""Short private links for texts: `BASE_URL/r/<token>` stands for a longer private link."""
