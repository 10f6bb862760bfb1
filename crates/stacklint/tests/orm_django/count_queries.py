"""Queries each list view runs for N rows, as JSON: {"catalogue": {"5": q, "20": q}, ...}.

Run by crates/stacklint/tests/orm_django.rs before and after stacklint's ORM002 fixes, on
a fresh SQLite database (the path is the first argument).
"""
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")

import django
from django.conf import settings

settings.DATABASES["default"]["NAME"] = sys.argv[1]
django.setup()

from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from library import views
from library.models import Author, Book, Publisher

call_command("migrate", verbosity=0)
request = RequestFactory().get("/")
counts = {"catalogue": {}, "authors": {}, "imprints": {}}
made = 0
for n in (5, 20):
    # Up to n authors, each with a publisher of their own and two books.
    while made < n:
        publisher = Publisher.objects.create(name=f"Publisher {made}")
        author = Author.objects.create(name=f"Author {made}", slug=f"author-{made}", publisher=publisher)
        Book.objects.create(author=author, title=f"Book {made}a", isbn=f"{made:013d}")
        Book.objects.create(author=author, title=f"Book {made}b", isbn=f"{made + 500:013d}")
        made += 1
    for name in counts:
        with CaptureQueriesContext(connection) as ctx:
            response = getattr(views, name)(request)
        assert response.status_code == 200, response.status_code
        counts[name][str(n)] = len(ctx.captured_queries)
print(json.dumps(counts))
