"""How the portal's long-running processes (gunicorn's workers, Celery's workers, the
CSV import command) set up Python itself.

``tune_garbage_collection``: Python's cyclic garbage collector runs after every 700 new
container objects and then walks every object the youngest generations hold, and now and
then all of them, the thousands Django and the app made at start-up included. A batch of
500 leads makes hundreds of thousands of objects: the collector's default rhythm cost the
batch API 15-25 % of its Python CPU (measured in process, 10,000 leads, three rounds).
Freezing what start-up made (``gc.freeze``) keeps it out of every later collection, and
a first generation of 50,000 objects lets a request finish before the first collection.
Cycles are still collected (a batch leaves some), just less often: the memory this
holds is a few megabytes at most.

``warm_up``: Django and the libraries load much of their work lazily, on the first
request that needs it: the URL configuration with every view module it names, the
indexes ``reverse()`` uses, the holiday rules of every country, the e-mail validator's
patterns, the translation catalogues. A fresh gunicorn worker's first lead intake took
0.46-0.80 s, the next ones 10-17 ms; with this, 91-100 ms (its database and broker
connections, the routing world). Doing that work as the process starts, before it
takes a request, spares the first customers after every deploy or restart; the objects
it makes are then frozen with the rest of start-up.
"""

import gc

THRESHOLDS = (50_000, 50, 100)  # Python's defaults: 700, 10, 10


def warm_up() -> None:
    """Call once the application is loaded, before the process serves (see above)."""
    import holidays.countries  # noqa: F401  (every country's rules: 0.17 s)
    from django.conf import settings
    from django.core.validators import validate_email
    from django.urls import URLResolver, get_resolver
    from django.utils import translation

    resolvers = [get_resolver()]
    while resolvers:  # the patterns and reverse() indexes of every included URLconf
        resolver = resolvers.pop()
        resolver.reverse_dict  # noqa: B018  (builds it)
        resolvers.extend(p for p in resolver.url_patterns if isinstance(p, URLResolver))
    validate_email("warm-up@example.com")  # compiles the validator's patterns
    with translation.override(None):
        for code, _name in settings.LANGUAGES:
            translation.activate(code)  # loads the catalogues of each language
        translation.deactivate()


def tune_garbage_collection() -> None:
    """Call once the application is loaded (after a fork, in the child)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
