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
"""

import gc

THRESHOLDS = (50_000, 50, 100)  # Python's defaults: 700, 10, 10


def tune_garbage_collection() -> None:
    """Call once the application is loaded (after a fork, in the child)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
