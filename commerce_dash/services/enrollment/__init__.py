"""Enrollment: who takes which course. Registrations and their approval queue, approval
rules, enrollment at the LMS and the LMS's catalogue sync, LMS user links, and ownership (what a
learner already has, the one answer the cart and checkout ask).
"""
