"""kefu settings: everything comes from the environment (healthchecks style).

SQLite under KEFU_DATA_DIR is the zero-config default; DATABASE_URL=postgres://... switches engines.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envsecret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (for container secrets)."""
    path = os.getenv(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.getenv(name, default)


def database_from_url(url: str) -> dict[str, object]:
    """Parse postgres://user:pass@host:port/name?opt=val (or sqlite:///path) into a DATABASES entry."""
    parts = urlparse(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": envint("KEFU_DB_CONN_MAX_AGE", "60"),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": dict(parse_qsl(parts.query)),
            "TEST": {"NAME": os.getenv("KEFU_TEST_DB_NAME") or None},
        }
    if parts.scheme == "sqlite":
        return sqlite_database(Path(unquote(parts.path)))
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parts.scheme!r}")


def sqlite_database(path: Path) -> dict[str, object]:
    # IMMEDIATE transactions + busy timeout avoid "database is locked" under concurrent writers;
    # WAL lets readers proceed while one writer commits (healthchecks does the same).
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
        # Tests use a file, not shared-cache memory, so concurrent-writer tests see real SQLite locking
        # (busy timeout) instead of "table is locked"; the pid keeps parallel runs apart.
        "TEST": {
            "NAME": os.getenv("KEFU_TEST_DB_NAME")
            or str(Path(tempfile.gettempdir()) / f"kefu_test_{os.getpid()}.sqlite3")
        },
    }


DATA_DIR = Path(os.getenv("KEFU_DATA_DIR", str(BASE_DIR.parent / "data"))).resolve()

SECRET_KEY = envsecret("SECRET_KEY", "kefu-dev-secret-key-change-me-in-production-0123456789")
DEBUG = envbool("DEBUG", "False")
ALLOWED_HOSTS = [h for h in os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# The address customers' links (tracking, surveys) point at; set it to the public URL in production.
SITE_ROOT = os.getenv("SITE_ROOT", f"http://127.0.0.1:{os.getenv('KEFU_PORT', '8000')}")

INSTALLED_APPS = [
    "kefu.core",
    "kefu.accounts",
    "kefu.customers",
    "kefu.tickets",
    "kefu.sla",
    "kefu.knowledge",
    "kefu.workforce",
    "kefu.dispatch",
    "kefu.triage",
    "kefu.surveys",
    "kefu.realtime",
    "kefu.chat",
    "kefu.bot",
    "kefu.complaints",
    "kefu.appointments",
    "kefu.operations",
    "kefu.quality",
    "kefu.channels",
    "kefu.performance",
    "kefu.points",
    "kefu.reports",
    "kefu.care",
    "kefu.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    # Serves /api/v1/docs from its own static files (otherwise it loads Swagger UI from a CDN).
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kefu.core.request_id.RequestIdMiddleware",
    "kefu.api.LostConnectionRetryMiddleware",
    "kefu.api.OversizedNumbersMiddleware",
]

ROOT_URLCONF = "kefu.urls"
WSGI_APPLICATION = "kefu.wsgi.application"
ASGI_APPLICATION = "kefu.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tickets:queue"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kefu.realtime.context.realtime",
            ],
        },
    },
]

