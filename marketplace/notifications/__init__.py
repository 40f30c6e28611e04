"""Notifications: the one writer of in-site messages and e-mails, used by every domain."""
