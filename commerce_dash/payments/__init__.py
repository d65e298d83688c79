"""Payment processors behind one interface (base.py): the sandbox and Stripe. Infrastructure:
they import no service."""
