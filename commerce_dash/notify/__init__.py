"""Transactional email: messages, templates, providers and the outbox hand-off."""
