"""Delegations: a town's or an organization's group travelling together to an action."""
