"""Settings, read from the environment (and `.env`) through django-environ.

Everything else reads `django.conf.settings`, never `os.environ`.
"""
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _required_secret(name: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return f"insecure-development-{name.lower()}"
    raise ImproperlyConfigured(
        f"{name} is not set. Set {name} in the environment or in .env "
        f"(`make run` generates one), or set DEBUG=true for local development."
    )


HOST = env.str("HOST", default="0.0.0.0")
PORT = env.int("PORT", default=8000)
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _required_secret("SECRET_KEY")
ENCRYPTION_KEY = env.str("ENCRYPTION_KEY", default="")
if not ENCRYPTION_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "ENCRYPTION_KEY is not set. Set ENCRYPTION_KEY to one or more comma-separated Fernet keys "
        "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

JWT_ALGORITHM = env.str("JWT_ALGORITHM", default="HS256")
JWT_EXPIRATION = env.int("JWT_EXPIRATION", default=86400)
JWT_REFRESH_EXPIRATION = env.int("JWT_REFRESH_EXPIRATION", default=7 * 86400)

CACHE_MAX_SIZE = env.int("CACHE_MAX_SIZE", default=1000)
CACHE_TTL = env.int("CACHE_TTL", default=3600)
RATE_LIMIT_REQUESTS = env.int("RATE_LIMIT_REQUESTS", default=60)
RATE_LIMIT_WINDOW = env.int("RATE_LIMIT_WINDOW", default=60)
REDIS_URL = env.str("REDIS_URL", default="")
# Prefix of every key the gateway keeps in Redis (cache entries, rate-limit and budget counters).
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="gw")
RATE_LIMIT_KEY_PREFIX = f"{REDIS_KEY_PREFIX}:"

OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="https://api.openai.com/v1")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="https://api.anthropic.com")
GOOGLE_BASE_URL = env.str("GOOGLE_BASE_URL", default="https://generativelanguage.googleapis.com")
PROVIDER_BASE_URLS = {
    "openai": OPENAI_BASE_URL,
    "anthropic": ANTHROPIC_BASE_URL,
    "google": GOOGLE_BASE_URL,
}
# An operator base URL that resolves to a private, loopback or link-local address is refused
# unless this is on (local fakes, self-hosted OpenAI-compatible servers).
ALLOW_PRIVATE_PROVIDER_URLS = env.bool("ALLOW_PRIVATE_PROVIDER_URLS", default=False)

# Upstream calls: timeouts in seconds, retries with capped exponential backoff and jitter.
UPSTREAM_CONNECT_TIMEOUT = env.float("UPSTREAM_CONNECT_TIMEOUT", default=5.0)
UPSTREAM_FIRST_BYTE_TIMEOUT = env.float("UPSTREAM_FIRST_BYTE_TIMEOUT", default=60.0)
UPSTREAM_READ_TIMEOUT = env.float("UPSTREAM_READ_TIMEOUT", default=60.0)
UPSTREAM_MAX_RETRIES = env.int("UPSTREAM_MAX_RETRIES", default=2)
UPSTREAM_BACKOFF_BASE = env.float("UPSTREAM_BACKOFF_BASE", default=0.25)
UPSTREAM_BACKOFF_CAP = env.float("UPSTREAM_BACKOFF_CAP", default=4.0)
UPSTREAM_RETRY_AFTER_CAP = env.float("UPSTREAM_RETRY_AFTER_CAP", default=10.0)
REQUEST_DEADLINE = env.float("REQUEST_DEADLINE", default=120.0)
MAX_FALLBACKS = env.int("MAX_FALLBACKS", default=3)
# A budget hold whose worker died is released after this many seconds.
BUDGET_RESERVATION_TTL = env.float("BUDGET_RESERVATION_TTL", default=max(600.0, 4 * REQUEST_DEADLINE))
ANTHROPIC_DEFAULT_MAX_TOKENS = env.int("ANTHROPIC_DEFAULT_MAX_TOKENS", default=4096)

