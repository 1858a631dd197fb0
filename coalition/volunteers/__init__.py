"""Volunteer roles: helpers an event date asks for (drivers, childcare, interpreters...)."""
