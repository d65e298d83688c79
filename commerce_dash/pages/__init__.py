"""Pages: one module per page with its state beside it."""
