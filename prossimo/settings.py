"""Prossimo settings: read from the environment, with defaults that are safe for the embedded mode.

`PROSSIMO_ENV=production` switches to production: DEBUG is refused, a secret key and the
allowed hosts are required, cookies are secure, HTTPS is enforced.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

env = environ.Env()
env.read_env(env.str("PROSSIMO_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

PROSSIMO_ENV = env.str("PROSSIMO_ENV", default="development")
if PROSSIMO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"PROSSIMO_ENV must be 'development', 'production' or 'test', not {PROSSIMO_ENV!r}."
    )
PRODUCTION = PROSSIMO_ENV == "production"

VAR_DIR = Path(env.str("PROSSIMO_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- secrets and debug -------------------------------------------------------------------
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    # The same rule as Django's security.W009, enforced instead of merely warned about.
    if (
        len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
        or SECRET_KEY.startswith("django-insecure-")
    ):
        raise ImproperlyConfigured(
            "Production needs SECRET_KEY: set it to a random string of at least 50 characters "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    DEBUG = env.bool("DEBUG", default=False)
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production (PROSSIMO_ENV=production).")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Production needs ALLOWED_HOSTS: the comma-separated host names Prossimo serves."
        )
else:
    # The embedded mode keeps a random key of its own under var/, created on first start.
    _key_file = VAR_DIR / "secret_key"
    if env.str("SECRET_KEY", default=""):
        SECRET_KEY = env.str("SECRET_KEY")
    else:
        if not _key_file.exists():
            import secrets

            _key_file.write_text(secrets.token_urlsafe(64))
            _key_file.chmod(0o600)
        SECRET_KEY = _key_file.read_text().strip()
    DEBUG = env.bool("DEBUG", default=PROSSIMO_ENV == "development")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "template_partials",
    "bootstrap_italia_template",
    "ninja",
    "huey.contrib.djhuey",
    "auditlog",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "prossimo.core",
    "prossimo.territory",
    "prossimo.people",
    "prossimo.listening",
    "prossimo.telephony",
    "prossimo.questionnaires",
    "prossimo.programmes",
    "prossimo.directory",
    "prossimo.referrals",
    "prossimo.api",
    "prossimo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "prossimo.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "prossimo.core.audit.AuditContextMiddleware",
    "prossimo.core.middleware.NoStoreMiddleware",
    # axes must be last: it turns lockouts into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "prossimo.urls"
WSGI_APPLICATION = "prossimo.wsgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's templates come first so that no package's 404/500 shadows ours.
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "prossimo.core.context_processors.prossimo",
            ],
        },
    },
]

# --- database ----------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{(VAR_DIR / 'prossimo.sqlite3').as_posix()}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web server and the worker read while one of them writes.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASE_VENDOR = "sqlite" if "sqlite" in DATABASES["default"]["ENGINE"] else "postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://prossimo")}

# --- background work (huey) --------------------------------------------------------------
# Set explicitly: without HUEY, djhuey falls back to Redis. Tasks run in the worker process
# (`prossimo worker`); HUEY_IMMEDIATE=true runs them inline, in memory.
# Under pytest (which sets PYTEST_VERSION) tasks run inline in memory: no queue database.
_HUEY_IMMEDIATE = env.bool("HUEY_IMMEDIATE", default="PYTEST_VERSION" in os.environ)
if DATABASE_VENDOR == "postgresql":
    _db = DATABASES["default"]
    # PostgresStorage hands these keywords to psycopg.connect(); None values are dropped.
    _huey_connection = {
        "dbname": _db["NAME"],
        "user": _db.get("USER") or None,
        "password": _db.get("PASSWORD") or None,
        "host": _db.get("HOST") or None,
        "port": _db.get("PORT") or None,
    }
    # libpq options given in DATABASE_URL (?sslmode=require...), not Django's own ones.
    _huey_connection.update(
        {
            key: value
            for key, value in _db.get("OPTIONS", {}).items()
            if key not in {"pool", "isolation_level", "server_side_binding", "assume_role"}
        }
    )
    HUEY = {
        "huey_class": "huey.PostgresHuey",
        "name": "prossimo",
        "immediate": _HUEY_IMMEDIATE,
        # Every process creates huey's tables if missing, on start-up: set this to false
        # where no database is reachable then (an image build running collectstatic).
        "create_tables": env.bool("HUEY_CREATE_TABLES", default=True),
        "connection": _huey_connection,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "prossimo",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": _HUEY_IMMEDIATE,
    }

# --- authentication ----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "prossimo.core.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_FORMS = {"login": "prossimo.core.forms.LoginForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Prossimo] "
# A reset asked for an address no account has gets the same answer on screen and no e-mail:
# anyone could otherwise make Prossimo write to any address.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Locking an account after failed passwords is axes' job (below): allauth keeps only its
# per-address throttle. Its own per-account limit would refuse logins for minutes after an
# administrator has unlocked the account, and would answer before axes' lockout page.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Prossimo"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# allauth's login form posts `login` (a username or an e-mail address); the callable maps
# either to the account's username, so both count towards the same lockout.
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "prossimo.core.adapters.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/lockout.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Rome")
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "IT"

# --- static files ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production static files are served straight from the apps: no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- e-mail ------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="prossimo@localhost")


# --- security headers --------------------------------------------------------------------
def _tile_origins(template: str) -> list[str]:
    """The origin(s) of a tile URL template, for the CSP's img-src ({s} → a wildcard)."""
    from urllib.parse import urlsplit

    if not template:
        return []
    parts = urlsplit(template.replace("{s}", "*"))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