if os.getenv("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": sqlite_database(DATA_DIR / "kefu.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("KEFU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# kefu/static holds the project-wide assets (vendored htmx, app.css, app.js); apps keep their own.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve straight from the app folders so the demo needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"

# Uploads: checked by kefu.customers.uploads, not by the web server.
KEFU_UPLOAD_MAX_BYTES = envint("KEFU_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Business defaults that are not yet edited in the UI.
KEFU_REOPEN_DAYS = envint("KEFU_REOPEN_DAYS", "7")
KEFU_AUTO_CLOSE_DAYS = envint("KEFU_AUTO_CLOSE_DAYS", "7")
# An API create's Idempotency-Key is remembered this long, then the clock deletes it.
KEFU_IDEMPOTENCY_KEY_HOURS = envint("KEFU_IDEMPOTENCY_KEY_HOURS", "24")
# Automatic dispatch at intake, on presence changes and when capacity frees up (kefu.dispatch).
# Off only for a center that dispatches everything by hand, or while importing history.
KEFU_AUTO_DISPATCH = envbool("KEFU_AUTO_DISPATCH", "True")
# Knowledge search: fuse a multilingual-e5-small score into the lexical ranking (needs the `semantic`
# extra, `pip install 'kefu[semantic]'`; off by default, the product is complete without it).
KEFU_SEMANTIC = envbool("KEFU_SEMANTIC", "False")
# Outbound gateways for surveys and notices (off until set): SMS and WeChat template messages.
KEFU_SMS_GATEWAY_URL = os.getenv("KEFU_SMS_GATEWAY_URL", "")
KEFU_WECHAT_GATEWAY_URL = os.getenv("KEFU_WECHAT_GATEWAY_URL", "")

# Realtime push (kefu.realtime): Django Channels' in-memory layer inside one web process by default;
# with KEFU_REDIS_URL (redis://127.0.0.1:6379/0) every web process shares one Redis layer.
KEFU_REDIS_URL = os.getenv("KEFU_REDIS_URL", "")
if KEFU_REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                  "CONFIG": {"hosts": [KEFU_REDIS_URL]}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Live chat (kefu.chat): the longest visitor message, and messages per visitor per minute.
KEFU_CHAT_MAX_MESSAGE = envint("KEFU_CHAT_MAX_MESSAGE", "2000")
KEFU_CHAT_RATE_PER_MINUTE = envint("KEFU_CHAT_RATE_PER_MINUTE", "30")
# A chat is offered to one agent at a time; not accepted within this many seconds, it goes to the next.
KEFU_CHAT_OFFER_SECONDS = envint("KEFU_CHAT_OFFER_SECONDS", "30")
# The first-response time limit of a chat handed to a person (the live badge on the console).
KEFU_CHAT_FIRST_RESPONSE_SECONDS = envint("KEFU_CHAT_FIRST_RESPONSE_SECONDS", "60")
# Files in chat: at most this size (the customers upload checks apply too), images shown inline.
KEFU_CHAT_FILE_MAX_BYTES = envint("KEFU_CHAT_FILE_MAX_BYTES", str(5 * 1024 * 1024))
# Channels (kefu.channels): how much of an inbound message's raw payload is kept on its contact.
KEFU_CHANNELS_RAW_MAX_BYTES = envint("KEFU_CHANNELS_RAW_MAX_BYTES", str(5 * 1024 * 1024))

# Shared by the web processes when Redis is configured (rate-limit counters, lock-outs); in-process
# memory otherwise (one web process, as `make demo` runs it).
if KEFU_REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": KEFU_REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Rate limits (kefu.accounts.limits), "<hits>/<window in s, m or h>": failed sign-ins per user name
# and per address before a lock-out of KEFU_LOCKOUT_MINUTES; bad API tokens per address before the
# same; API requests per user (refused with 429 beyond it, no lock-out).
KEFU_LOGIN_FAILURES_PER_USER = os.getenv("KEFU_LOGIN_FAILURES_PER_USER", "5/15m")
KEFU_LOGIN_FAILURES_PER_IP = os.getenv("KEFU_LOGIN_FAILURES_PER_IP", "20/15m")
KEFU_API_BAD_TOKENS_PER_IP = os.getenv("KEFU_API_BAD_TOKENS_PER_IP", "20/5m")
KEFU_API_REQUESTS_PER_USER = os.getenv("KEFU_API_REQUESTS_PER_USER", "6000/1m")
KEFU_LOCKOUT_MINUTES = envint("KEFU_LOCKOUT_MINUTES", "15")
# Behind a reverse proxy: the header that carries the client's address (e.g. X-Real-IP); empty
# means REMOTE_ADDR (a client could forge any header kefu trusted without a proxy setting it).
KEFU_CLIENT_IP_HEADER = os.getenv("KEFU_CLIENT_IP_HEADER", "")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("KEFU_SECURE_COOKIES", "False")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

TASKS = {
    "default": {
        "BACKEND": os.getenv("KEFU_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Outbound mail: SMTP when KEFU_SMTP_HOST is set; otherwise every message is written as a file under
# DATA_DIR/outbox, so the offline demo keeps its mail where you can read it instead of on the console.
if os.getenv("KEFU_SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["KEFU_SMTP_HOST"],
                "port": envint("KEFU_SMTP_PORT", "587"),
                "username": os.getenv("KEFU_SMTP_USER", ""),
                "password": envsecret("KEFU_SMTP_PASSWORD"),
                "use_tls": envbool("KEFU_SMTP_TLS", "True"),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "outbox")},
        }
    }
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "kefu@localhost")
# The address links in mails and robot messages start with (report packs: the download links).
KEFU_BASE_URL = os.getenv("KEFU_BASE_URL", "http://127.0.0.1:8000")
# The Chinese font of PDF report packs (a .ttf/.ttc); empty: Debian's fonts-wqy-zenhei.
KEFU_PDF_FONT = os.getenv("KEFU_PDF_FONT", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"kefu": {"handlers": ["console"], "level": os.getenv("KEFU_LOG_LEVEL", "INFO")}},
}

# Complaint compensation a role may approve alone (kefu.complaints); admins have no limit.
KEFU_COMPENSATION_LIMITS = {"team_lead": 200, "manager": 2000}
