"""Coproduce settings: one file, driven by environment variables (docs/operators.md lists them).

Development defaults are safe to run on a laptop; with DEBUG off the process refuses to
start without SECRET_KEY and turns on secure cookies, HSTS and a content security policy.
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from coproduce.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("COPRODUCE_DATA_DIR", str(BASE_DIR.parent / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY: production (DEBUG off) needs its own secret key."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before allauth, so that our templates (layout, allauth overrides) are found first.
    "coproduce.web",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    # The API docs page then uses the Swagger UI files that django-ninja ships, not a CDN.
    "ninja",
    "pgtrigger",
    "django_tasks",
    "django_tasks_db",
    "coproduce.audit",
    "coproduce.people",
    "coproduce.communities",
    "coproduce.ledger",
    "coproduce.coproduction",
    "coproduce.exchanges",
    "coproduce.matching",
    "coproduce.insight",
    "coproduce.evidence",
    "coproduce.directory",
    "coproduce.privacy",
    "coproduce.backup",
    "coproduce.api",
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
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # After sessions, CSRF and authentication: a limit may be per person, and a request that
    # fails the CSRF check is refused before it counts. docs/security.md lists the limits.
    "coproduce.web.security.RateLimitMiddleware",
    "coproduce.web.security.AdminTwoFactorMiddleware",
    # Last, so that it sees a view's exception first: a database that is not answering is a
    # 503 to try again, not a 500 (coproduce/web/errors.py).
    "coproduce.web.errors.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "coproduce.urls"
WSGI_APPLICATION = "coproduce.wsgi.application"
ASGI_APPLICATION = "coproduce.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coproduce.web.context_processors.site",
            ],
        },
    },
]

# Database: SQLite file by default, any dj-database-url URL otherwise.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        # Health checks: after a database restart a reused connection is found dead and
        # replaced before the request uses it, instead of failing that request.
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "coproduce.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock when the
    # transaction starts, so two writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file, not memory, so that tests with several threads share one real database; one
    # per test process, so that runs side by side do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (e-mails, scheduled ledger work) goes through the Django tasks API. The
# database backend needs a worker: `coproduce db_worker` (started by `coproduce serve`).
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"

# django-allauth: e-mail is the identity; verification is mandatory; failed logins throttled.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# allauth keeps the limits only it can count (failed sign-ins per account, reset e-mails per
# address); sign-in and sign-up attempts are in COPRODUCE_RATE_LIMITS with every other limit.
ACCOUNT_RATE_LIMITS = {
    "login": None,
    "signup": None,
    "login_failed": "5/5m/ip,5/5m/key",
    "reset_password": "5/h/ip,3/h/key",
}
ACCOUNT_SIGNUP_FORM_CLASS = "coproduce.people.forms.SignupForm"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Coproduce"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Coproduce <noreply@localhost>")

LANGUAGE_CODE = "en"
# Every string is marked for translation; a language is listed here once its catalogue ships
# in coproduce/locale/ (the switcher in the footer appears when there are two).
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"

# Map tiles: any XYZ tile server; pages still work (a plain list of pins) when none loads.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")

# Security. Production (DEBUG off) gets secure cookies, HSTS and a strict CSP.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No page uses these browser features; a script injected despite the CSP gets none of them.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
# Administrators of a community and site staff must set up two-factor sign-in first.
COPRODUCE_ADMIN_MFA_REQUIRED = env_bool("COPRODUCE_ADMIN_MFA_REQUIRED", default=True)
if not DEBUG:
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _tile_origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].replace('{s}', '*')}" if rest else "'self'"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", _tile_origin(MAP_TILE_URL)],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# Rate limits (coproduce/web/security.py says where each applies): "count/period" with a
# period of s, m, h or d (e.g. "30/m", "200/d", "10/15m"); an empty value turns one off.
# Each can be changed with RATE_LIMIT_<NAME>, e.g. RATE_LIMIT_API_READ_TOKEN=1200/m.
_RATE_LIMITS = {
    "signin_address": "20/m",
    "signup_address": "20/h",
    "messages_user": "20/m",
    "messages_user_daily": "300/d",
    "reports_user": "20/h",
    "reports_address": "60/h",
    "report_updates_user": "60/h",
    "api_write_token": "120/m",
    "api_write_address": "240/m",
    "api_read_token": "600/m",
    "api_read_address": "1200/m",
    "open311_write_key": "120/m",
    "open311_write_address": "120/m",
    "open311_read_address": "600/m",
    "hsds_read_address": "600/m",
}
COPRODUCE_RATE_LIMITS = {
    name: env_str(f"RATE_LIMIT_{name.upper()}", rate) for name, rate in _RATE_LIMITS.items()
}
for _name, _rate in COPRODUCE_RATE_LIMITS.items():
    if _rate and not re.fullmatch(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]", _rate):
        raise ImproperlyConfigured(
            f"RATE_LIMIT_{_name.upper()} must look like 30/m or 200/d, not {_rate!r}."
        )
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", default=True)
# Behind a proxy, the header that carries the client's address (e.g. HTTP_X_REAL_IP); the
# default, REMOTE_ADDR, is right when clients connect directly.
RATELIMIT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY", "") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Community defaults (each community can change its own).
COPRODUCE_DEFAULT_FLOOR_MINUTES = env_int("COPRODUCE_DEFAULT_FLOOR_MINUTES", -600)
COPRODUCE_DEFAULT_CEILING_MINUTES = env_int("COPRODUCE_DEFAULT_CEILING_MINUTES", 6000)
COPRODUCE_DEFAULT_AUTO_CONFIRM_DAYS = env_int("COPRODUCE_DEFAULT_AUTO_CONFIRM_DAYS", 7)
COPRODUCE_PAGE_SIZE = 25

WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
