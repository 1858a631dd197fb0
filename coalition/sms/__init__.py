"""Text messages: providers behind one small interface, segments, opt-outs and replies.

Texts go through the same outbox as email (`coalition.mail`, `channel="sms"`).
"""
