"""Use cases: take a session (keyword-only), load, call domain rules, persist, audit, commit."""
