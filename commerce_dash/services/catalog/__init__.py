"""Catalog: what is sold and at what price. Courses, programs (bundles), prices and their
history, discount codes, exchange rates and display currencies, the storefront's reads.
"""
