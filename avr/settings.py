"""Settings for AVR Case Manager, read only from environment variables (see the table in README.md)."""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from avr import redis_url
from avr.env import ImproperEnvironment, database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or ("insecure-development-key-only-for-debug" if DEBUG else None)
if not SECRET_KEY:
    raise ImproperEnvironment("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required when DJANGO_DEBUG is off")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Donor exports show counts below this as "<N" (a programme may set its own).
REPORT_SUPPRESSION_THRESHOLD = env_int("REPORT_SUPPRESSION_THRESHOLD", 5)
# How long before its scheduled time a movement's departure may be recorded (early boarding), in minutes.
AVR_DEPARTURE_EARLY_MINUTES = env_int("AVR_DEPARTURE_EARLY_MINUTES", 120)
SITE_URL = (env_str("SITE_URL", "http://localhost:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "audit",
    "cases",
    "screening",
    "travel",
    "reception",
    "reports",
    "notifications",
    "outbox",
    "rights",
    "retention",
    "breakglass",
    "sync",
    "imports",
    "documents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "avr.edge.HostileInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.MfaSessionMiddleware",
    "avr.nostore.NoStoreMiddleware",
    "accounts.middleware.SessionLimitMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "audit.middleware.AuditActorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "avr.urls"
WSGI_APPLICATION = "avr.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
                "accounts.context_processors.navigation",
                "notifications.context_processors.unread_notifications",
                "breakglass.context_processors.break_glass_waiting",
                "avr.confirm.confirm_dialog",
            ],
        },
    },
]

# Database: PostgreSQL only. `make run` / `make test` set DATABASE_URL to an embedded server when it is unset.
DATABASE_URL = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/avr")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME", None)}
# The app's queries are short, and the planner overestimates some (a recursive walk, a board's bookings): JIT then
# compiled for 80-400 ms queries that run in 2-20 ms. Off for the app's connections unless DATABASE_JIT is set;
# a replica (reports) keeps the server's setting.
if not env_bool("DATABASE_JIT", False):
    _startup = DATABASES["default"]["OPTIONS"].get("options", "")
    DATABASES["default"]["OPTIONS"]["options"] = f"{_startup} -c jit=off".strip()
# A streaming replica that reports, dashboards and exports read from while its replay lag stays within
# AVR_REPLICA_MAX_LAG_SECONDS (avr/replica.py); unset, every read goes to the primary. Tests mirror it onto default.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", None)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_from_url(DATABASE_REPLICA_URL)
    # A replica that does not answer must not hold a page for the kernel's TCP timeout before the fallback.
    DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", "2")
    DATABASES["replica"] |= {"CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"], "CONN_HEALTH_CHECKS": True,
                             "TEST": {"MIRROR": "default"}}
AVR_REPLICA_MAX_LAG_SECONDS = env_int("AVR_REPLICA_MAX_LAG_SECONDS", 30)
AVR_REPLICA_CHECK_SECONDS = env_int("AVR_REPLICA_CHECK_SECONDS", 5)
# Two roles (README, "Two database roles"): the app connects as DATABASE_URL's role, which owns no table;
# `manage.py migrate` connects as the owner and grants DATABASE_APP_ROLE its privileges. Unset: one role does both.
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL", None)
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: a sliding idle timeout (activity pushes the expiry forward, see SessionLimitMiddleware) and an
# absolute limit from login.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ABSOLUTE_LIMIT_SECONDS = env_int("SESSION_ABSOLUTE_LIMIT_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
# Two-factor sign-in (accounts.mfa): how long a right password waits for its code, and the name shown in the
# authenticator app. django-otp's own throttling (1, 2, 4, ... seconds after each wrong code) stays on.
MFA_PENDING_SECONDS = env_int("MFA_PENDING_SECONDS", 5 * 60)
OTP_TOTP_ISSUER = env_str("MFA_ISSUER", "AVR Case Manager")
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout: django-axes, keyed on username + IP so one user cannot lock out a whole booth behind one NAT, and on
# the IP alone at a higher limit so one address cannot try a password against every username (a spray).
# Limits per parameter set are ours (accounts.signin.SignInLockoutHandler), in the order of AXES_LOCKOUT_PARAMETERS.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accounts.signin.SignInLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = env_list("AXES_CLIENT_IP_HEADERS", "REMOTE_ADDR")
AXES_VERBOSE = False
# Password checks one address may run at the same time (each costs a core); more are refused at once.
SIGNIN_CONCURRENT_PER_IP = env_int("SIGNIN_CONCURRENT_PER_IP", 2)
# An API token stops working after this long unused, and this long after it was made whatever its use.
API_TOKEN_IDLE_HOURS = env_int("API_TOKEN_IDLE_HOURS", 8)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 7)
SIGNIN_SLOT_SECONDS = 30

GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"
ANONYMOUS_USER_NAME = None

# Languages: Spanish is the working language of the field; English for headquarters.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "es") or "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
SPANISH_DEFAULT_COUNTRIES = env_list("SPANISH_DEFAULT_COUNTRIES", "MX,GT,HN,SV,NI,CR,PA,CO,VE,EC,PE,CU,DO")
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "America/Mexico_City")
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
AVR_UPLOAD_MAX_MB = env_int("AVR_UPLOAD_MAX_MB", 10)
# Past the limit an upload's bytes are counted, not kept, so the service can refuse it with a message.
FILE_UPLOAD_HANDLERS = ["screening.uploads.UploadLimitHandler",
                        "django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "django.core.files.uploadhandler.TemporaryFileUploadHandler"]
# A body's fields (JSON or form); a multipart body may carry an upload of AVR_UPLOAD_MAX_MB on top.
AVR_REQUEST_MAX_MB = env_int("AVR_REQUEST_MAX_MB", 2)
DATA_UPLOAD_MAX_MEMORY_SIZE = AVR_REQUEST_MAX_MB * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Registration and "add a member" refuse a bigger household (a registration of thousands would tie up a worker).
AVR_HOUSEHOLD_MAX_MEMBERS = env_int("AVR_HOUSEHOLD_MAX_MEMBERS", 30)
# Bulk import (imports/): past this share of valid rows matching existing cases a batch stops to ask "is this a
# re-upload?"; the most households one file may hold; its largest size; households merged per chunk.
IMPORT_REUPLOAD_SHARE = float(env_str("IMPORT_REUPLOAD_SHARE", "0.5") or "0.5")
IMPORT_MAX_HOUSEHOLDS = env_int("IMPORT_MAX_HOUSEHOLDS", 20000)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", AVR_UPLOAD_MAX_MB * 1024 * 1024)
IMPORT_MERGE_CHUNK = env_int("IMPORT_MERGE_CHUNK", 200)
# Offline booths (sync/): operations per upload, numbers per reserved block of provisional references, and how
# long an operation may wait on a tablet before its supervisors are alerted.
SYNC_BATCH_MAX = env_int("SYNC_BATCH_MAX", 100)
SYNC_REFERENCE_BLOCK_SIZE = env_int("SYNC_REFERENCE_BLOCK_SIZE", 200)
SYNC_ALERT_HOURS = env_int("SYNC_ALERT_HOURS", 24)
AVR_BREAK_GLASS_HOURS = env_int("AVR_BREAK_GLASS_HOURS", 2)
# Name search reads the vocabulary of name words again this often, for typos (cases.name_search).
NAME_SEARCH_VOCABULARY_SECONDS = env_int("NAME_SEARCH_VOCABULARY_SECONDS", 30)
# The audit log's monthly partitions (audit/partitions.py): how many months ahead beat makes them, and how many months
# a month is kept before its partition may be detached to an archive table (never before it is fully past them).
AUDIT_PARTITIONS_AHEAD = env_int("AUDIT_PARTITIONS_AHEAD", 3)
AUDIT_RETENTION_MONTHS = env_int("AUDIT_RETENTION_MONTHS", 84)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Mail: notifications carry counts and links only.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "avr@localhost")

