"""Background jobs: thin functions that open a session and call one service each."""