# Request limits on /v1 (bigger or deeper bodies are refused before parsing).
GATEWAY_MAX_BODY_BYTES = env.int("GATEWAY_MAX_BODY_BYTES", default=8 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = GATEWAY_MAX_BODY_BYTES
GATEWAY_MAX_JSON_DEPTH = env.int("GATEWAY_MAX_JSON_DEPTH", default=64)
GATEWAY_MAX_N = env.int("GATEWAY_MAX_N", default=8)
GATEWAY_MAX_OUTPUT_TOKENS = env.int("GATEWAY_MAX_OUTPUT_TOKENS", default=200_000)
# Seconds a gateway key stays cached in a worker's memory; bounds how long a revoked key or a
# changed limit can still be honoured by another worker or host.
GATEWAY_KEY_CACHE_TTL = env.float("GATEWAY_KEY_CACHE_TTL", default=1.0)
# Each worker freezes what it loaded at start-up out of the garbage collector's sight and runs
# the youngest generation every GC_YOUNG_THRESHOLD allocations instead of 700 (gateway/lifecycle.py).
# 10,000 measured as fast, but let a busy PostgreSQL worker's RSS creep 8 MiB a minute in make soak.
GC_TUNING = env.bool("GC_TUNING", default=True)
GC_YOUNG_THRESHOLD = env.int("GC_YOUNG_THRESHOLD", default=5_000)

SEMANTIC_CACHE_ENABLED = env.bool("SEMANTIC_CACHE_ENABLED", default=False)
SEMANTIC_CACHE_THRESHOLD = env.float("SEMANTIC_CACHE_THRESHOLD", default=0.92)
SEMANTIC_CACHE_EMBEDDER = env.str("SEMANTIC_CACHE_EMBEDDER", default="local")
SEMANTIC_CACHE_EMBEDDING_MODEL = env.str("SEMANTIC_CACHE_EMBEDDING_MODEL", default="text-embedding-3-small")
SEMANTIC_CACHE_MAX_PER_USER = env.int("SEMANTIC_CACHE_MAX_PER_USER", default=256)
STORE_BODIES = env.bool("STORE_BODIES", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "accounts",
    "keys",
    "gateway",
    "analytics",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ (admin, pages, API docs) with DEBUG off, from collectstatic's output.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# /v1 bypasses this stack (gateway/asgi.py): each MiddlewareMixin hook costs a thread hop under
# ASGI, and none of it does anything for a bearer-key JSON API.

ROOT_URLCONF = "gatewayproj.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
ASGI_APPLICATION = "gatewayproj.asgi.application"
WSGI_APPLICATION = "gatewayproj.wsgi.application"

DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'data' / 'gateway.db'}")
if DATABASE_URL.startswith("sqlite:///./"):
    DATABASE_URL = f"sqlite:///{BASE_DIR / DATABASE_URL.removeprefix('sqlite:///./')}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
# Persistent connections (checked for health before reuse): the gateway's database threads and
# the usage writer would otherwise open a new connection for every read and every batch.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
        # concurrent writers queue on busy_timeout instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "gateway-default",
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/analytics/login/"
LOGIN_REDIRECT_URL = "/analytics/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "gatewayproj.exceptions.api_exception_handler",
    # The API speaks JSON only (the browsable API's raw-data form still works).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}
SIMPLE_JWT = {
    "ALGORITHM": JWT_ALGORITHM,
    "SIGNING_KEY": SECRET_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=JWT_EXPIRATION),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=JWT_REFRESH_EXPIRATION),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "ROTATE_REFRESH_TOKENS": False,
    "UPDATE_LAST_LOGIN": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LLM Gateway API",
    "DESCRIPTION": "Management API of the LLM gateway (auth, keys, routing, analytics).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "keys.schema_links.add_key_links",
    ],
}

# prometheus_client multiprocess mode is switched on by PROMETHEUS_MULTIPROC_DIR (read by
# prometheus_client itself); `make run` sets it for gunicorn's workers.
PROMETHEUS_EXPORT_MIGRATIONS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every upstream request at INFO: a formatted line per call that nobody reads.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
