"""Revenue: the books. The ledger and revenue shares, payouts, reports, exports, charts and
reconciliation.
"""
