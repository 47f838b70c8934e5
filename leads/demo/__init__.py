"""The demo data set: ``manage.py seed_demo``.

``reference`` builds the people, dealers and territories; ``history`` builds accounts,
claims and six months of leads (bulk inserts, so a million leads take minutes).
Everything is deterministic (seeded random) and idempotent: a second run adds nothing.
"""
