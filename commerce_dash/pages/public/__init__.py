"""Pages anyone can open: sign-in, sign-up, invitations."""
