"""glabella's one settings module, configured from the environment (see README's table)."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from glabella.config import (
    database_from_url,
    env_all_or_none,
    env_bool,
    env_choice,
    env_choice_or_path,
    env_hour_range,
    env_http_url,
    env_int,
    env_int_list,
    env_list,
    env_mapping,
    env_networks,
    env_rate,
    env_str,
    env_subset,
    replica_from_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("GLABELLA_DATA_DIR", str(BASE_DIR / "var")))

DEVELOPMENT_SECRET = "glabella-development-secret-never-use-in-production"  # noqa: S105

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET)
if not SECRET_KEY.strip():
    raise ImproperlyConfigured("SECRET_KEY is empty: set it to a long random string.")
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development secret while DEBUG is off: set SECRET_KEY to a long "
        "random string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
if not DEBUG and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Behind a reverse proxy that sets X-Forwarded-For, the audit log records the client's address.
USE_X_FORWARDED_FOR = env_bool("USE_X_FORWARDED_FOR", False)
# How many proxies of the clinic's own stand in front of the app, each appending to
# X-Forwarded-For: the client's address is that many entries from the right (decision 0026).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 1, minimum=1, maximum=5)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",  # serves the API docs' assets from our own static files, not a CDN
    "glabella.core",
    "glabella.clinic",
    "glabella.patients",
    "glabella.scheduling",
    "glabella.messaging",
    "glabella.screening",
    "glabella.inventory",
    "glabella.treatments",
    "glabella.billing",
    "glabella.aftercare",
    "glabella.outcomes",
    "glabella.fhir",
    "glabella.webhooks",
    "glabella.portal",
    "glabella.demo",
    "django_tasks",
    "django_tasks_db",
    "simple_history",  # old and new values of every change to patient data (decision 0024)
    # Two-factor sign-in for staff: authenticator apps (TOTP) and passkeys (WebAuthn).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "axes",  # sign-in lockout (issue 18): counts failed sign-ins per account and per address
]

MIDDLEWARE = [
    # Health and metrics (decision 0046): every response and log line carries the request's id;
    # /healthz and /metrics are answered next, before hosts, HTTPS, sessions and sign-in; every
    # other request is timed and counted by its route's name.
    "glabella.core.request_id.RequestIdMiddleware",
    "glabella.core.health_views.HealthMiddleware",
    "glabella.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Hardening (decision 0026): the API's errors in its JSON shape; nothing kept in a cache.
    "glabella.core.middleware.ApiErrorShapeMiddleware",
    "glabella.core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language from its address: English unprefixed, Spanish under /es/ (issue 21).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which clinic the request is for: the signed-in person's, else the host's (decision 0047).
    "glabella.clinic.middleware.OrganisationMiddleware",
    # Every instant on a page in the clinic's zone, not UTC (issue 19).
    "glabella.clinic.middleware.ClinicClockMiddleware",
    # The signed-in person is the history's user for every change a request makes (0024).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor
    "glabella.core.two_factor_middleware.SecondFactorMiddleware",  # no staff URL before it
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "glabella.core.middleware.ContentSecurityPolicyMiddleware",
    "glabella.core.pages.RefusalMiddleware",
    # The clinic's tablet handed to a patient: nothing but their forms until staff unlock it.
    "glabella.core.tablet.TabletLockMiddleware",
    # Sign-in (issue 18): staff signed out after a quiet time; axes answers a locked sign-in.
    "glabella.core.idle.IdleLogoffMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "glabella.urls"
WSGI_APPLICATION = "glabella.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "glabella" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "glabella.core.context_processors.actor",
                "glabella.clinic.context_processors.on_call",
                "glabella.clinic.context_processors.brand",
                "glabella.core.context_processors.languages",
                "glabella.core.context_processors.replica_read",
            ],
        },
    }
]

DATABASES = {"default": database_from_url("DATABASE_URL", DATA_DIR / "glabella.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# A PostgreSQL standby for reports and exports (decision 0048): read only inside
# core.replica.reading_from_replica(), and only while it is at most DATABASE_REPLICA_MAX_LAG
# seconds behind; everything else, and every write, goes to the default database.
if _replica := replica_from_url("DATABASE_REPLICA_URL", DATABASES["default"]):
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["glabella.core.replica.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG", 30, minimum=0, maximum=3600)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in lockout (issue 18, decision 0021): django-axes refuses an account after
# SIGN_IN_ACCOUNT_FAILURES wrong passwords and an address after SIGN_IN_ADDRESS_FAILURES, for
# SIGN_IN_COOLOFF_MINUTES after the last one counted (or until the owner unlocks the account).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SIGN_IN_ACCOUNT_FAILURES = env_int("SIGN_IN_ACCOUNT_FAILURES", 5, minimum=3, maximum=100)
SIGN_IN_ADDRESS_FAILURES = env_int(
    "SIGN_IN_ADDRESS_FAILURES", 30, minimum=SIGN_IN_ACCOUNT_FAILURES, maximum=10_000
)
SIGN_IN_COOLOFF_MINUTES = env_int("SIGN_IN_COOLOFF_MINUTES", 15, minimum=1, maximum=24 * 60)
AXES_HANDLER = "glabella.core.lockout.ClinicLockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = SIGN_IN_ACCOUNT_FAILURES
AXES_COOLOFF_TIME = "glabella.core.lockout.cool_off"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "glabella.core.access.client_ip"
AXES_USERNAME_CALLABLE = "glabella.core.lockout.username_of"
AXES_LOCKOUT_CALLABLE = "glabella.core.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in glabella's own access log
# The portal's form names the account "email": masked like the username in what axes keeps.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "email"]
AXES_ENABLE_ADMIN = False  # a lock is lifted through core.lockout.unlock, which is audited
AXES_VERBOSE = False
# Staff are signed out after this many quiet minutes (HIPAA's automatic logoff).
IDLE_LOGOFF_MINUTES = env_int("IDLE_LOGOFF_MINUTES", 15, minimum=2, maximum=480)
# A staff member's activity is noted in the session at most this often (core.idle).
IDLE_NOTED_SECONDS = 30
# A password reset link works once, for this long.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_MINUTES", 60, minimum=10) * 60

LOGIN_URL = "core:sign-in"
LOGIN_REDIRECT_URL = "core:home"
# Where staff land (core:home redirects there): today's schedule. A URL name, since core cannot
# import the app that draws it.
STAFF_HOME = "scheduling:calendar"
LOGOUT_REDIRECT_URL = "core:sign-in"

# English and US-Latino Spanish for patients (issue 21, decision 0041): a page's language is its
# address (English unprefixed, Spanish under /es/); a patient's messages and documents follow the
# language on her record (glabella.core.language).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Spanish")]
LOCALE_PATHS = [BASE_DIR / "glabella" / "locale"]
TIME_ZONE = "UTC"  # instants are stored in UTC; each location has its own IANA zone
USE_I18N = True
USE_TZ = True
# The house's date styles ("Dec 1, 2026", "Dec 1, 2026, 10:13 AM"): glabella/formats/en/formats.py
FORMAT_MODULE_PATH = ["glabella.formats"]

STATIC_URL = "/static/"
# The image collects them at build, apart from the data directory (a volume would hide them).
STATIC_ROOT = Path(env_str("STATIC_ROOT", "") or DATA_DIR / "static")
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
# In development whitenoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env_choice_or_path(
    "EMAIL_BACKEND",
    "console",
    {
        "console": "django.core.mail.backends.console.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
    },
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "glabella <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Where links in messages point (the manage-booking link, the calendar feed).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Two-way texts through Twilio (decision 0044): off until the clinic sets its account, its auth
# token, the Messaging Service that sends and the public address Twilio calls back (the one its
# signatures are computed over); all four or none. TWILIO_API_BASE points the library elsewhere
# (the tests' local server).
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "").strip()
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "").strip()
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "").strip()
TWILIO_PUBLIC_URL = env_http_url("TWILIO_PUBLIC_URL")
TWILIO_API_BASE = env_http_url("TWILIO_API_BASE")
env_all_or_none(
    "two-way texts",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_PUBLIC_URL",
)
# How many texts one number may send us in a window (uses/seconds); beyond it they are refused.
THROTTLE_INBOUND_TEXTS = env_rate("THROTTLE_INBOUND_TEXTS", (20, 600))

# Text messages: "log" writes them to the log (and the message row); "twilio" (the default once
# Twilio is set) sends through the clinic's Messaging Service; a gateway of one's own plugs in
# by its dotted path.
SMS_BACKEND = env_choice_or_path(
    "SMS_BACKEND",
    "twilio" if TWILIO_ACCOUNT_SID else "log",
    {
        "log": "glabella.messaging.sms.LogBackend",
        "locmem": "glabella.messaging.sms.LocmemBackend",
        "twilio": "glabella.messaging.twilio_gateway.TwilioBackend",
    },
)
if SMS_BACKEND.endswith(".TwilioBackend") and not TWILIO_ACCOUNT_SID:
    raise ImproperlyConfigured(
        "SMS_BACKEND is twilio, but Twilio is not set: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
        "TWILIO_MESSAGING_SERVICE_SID and TWILIO_PUBLIC_URL."
    )

# Card payments online (Stripe Checkout, saved cards, off-session fees): off until the clinic sets
# its secret key and its webhook's signing secret. STRIPE_API_BASE points the library elsewhere
# (the tests' local server); it must be an http(s) address.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "").strip()
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "").strip()
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "").strip().rstrip("/")
if STRIPE_API_BASE and not STRIPE_API_BASE.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"STRIPE_API_BASE must start with https:// or http:// (got {STRIPE_API_BASE!r})."
    )
if bool(STRIPE_SECRET_KEY) != bool(STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "Set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET for card payments, or neither."
    )

# Background work: Django's Tasks API (django-tasks backport) on the database backend.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "messages", "webhooks"],
    }
}
# Hours before an appointment at which a reminder goes out, e.g. "48,2".
REMINDER_HOURS = env_int_list("REMINDER_HOURS", [48, 2], minimum=1)
MESSAGE_MAX_ATTEMPTS = env_int("MESSAGE_MAX_ATTEMPTS", 6, minimum=1)
MESSAGE_RETRY_SECONDS = env_int("MESSAGE_RETRY_SECONDS", 60, minimum=1)  # doubles each attempt
# A message claimed by a worker that then vanished is handed to another after this long.
MESSAGE_CLAIM_TIMEOUT_SECONDS = env_int("MESSAGE_CLAIM_TIMEOUT_SECONDS", 300, minimum=10)
# Outbound webhooks (decision 0043): each delivery is tried this many times, the first retry
# after WEBHOOK_RETRY_SECONDS, doubling; an endpoint is marked failing after a delivery runs out
# of tries or this many failed attempts in a row. A POST waits this long for its answer.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1, maximum=20)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 60, minimum=1)
WEBHOOK_FAILING_AFTER = env_int("WEBHOOK_FAILING_AFTER", 10, minimum=1)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=30)
WEBHOOK_CLAIM_TIMEOUT_SECONDS = env_int("WEBHOOK_CLAIM_TIMEOUT_SECONDS", 300, minimum=60)
# Endpoints are https only; plain http to this machine (localhost) only when developing.
WEBHOOK_ALLOW_LOOPBACK_HTTP = env_bool("WEBHOOK_ALLOW_LOOPBACK_HTTP", DEBUG)
# How long the link in a booking confirmation lets the patient manage that booking.
MANAGE_LINK_DAYS = env_int("MANAGE_LINK_DAYS", 120, minimum=1)

# Candidacy screening.
# The neuromodulators the clinic offers (screening shows verdicts and decisions for these), until
# stock records say what is on the shelf.
PRODUCTS = ["botox_cosmetic", "dysport", "xeomin", "jeuveau", "daxxify", "letybo"]
OFFERED_PRODUCTS = env_subset("OFFERED_PRODUCTS", PRODUCTS, PRODUCTS)
DECISION_VALID_MONTHS = env_int("DECISION_VALID_MONTHS", 12, minimum=1)
CONSENT_VALID_MONTHS = env_int("CONSENT_VALID_MONTHS", 12, minimum=1)
# How long the forms link sent to a patient works, and a tablet session handed over at the desk.
FORMS_LINK_DAYS = env_int("FORMS_LINK_DAYS", 30, minimum=1)
TABLET_LINK_MINUTES = env_int("TABLET_LINK_MINUTES", 60, minimum=5)

# Stock: a product is low when a location has fewer sealed vials than this; a lot is flagged
# this many days before it expires.
LOW_STOCK_VIALS = env_int("LOW_STOCK_VIALS", 2, minimum=0)
EXPIRY_ALERT_DAYS = env_int("EXPIRY_ALERT_DAYS", 30, minimum=1)

# Aftercare: check-ins this many days after a treatment; how long a check-in link works; addresses
# alerted with each location's on-call staff (set per location) when a report needs a clinician.
CHECK_IN_DAYS = env_int_list("CHECK_IN_DAYS", [1, 14], minimum=1)
CHECK_IN_LINK_DAYS = env_int("CHECK_IN_LINK_DAYS", 7, minimum=1)
ON_CALL_EMAILS = env_list("ON_CALL_EMAILS", [])
ON_CALL_PHONES = env_list("ON_CALL_PHONES", [])
# An alert nobody acknowledges goes on, after this many minutes each time, from the on-call
# clinicians to the medical director and then to the owner.
ALERT_ESCALATION_MINUTES = env_int("ALERT_ESCALATION_MINUTES", 15, minimum=1)
# A same-day review reported while the clinic is open (with at least REVIEW_LEAST_MINUTES before
# closing) is due by closing time; otherwise within REVIEW_AFTER_HOURS_MINUTES, and texted too.
REVIEW_LEAST_MINUTES = env_int("REVIEW_LEAST_MINUTES", 60, minimum=0)
REVIEW_AFTER_HOURS_MINUTES = env_int("REVIEW_AFTER_HOURS_MINUTES", 240, minimum=15)
# The makers' lines for reporting a suspected adverse reaction, as printed on the labels the clinic
# holds (product=number pairs); they replace the lines glabella has on file.
MAKER_REPORT_LINES = env_mapping("MAKER_REPORT_LINES", PRODUCTS)
# MedWatch 3500 asks for the patient's age or date of birth, one of them: the age in years when
# the event began (`age`), or the date of birth (`birth_date`).
MEDWATCH_AGE_OR_BIRTH_DATE = env_choice(
    "MEDWATCH_AGE_OR_BIRTH_DATE", "age", {"age": "age", "birth_date": "birth_date"}
)

# Outcomes: monthly "has movement returned?" questions from this day after a treatment, every
# this many days, up to the last; the invitation back goes this many days before the forecast
# date; no invitation or question is sent in the quiet hours (clinic time, start-end).
MOVEMENT_CHECK_FROM_DAY = env_int("MOVEMENT_CHECK_FROM_DAY", 60, minimum=14)
MOVEMENT_CHECK_EVERY_DAYS = env_int("MOVEMENT_CHECK_EVERY_DAYS", 30, minimum=7)
MOVEMENT_CHECK_LAST_DAY = env_int("MOVEMENT_CHECK_LAST_DAY", 300, minimum=30)
INVITE_DAYS_BEFORE = env_int("INVITE_DAYS_BEFORE", 14, minimum=0)
INVITE_LINK_DAYS = env_int("INVITE_LINK_DAYS", 60, minimum=1)
QUIET_HOURS = env_hour_range("QUIET_HOURS", (20, 9))

# Public forms (booking, contact, sign-in, self-check): uses allowed per email and per client
# address, as uses/seconds; more are refused for the rest of the window.
THROTTLE_EMAIL = env_rate("THROTTLE_EMAIL", (10, 600))
THROTTLE_ADDRESS = env_rate("THROTTLE_ADDRESS", (100, 600))
# The API's operations without authentication (availability, locations, services, check-ins),
# per client address, as uses/seconds (decision 0026).
THROTTLE_PUBLIC_API = env_rate("THROTTLE_PUBLIC_API", (120, 60))
# The portal: how long an emailed sign-in link works (once).
SIGN_IN_LINK_MINUTES = env_int("SIGN_IN_LINK_MINUTES", 30, minimum=5)

# Staff management (issue 18): how long an invitation's set-password link works (once); API
# tokens' default and longest life in days; days before a licence expires when its holder and the
# owner are reminded (each once; the day it expires too).
STAFF_INVITE_HOURS = env_int("STAFF_INVITE_HOURS", 72, minimum=1)
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1)
LICENCE_REMINDER_DAYS = env_int_list("LICENCE_REMINDER_DAYS", [60, 30, 7], minimum=1)
if API_TOKEN_DAYS > API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured("API_TOKEN_DAYS must not be more than API_TOKEN_MAX_DAYS.")
if max(LICENCE_REMINDER_DAYS) > 365 or STAFF_INVITE_HOURS > 24 * 30:
    raise ImproperlyConfigured(
        "LICENCE_REMINDER_DAYS must be at most 365 and STAFF_INVITE_HOURS at most 720."
    )

# FHIR Bulk Data export (decision 0042): how long an export's files may be downloaded, and the
# most resources one NDJSON file holds (a type with more is split across files).
FHIR_EXPORT_HOURS = env_int("FHIR_EXPORT_HOURS", 24, minimum=1)
FHIR_EXPORT_FILE_RESOURCES = env_int("FHIR_EXPORT_FILE_RESOURCES", 10_000, minimum=100)
if FHIR_EXPORT_HOURS > 24 * 7:
    raise ImproperlyConfigured("FHIR_EXPORT_HOURS must be at most 168 (a week).")

# A check-in's photo may come base64-encoded in the API's JSON (up to 15 MB before encoding).
DATA_UPLOAD_MAX_MEMORY_SIZE = 21 * 2**20

# Two-factor sign-in: who must pass a second factor after the password. "clinical": every staff
# role that sees clinical data (the owner, the medical director, injectors); "all": every staff
# role. Staff who set up a second factor of their own are asked for it whatever this says.
TWO_FACTOR_FOR = env_choice("TWO_FACTOR_FOR", "clinical", {"clinical": "clinical", "all": "all"})


def _clinic_name(device) -> str:
    from glabella.core.brand import current  # read when a code is set up, not at start

    return current().name


# The name an authenticator app shows beside the six-digit code: TWO_FACTOR_ISSUER, else the
# clinic's own name from its set-up.
OTP_TOTP_ISSUER = env_str("TWO_FACTOR_ISSUER", "") or _clinic_name
# Wrong codes: django-otp makes each device wait 1, 2, 4, 8... seconds (times this) after each.
OTP_TOTP_THROTTLE_FACTOR = env_int("TWO_FACTOR_THROTTLE_FACTOR", 1, minimum=1)
# Django admin never shows an app's key or its QR code: only its owner saw it, once, at set-up.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Passkeys (django-otp-webauthn), a second factor only: never a sign-in without the password.
# The relying party is the site's host name (a passkey works only there; not an IP address, so
# the demo's passkeys work at http://localhost:8000); the origins are where the pages are served.
_SITE_HOST = SITE_URL.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
_SITE_IS_IP = _SITE_HOST.replace(".", "").isdigit() or ":" in _SITE_HOST
OTP_WEBAUTHN_RP_ID = env_str("PASSKEY_RP_ID", "localhost" if _SITE_IS_IP else _SITE_HOST)
OTP_WEBAUTHN_RP_NAME = env_str("PASSKEY_RP_NAME", "glabella")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "PASSKEY_ORIGINS", ["http://localhost:8000"] if _SITE_IS_IP else [SITE_URL]
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_HTTPS_PROXY = env_bool("BEHIND_HTTPS_PROXY", False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# In production behind HTTPS (decision 0026): plain HTTP is redirected and browsers are told to
# come back over HTTPS only (HSTS, a year by default). Subdomains are left out unless asked: a
# clinic's domain often carries other services (a booking widget, webmail) run by others.
SECURE_SSL_REDIRECT = BEHIND_HTTPS_PROXY and not DEBUG
SECURE_HSTS_SECONDS = (
    env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0, maximum=63_072_000)
    if SECURE_SSL_REDIRECT
    else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    # Subdomains and the browsers' preload list are the domain owner's choice, for every service
    # on the domain, not glabella's: both are settings, off by default (decision 0026).
    *(["security.W005"] if not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
    *(["security.W021"] if not SECURE_HSTS_PRELOAD else []),
]

NINJA_PAGINATION_PER_PAGE = 25

# Health and metrics (decision 0046, docs/operations.md). /healthz answers 503 when a check is
# past its limit in seconds (0 leaves the check out): the newest worker heartbeat, the
# scheduler's last run, the oldest due and undelivered message, webhook delivery or task. A
# check that has never had a reading (no worker yet) is fine for the grace after start.
HEALTH_STARTUP_GRACE_SECONDS = env_int("HEALTH_STARTUP_GRACE_SECONDS", 300, minimum=0)
HEALTH_WORKER_MAX_AGE_SECONDS = env_int("HEALTH_WORKER_MAX_AGE_SECONDS", 120, minimum=0)
HEALTH_SCHEDULER_MAX_AGE_SECONDS = env_int("HEALTH_SCHEDULER_MAX_AGE_SECONDS", 300, minimum=0)
HEALTH_OUTBOX_MAX_LAG_SECONDS = env_int("HEALTH_OUTBOX_MAX_LAG_SECONDS", 900, minimum=0)
# A worker writes its heartbeat this often.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 15, minimum=1, maximum=300)
if HEALTH_WORKER_MAX_AGE_SECONDS and HEALTH_WORKER_MAX_AGE_SECONDS <= WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "HEALTH_WORKER_MAX_AGE_SECONDS must be more than WORKER_HEARTBEAT_SECONDS (or 0)."
    )
# Who may read /metrics: these networks (loopback unless set), or whoever sends
# "Authorization: Bearer <METRICS_TOKEN>" when a token is set; others get 404.
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env_str("METRICS_TOKEN", "").strip()
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters when set.")

# The log: plain text for development (the default), or one JSON object a line (LOG_FORMAT=json)
# for a log collector. Each line carries the id of the request it was written in (X-Request-ID).
LOG_FORMAT = env_choice("LOG_FORMAT", "text", {"text": "text", "json": "json"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "glabella.core.request_id.RequestIdFilter"},
        "quiet_probes": {"()": "glabella.core.request_id.QuietProbes"},
    },
    "formatters": {
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "glabella.core.request_id.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # Django's own console handler (DEBUG only) would print each line again, unformatted.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # The development server's line per request, without the probes' (through the root).
        "django.server": {"filters": ["quiet_probes"], "level": "INFO", "propagate": True},
        # The font library fpdf2 embeds fonts with narrates each subset at INFO.
        "fontTools": {"level": "WARNING"},
    },
}
