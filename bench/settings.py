"""Settings for benchmarks: the portal's, plus a bare endpoint to compare against."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
