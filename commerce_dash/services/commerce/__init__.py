"""Commerce: taking money. Cart, checkout, orders, payments and settlement, tax, refunds,
disputes, payment reviews, and the admin overview's key figures.
"""
