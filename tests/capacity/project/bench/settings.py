# The app the capacity harness (tests/capacity/harness.py) runs and stacklint reads: the
# harness writes CONN_MAX_AGE below for each row, so that stacklint sees what gunicorn runs.
import os

SECRET_KEY = "capacity-harness"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "bench",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("PGPORT", "5432"),
        "CONN_MAX_AGE": 0,
    }
}
