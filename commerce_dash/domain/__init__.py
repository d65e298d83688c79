"""Pure business rules: no reflex, fastapi, sqlmodel or stripe imports."""
