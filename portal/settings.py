"""Settings for Dealer Portal, read from the environment (django-environ).

Every variable is documented in ``.env.example``. The defaults run on a laptop with
nothing but Python: SQLite in the project folder, an in-memory cache, Celery tasks
executed in-process and e-mail written to files under ``var/mail``. Production
behaviour is switched on by variables (``DEBUG=0``, ``DATABASE_URL``, ``REDIS_URL``,
``SECRET_KEY``, ``ALLOWED_HOSTS``, ``EMAIL_URL``...).
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(env_file)

DEBUG = env.bool("DEBUG", default=True)
# With DEBUG, a missing page still shows the portal's 404 page (the demo runs with DEBUG);
# 1 shows Django's debug page with every URL pattern instead.
DEBUG_TECHNICAL_404 = env.bool("DEBUG_TECHNICAL_404", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY")  # required: raises ImproperlyConfigured when missing

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The absolute address of the portal, used in e-mails ("open the lead: https://...").
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "django_tables2",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    # ours
    "portal.users",
    "portal.audit",
    "territories",
    "dealers",
    "leads",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.api.ApiBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "portal.middleware.RequireStaffMfaMiddleware",
    "portal.middleware.NotFoundPageMiddleware",
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
            # l10n: ``|unlocalize`` for numbers machines read (ids in attributes)
            "builtins": ["portal.templatetags.ui", "django.templatetags.l10n"],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the timer loop work on the file at the same time.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # The covering index's INCLUDE columns are a PostgreSQL speed-up; SQLite just
    # builds the index without them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # Kept connections are checked before each request's first query by reading their
    # socket, not by ``SELECT 1`` (``portal/postgresql/base.py``).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "portal.postgresql"
    # Values travel apart from the SQL, so psycopg prepares a statement the connection
    # runs a fifth time and PostgreSQL stops parsing and planning it on every request
    # (``portal/pgcursor.py``). Off behind a pooler in transaction mode (PgBouncer
    # before 1.21 cannot keep prepared statements).
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        from portal.pgcursor import PortalCursor

        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.update(
            {"server_side_binding": True, "prepare_threshold": 5, "cursor_factory": PortalCursor}
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and (worker := env.str("PYTEST_XDIST_WORKER", default="")):
    # Parallel test workers clear the cache between tests: give each its own database,
    # counted on from the one REDIS_URL names (gw0 keeps it), so that two test runs given
    # different databases do not empty each other's.
    redis_url = urlsplit(REDIS_URL)
    redis_db = int(redis_url.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    REDIS_URL = redis_url._replace(path=f"/{redis_db % 16}").geturl()
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache that answers as an empty cache, loudly, while Redis is
            # down (``portal/cache.py``): sign-in, intake and the API keep working.
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="portal"),
        }
    }
    # The broker may be another Redis (or RabbitMQ) than the cache, so that one outage
    # does not take both; requests never wait on it (``portal/queue.py``).
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No broker: tasks run in-process right after the transaction commits, and the
    # timer loop (``manage.py run_timers``) runs the periodic sweeps.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers wait for a broker that is away; requests publish through ``portal.queue``
# with a 100 ms bound of their own and leave the rest to the outbox sweeps.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "socket_connect_timeout": 2}
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "leads.tasks.sla_sweep", "schedule": timedelta(minutes=1)},
    "deliver-notifications": {
        "task": "portal.users.tasks.deliver_pending_notifications",
        "schedule": timedelta(minutes=1),
    },
    "pending-confirmations": {
        "task": "leads.tasks.confirm_pending_receipts",
        "schedule": timedelta(minutes=1),
    },
    "pending-imports": {
        "task": "leads.imports.tasks.run_pending_imports",
        "schedule": timedelta(seconds=10),
    },
    # Webhook deliveries that are due: retries, and what a lost publish left waiting.
    "deliver-webhooks": {
        "task": "leads.webhooks.tasks.deliver_pending_webhooks",
        "schedule": timedelta(seconds=30),
    },
    "daily-digest": {
        "task": "portal.users.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    # Routing ignores an override after its end date already; this records its end
    # (audited) and restarts the split of the dealer's shared territories.
    "end-expired-weight-overrides": {
        "task": "dealers.tasks.end_expired_weight_overrides",
        "schedule": crontab(hour=0, minute=5),
    },
    # Sessions end (SESSION_COOKIE_AGE, STAFF_SESSION_AGE); their rows go at night.
    "clear-expired-sessions": {
        "task": "portal.users.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
}
# Every periodic task is in CELERY_BEAT_SCHEDULE, which beat and the demo's timer loop
# (manage.py run_timers) both run; tests/portal/test_periodic_tasks.py holds every other
# task to being queued by the code on purpose.

# --- Outbound webhooks (leads.services.webhooks) --------------------------------------
# Seconds to connect, and again to get an answer, before an attempt counts as failed.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# Plain http:// endpoints (a receiver on one's own machine while developing).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=DEBUG)
# Dealers' endpoints on private, loopback or link-local addresses (never in production:
# an address on the portal's own network could reach the database or the cache).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)

# --- Authentication -------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# Invitation links are password-reset links; give the invitee a week.
PASSWORD_RESET_TIMEOUT = 7 * 24 * 3600

ACCOUNT_ADAPTER = "portal.users.adapters.InviteOnlyAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"  # invitations go to addresses staff entered
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_FORMS = {"login": "portal.users.forms.LoginForm"}
# No "remember me": every session ends a fixed time after signing in
# (portal/users/sessions.py), staff sooner.
ACCOUNT_SESSION_REMEMBER = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
STAFF_SESSION_AGE = env.int("STAFF_SESSION_AGE", default=12 * 3600)
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Dealer Portal] "
# allauth counts attempts in the cache (Redis in production, shared by all workers).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Dealer Portal")
# DESIGN.md: internal staff sign in with a second factor; the local demo turns it off
# so a visitor can look around with the printed logins.
REQUIRE_STAFF_MFA = env.bool("REQUIRE_STAFF_MFA", default=True)
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user: anonymous visitors see nothing

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True
# Numbers in pages and e-mails with the reader's thousands separator ("2.924" in Dutch
# and German, "2,924" in English); ids that a machine reads back (attribute values,
# URLs written by hand) are written with ``|unlocalize``.
USE_THOUSAND_SEPARATOR = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------
# EMAIL_URL: smtp+tls://user:password@host:587, smtps://..., consolemail://, or
# unset for files under var/mail (the demo: open them to read what was sent).
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _email = env.email_url_config(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
    EMAIL_PORT = _email.get("EMAIL_PORT") or 25
    EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
    EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Dealer Portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Proxies of our own in front of the portal that append the client's address to
# X-Forwarded-For (the README's TLS-terminating proxy: 1). The client is the entry that
# many places from the right; with 0 the header is ignored (anyone can send it) and the
# client is the connection's address. Rate limits count per client address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# allauth's client address (login and password-reset limits; the inquiry form's limit
# asks allauth's adapter for it too).
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # Behind a TLS-terminating proxy set SECURE_SSL_REDIRECT=0 if the proxy redirects,
    # and SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = [
        *globals().get("SILENCED_SYSTEM_CHECKS", []),
        *env.list("SILENCED_SYSTEM_CHECKS", default=[]),
    ]

# Pages may load scripts, styles, fonts and images only from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Worker processes of a CSV import of leads (``leads.services.imports``); None: one per
# core and one more, at most 4.
IMPORT_PROCESSES = env.int("IMPORT_PROCESSES", default=None)

# --- REST API -------------------------------------------------------------------------
# A request body to /api/ over this many bytes is answered 413 before it is parsed.
API_MAX_BODY_SIZE = env.int("API_MAX_BODY_SIZE", default=1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "leads.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.ApiAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Bodies are JSON only: a form body cannot carry the nested qualification or null.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "intake": env.str("API_INTAKE_RATE", default="6000/min"),
        "api_key_failures": env.str("API_KEY_FAILURE_RATE", default="10/min"),
    },
    # The client address of a throttle: REMOTE_ADDR, or behind trusted proxies the
    # address they put in X-Forwarded-For (never a value the client chose).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dealer Portal API",
    "DESCRIPTION": (
        "Lead intake for web forms and marketing automation, and a dealer's own "
        "systems reading and updating their leads and claims."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.apply_request_rules",
    ],
}

# --- django-tables2 -------------------------------------------------------------------
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"refused_without_traceback": {"()": "portal.log_filters.RefusedWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler (with DEBUG) printed every record a second time
        # beside ours: its records go to the root's console only.
        "django": {"handlers": [], "level": "INFO"},
        # a refused page (403) is one line, not a PermissionDenied traceback
        "django.request": {"filters": ["refused_without_traceback"]},
        "django.db.backends": {"level": "INFO"},
        # one line per task run (the demo's timer loop runs some every 10 s) is noise
        "celery.app.trace": {"level": "WARNING"},
        "kombu.connection": {"level": "ERROR"},
    },
}
