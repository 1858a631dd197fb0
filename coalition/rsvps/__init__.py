"""RSVPs: signing up for an occurrence, capacity, the waitlist, the manage link, purging."""
