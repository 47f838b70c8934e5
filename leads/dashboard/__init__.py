"""The channel manager's dashboard: ``figures`` (the reads), ``views`` and ``urls``."""
