"""Calls we make to other systems (LMS, payout platform), delivered through the outbox."""
