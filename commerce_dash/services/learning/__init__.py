"""Learning: progress through a course, completion, certificates (issue, revoke, verify),
certificate templates and their PDF.
"""
