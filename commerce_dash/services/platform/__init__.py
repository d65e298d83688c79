"""Platform: who may do what and the plumbing every area shares. Accounts, sign-up, sign-in
limits, sessions, passwords and two-factor; users and their roles; departments and admin scope
(org); the audit log; jobs and their leases; the outbox; rate limits; secrets.
"""
