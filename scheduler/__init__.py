"""When things are due, and the outbox that delivers them.

The scheduler asks the core what is due and the core writes each message to
the outbox in the same transaction; a delivery worker drains the outbox
through the platform's sender. (Scheduled nudges arrive with their own issue.)
"""
