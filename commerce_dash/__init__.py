"""Commerce Dash: commerce and registration for a learning platform."""