# Security: HTTPS settings follow DJANGO_SECURE (on by default outside DEBUG).
SECURE = env_bool("DJANGO_SECURE", not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("DJANGO_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

# Redis and Celery. `make run` / `make test` set REDIS_URL to an embedded Redis socket when it is unset.
# REDIS_URL may name Redis Sentinels instead (avr/redis_url.py), with the master's name in REDIS_SENTINEL_MASTER.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_SENTINEL_MASTER = env_str("REDIS_SENTINEL_MASTER", "")
CELERY_BROKER_URL = redis_url.broker_url(REDIS_URL, REDIS_SENTINEL_MASTER)
# Shared by every process (the sign-in throttle and concurrency counters); not locmem, which is per process.
CACHES = {
    "default": {
        **redis_url.cache_settings(REDIS_URL, REDIS_SENTINEL_MASTER, socket_connect_timeout=1, socket_timeout=1),
        "KEY_PREFIX": "avr-cache",
    },
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Two queues: "celery" for interactive work (notifications, e-mails, beat's sweeps), "bulk" for the long builds
# (reports, manifests, anonymisation runs; outbox.services.BULK_TASKS). A worker started without -Q consumes both
# (make run, the tests); compose runs one worker per queue so a long build never delays a notice.
CELERY_TASK_DEFAULT_QUEUE = "celery"
AVR_BULK_QUEUE = "bulk"
CELERY_TASK_QUEUES = {CELERY_TASK_DEFAULT_QUEUE: {}, AVR_BULK_QUEUE: {}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks never carry a countdown near this: due dates live in the database and beat sweeps them.
CELERY_BROKER_TRANSPORT_OPTIONS = redis_url.broker_transport_options(
    REDIS_URL, REDIS_SENTINEL_MASTER, visibility_timeout=env_int("CELERY_VISIBILITY_TIMEOUT", 3600))
CELERY_WORKER_HEARTBEAT_INTERVAL = env_int("WORKER_HEARTBEAT_SECONDS", 30)
# The outbox (outbox/services.py): how often beat relays what is due; how long a running task may go without a
# heartbeat, and a published one without starting, before it is delivered again.
AVR_OUTBOX_RELAY_SECONDS = env_int("AVR_OUTBOX_RELAY_SECONDS", 5)
AVR_STUCK_AFTER_SECONDS = env_int("AVR_STUCK_AFTER_SECONDS", 120)
AVR_OUTBOX_REDELIVER_SECONDS = env_int("AVR_OUTBOX_REDELIVER_SECONDS", 600)
AVR_OUTBOX_BROKER_BACKOFF_SECONDS = env_int("AVR_OUTBOX_BROKER_BACKOFF_SECONDS", 10)
AVR_OUTBOX_MAX_ATTEMPTS = env_int("AVR_OUTBOX_MAX_ATTEMPTS", 8)
AVR_OUTBOX_KEEP_DAYS = env_int("AVR_OUTBOX_KEEP_DAYS", 7)
AVR_HEALTH_MAX_QUEUED_SECONDS = env_int("AVR_HEALTH_MAX_QUEUED_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "avr.tasks.worker_heartbeat_task", "schedule": CELERY_WORKER_HEARTBEAT_INTERVAL},
    # Ticks that wait in a queue no worker reads are dropped: the next tick relays everything anyway.
    "outbox-relay": {"task": "outbox.tasks.outbox_relay", "schedule": AVR_OUTBOX_RELAY_SECONDS,
                     "options": {"expires": max(AVR_OUTBOX_RELAY_SECONDS * 2, 10)}},
    "stuck-work-sweep": {"task": "outbox.tasks.stuck_work_sweep", "schedule": 60, "options": {"expires": 120}},
    "case-counts-fold": {"task": "cases.tasks.case_counts_fold_task", "schedule": 60, "options": {"expires": 120}},
    "outbox-purge": {"task": "outbox.tasks.outbox_purge", "schedule": crontab(hour=3, minute=30)},
    "api-tokens-purge": {"task": "accounts.tasks.api_tokens_purge", "schedule": crontab(hour=3, minute=40)},
    "supervisor-digest": {"task": "notifications.tasks.supervisor_digest",
                          "schedule": crontab(hour=env_int("SUPERVISOR_DIGEST_HOUR", 7), minute=0)},
    # Opens and closes the follow-up windows (rows in the database, never countdowns), then counts the calls due.
    "follow-ups-sweep": {"task": "reception.tasks.follow_ups_sweep_task", "schedule": crontab(hour=7, minute=15)},
    # Each programme's donor report of the month before, in PDF, e-mailed as a link to its admins and supervisors.
    "monthly-donor-reports": {"task": "reports.tasks.monthly_reports_request",
                              "schedule": crontab(day_of_month=1, hour=6, minute=0)},
    # Closed cases past their programme's retention period into the review queue (and automatic runs), nightly.
    "retention-queue-fill": {"task": "retention.tasks.retention_queue_fill_task",
                             "schedule": crontab(hour=env_int("RETENTION_SWEEP_HOUR", 2), minute=10)},
    # Next months' audit partitions, made long before an insert needs them (a missing one lands in DEFAULT).
    # Booth tablets whose queue has waited past SYNC_ALERT_HOURS: their supervisors are told, once per oldest operation.
    "devices-waiting-alert": {"task": "sync.tasks.devices_waiting_alert", "schedule": 15 * 60,
                              "options": {"expires": 15 * 60}},
    # Import batches waiting to be read or merged with nothing queued to do it (imports.services).
    "import-batches-orphaned": {"task": "imports.tasks.batches_orphaned_requeue_task", "schedule": 60,
                                "options": {"expires": 120}},
    "audit-partitions-ensure": {"task": "audit.tasks.audit_partitions_ensure_task",
                                "schedule": crontab(hour=1, minute=50), "options": {"expires": 12 * 3600}},
    # Each active KoboToolbox source: its new and edited submissions into a staged batch (imports.kobo).
    "kobo-pull-all": {"task": "imports.tasks_kobo.kobo_pull_all", "schedule": crontab(hour=2, minute=30),
                      "options": {"expires": 6 * 3600, "queue": AVR_BULK_QUEUE}},
}
# Crontab entries (the digest hour) are read in the site's time zone, not UTC.
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "var" / "celerybeat-schedule"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["avr.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "avr.api.CursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "avr.schema.AutoSchema",
    "EXCEPTION_HANDLER": "avr.api.exception_handler",
    "DEFAULT_METADATA_CLASS": "avr.metadata.Metadata",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Token requests per client address, across usernames (the lockout counts failures; this counts requests).
    "DEFAULT_THROTTLE_RATES": {"sign_in": env_str("API_SIGN_IN_RATE", "30/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AVR Case Manager API",
    "DESCRIPTION": "Assisted voluntary return case management. Errors are {code, detail, fields}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "accounts.choices.Country", "CaseStatusEnum": "cases.choices.CaseStatus",
        "ConsentTypeEnum": "cases.choices.ConsentType", "TravelDocumentTypeEnum": "travel.choices.TravelDocumentType",
        "TravelDocumentStatusEnum": "travel.choices.TravelDocumentStatus",
        "MovementStatusEnum": "travel.choices.MovementStatus", "BookingStatusEnum": "travel.choices.BookingStatus",
        "ReferralStatusEnum": "reception.choices.ReferralStatus", "ServiceEnum": "reception.choices.Service",
        "ReportKindEnum": "reports.choices.ReportKind", "ReportStatusEnum": "reports.choices.ReportStatus",
        "FitnessOutcomeEnum": "screening.choices.FitnessOutcome",
        "CounsellingOutcomeEnum": "screening.choices.CounsellingOutcome",
        "BestInterestsOutcomeEnum": "screening.choices.BestInterestsOutcome",
        "DeviceStatusEnum": "sync.models.DeviceStatus", "ConflictStatusEnum": "sync.models.ConflictStatus",
        "OperationResultStatusEnum": ["applied", "replayed", "conflict", "rejected", "retry"],
        "CaseTransferKindEnum": "cases.choices.CaseTransferKind", "DocumentKindEnum": "documents.choices.DocumentKind",
        "AttemptOutcomeEnum": "reception.choices.AttemptOutcome",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint reports every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
