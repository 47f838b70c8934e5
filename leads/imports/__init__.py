"""CSV/XLSX lead imports: the upload pages and the Celery tasks that run them (the rows
are read by ``leads.services.imports``)."""
