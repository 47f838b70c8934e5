"""The history of staff changes to dealers, territories, accounts and the policy.

Every change made in the portal's pages (``services.audit_log``) or in the admin is an
admin ``LogEntry``, so the admin's history button shows it; each one is copied, as it
is written, into an immutable ``ChangeEvent`` (``signals``): the same history line and
database trigger as a lead's events, kept when the person who made it or the
``LogEntry`` is deleted. Pages read the ``ChangeEvent`` rows (``services.audit_of``).
"""
