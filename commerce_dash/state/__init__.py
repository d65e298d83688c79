"""Shared Reflex states: the signed-in session and admin access."""
