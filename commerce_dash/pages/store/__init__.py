"""Storefront pages for learners."""