_tile_sources = _tile_origins(
    env.str("PROSSIMO_MAP_TILES_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # The map's tile server (PROSSIMO_MAP_TILES_URL), images only.
        "img-src": ["'self'", "data:", *_tile_sources],
        # Bootstrap Italia's CSS embeds an icon font as a data: URI (fonts cannot run code).
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- audit -------------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- logging: no personal data -----------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's request logger prints the path; paths carry only opaque ids.
        "django.db.backends": {"level": "INFO", "propagate": True},
        "axes": {"level": "WARNING"},
        # The huey consumer installs its own handler; do not print each line twice.
        "huey": {"propagate": False},
    },
}

# --- Prossimo ----------------------------------------------------------------------------
PROSSIMO_API_PUBLIC_DOCS = env.bool("PROSSIMO_API_PUBLIC_DOCS", default=not PRODUCTION)
# The read-only HSDS API of the directory (/api/hsds/…) is open to everyone: formal services
# are public information. False: an API token or a session is needed.
PROSSIMO_HSDS_API_PUBLIC = env.bool("PROSSIMO_HSDS_API_PUBLIC", default=True)
# The directory map's tiles: a URL template ({z}/{x}/{y}, optional {s}) and its attribution.
# Only the map's background comes from there (no script, no data is sent but the tile
# coordinates); the page works as a list when it does not answer. Empty: no tiles at all.
PROSSIMO_MAP_TILES_URL = env.str(
    "PROSSIMO_MAP_TILES_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
PROSSIMO_MAP_TILES_ATTRIBUTION = env.str(
    "PROSSIMO_MAP_TILES_ATTRIBUTION",
    default="&copy; OpenStreetMap contributors",
)
# A referral to a service not received by the receiving organisation within this many hours
# raises an alert to the sender.
PROSSIMO_REFERRAL_RECEIPT_HOURS = env.int("PROSSIMO_REFERRAL_RECEIPT_HOURS", default=48)
# Where this installation's FHIR canonical URLs live (the need-category code system,
# questionnaires): set it to the public address of the deployment's /api/fhir.
PROSSIMO_FHIR_CANONICAL_BASE = env.str(
    "PROSSIMO_FHIR_CANONICAL_BASE", default="https://prossimo.example.org/fhir"
)
FORM_RENDERER = "prossimo.core.forms.FormRenderer"
