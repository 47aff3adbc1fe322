"""Default configuration. instance/config.py and STTS_* environment variables override it."""
from datetime import timedelta

# Database: a DATABASE_URL (postgresql://...) wins; otherwise SQLite in the instance folder.
DATABASE_URL = None
SQLITE_FILENAME = "stts.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connections kept open per process (0: one per request). See docs/deployment.md.
DATABASE_POOL_SIZE = 2

# Sessions (security checklist 7-10). The cookie only carries a random token; the session
# itself lives in the database so that logout, blocking and password changes end it at once.
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "stts_session"
REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

# Brute-force protection (Keycloak's model).
LOGIN_FAILURES_BEFORE_WAIT = 5
LOGIN_WAIT_STEP = timedelta(seconds=60)
LOGIN_WAIT_MAX = timedelta(minutes=15)
# Failures are counted per client address; the account as a whole waits only after this many
# failures from all addresses together, and never for an address it was used from before.
LOGIN_ACCOUNT_FAILURES_BEFORE_WAIT = 20
# Failures and the growth of the wait are forgotten after this quiet time.
LOGIN_FAILURE_RESET = timedelta(hours=12)

# Rate limits on the public pages and the first login (stts.ratelimit), per client address
# and per enterprise number. Counters shared by every worker: a SQLite file in the instance
# folder by default, or RATELIMIT_STORAGE_URI = "redis://host:6379/1" for several machines.
RATELIMIT_PUBLIC_GET = "120 per minute"
RATELIMIT_PUBLIC_POST = "30 per minute;300 per day"
RATELIMIT_PER_ENTERPRISE = "20 per hour"
RATELIMIT_STORAGE_URI = None
# Wrong ticket / enterprise number pairs on the portal's "Follow a request", per client
# address: counted in the same shared storage; at the limit the address waits (429) until
# the window ends. The audit trail gets the first failure and the limit, never each one.
PORTAL_FOLLOW_FAILURES = "10 per hour"
# Lookups of a person by national register number, per user (the desk's lookup and the
# request form, one counter), and the day's count past which the company's local manager
# is alerted (an e-mail and an entry in the console's activity).
RATELIMIT_LOOKUP = "30 per minute;1000 per day"
LOOKUP_DAILY_ALERT = 200
# The load balancer's address(es), comma separated: only they may set X-Forwarded-For
# (stts.proxies). Empty: the peer's address is the client's.
FORWARDED_ALLOW_IPS = ""

# Passwords.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
PROVISIONAL_PASSWORD_VALIDITY = timedelta(days=14)

# Uploads: any request body, then each upload's own limit (stts.uploads).
MAX_CONTENT_LENGTH = 5 * 1024 * 1024
GAZETTE_MAX_BYTES = 4 * 1024 * 1024  # the Official Gazette copy of an access request (PDF)
# The portal (docs/security.md, "The public portal"): an access-request draft untouched this
# long expires; the periodic task portal.purge_drafts deletes it and its uploaded file. A
# draft holds one file; the live drafts of one client address hold at most the first quota
# together, all live drafts at most the second.
PORTAL_DRAFT_RETENTION_HOURS = 72
PORTAL_UPLOAD_QUOTA_PER_ADDRESS = 3 * GAZETTE_MAX_BYTES
PORTAL_UPLOAD_QUOTA_TOTAL = 512 * 1024 * 1024
REGISTER_FEED_MAX_BYTES = 4 * 1024 * 1024  # a National Register feed file (CSV)
XML_MAX_BYTES = 64 * 1024 * 1024  # a batch of structured messages

# Structured messages (stts/services/xml_batches).
XML_MAX_MESSAGES = 200_000
XML_GROUP_SIZE = 200  # messages committed together
# A group's transaction also ends after this many seconds (0: only by size), so that the
# audit chain's lock and SQLite's write lock are never held long by one company's batch; and
# the worker waits XML_GROUP_PAUSE after each group, so that a web request waiting for the
# lock gets it between two groups (on SQLite it tries every 4 ms at most: stts.db). A login
# waits for two groups on SQLite (two write transactions): 25 ms groups with 8 ms pauses
# took a third off what a batch adds to it, with as many messages a second as 50/20 ms
# (docs/performance.md, sixth round).
XML_GROUP_SECONDS = 0.025
XML_GROUP_PAUSE = 0.008
# Fairness between companies (docs/xml.md): the worker does a batch one turn at a time — its
# validation, then slices of XML_SLICE_MESSAGES messages (a slice also ends after
# XML_SLICE_SECONDS) — and every company with a batch waiting gets a turn in between.
XML_SLICE_MESSAGES = 1000
XML_SLICE_SECONDS = 2.0
# Retention (docs/xml.md): a batch file is deleted as soon as its batch is finished (DONE or
# REJECTED, its response written); the response file is kept this many days, then deleted
# by the daily ``xml.purge`` task. Each company may keep at most XML_COMPANY_QUOTA_BYTES of
# files (batches waiting to be processed and responses kept); an upload beyond is refused.
XML_RESPONSE_RETENTION_DAYS = 90
XML_COMPANY_QUOTA_BYTES = 256 * 1024 * 1024

# Statistics: the review service level counts files decided within this many days.
REVIEW_DEADLINE_DAYS = 30

# Languages.
LANGUAGES = ("fr", "nl", "de", "en")
BABEL_DEFAULT_LOCALE = "fr"
BABEL_DEFAULT_TIMEZONE = "Europe/Brussels"
LANGUAGE_COOKIE = "stts_lang"

# ONSS employer numbers: 9 digits whose value modulo ONSS_MODULUS equals ONSS_REMAINDER.
ONSS_MODULUS = 97
ONSS_REMAINDER = 96

# Outgoing mail: SMTP when MAIL_SMTP_HOST is set, otherwise .eml files in instance/outbox.
MAIL_SMTP_HOST = None
MAIL_SMTP_PORT = 587
MAIL_SMTP_USERNAME = None
MAIL_SMTP_PASSWORD = None
MAIL_SMTP_STARTTLS = True
MAIL_FROM = "STTS <no-reply@stts.invalid>"
# The address people reach STTS at, for links in e-mails (set it in a deployment).
PUBLIC_URL = "http://127.0.0.1:5000"

# HSTS is sent on every response; behind TLS termination keep it on.
HSTS_MAX_AGE = 31_536_000

WTF_CSRF_TIME_LIMIT = 8 * 3600

# Background jobs (stts.worker): a SQLite queue in the instance folder unless HUEY_REDIS_URL
# names a Redis server (many machines); HUEY_IMMEDIATE runs every job at once (tests).
HUEY_NAME = "stts"  # the queue's name: installations sharing one Redis need their own
HUEY_REDIS_URL = None
HUEY_SQLITE_PATH = None
HUEY_IMMEDIATE = False
# The worker process runs at this niceness (os.nice): a batch's CPU never competes on equal
# terms with the web processes serving staff.
WORKER_NICENESS = 10
JOB_LEASE_SECONDS = 300
