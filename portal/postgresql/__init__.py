"""The portal's PostgreSQL backend: Django's, with a health check that asks nothing of
the server (``base.DatabaseWrapper.is_usable``)."""
