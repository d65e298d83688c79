"""Admin pages; each state derives from AdminState and guards its section on load."""
