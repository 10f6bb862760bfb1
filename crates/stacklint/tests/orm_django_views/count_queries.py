"""Queries each list page runs for N products, as JSON: {"admin": {"5": q, "20": q}, ...}.

Run by crates/stacklint/tests/orm_django.rs before and after stacklint's ORM002 fixes, on
a fresh SQLite database (the path is the first argument). The DRF list is counted only
when djangorestframework is installed.
"""
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")

import django
from django.conf import settings

settings.DATABASES["default"]["NAME"] = sys.argv[1]
django.setup()

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shop.models import Product, Supplier, Tag

call_command("migrate", verbosity=0)
admin_user = User.objects.create_superuser("admin", "admin@example.com", "pw")
client = Client()
client.force_login(admin_user)

try:
    from rest_framework.test import APIRequestFactory

    from shop.api import ProductViewSet
except ImportError:
    APIRequestFactory = None

pages = {"admin": {}}
if APIRequestFactory is not None:
    pages["api"] = {}
made = 0
for n in (5, 20):
    while made < n:
        supplier = Supplier.objects.create(name=f"Supplier {made}", country="NL")
        backup = Supplier.objects.create(name=f"Backup {made}", country="BE")
        product = Product.objects.create(sku=f"SKU{made}", code=f"C{made}", supplier=supplier, backup=backup)
        product.tags.add(Tag.objects.create(label=f"tag {made}"))
        made += 1
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/admin/shop/product/")
    assert response.status_code == 200, response.status_code
    pages["admin"][str(n)] = len(ctx.captured_queries)
    if APIRequestFactory is not None:
        view = ProductViewSet.as_view({"get": "list"})
        with CaptureQueriesContext(connection) as ctx:
            response = view(APIRequestFactory().get("/products/"))
            response.render()
        assert response.status_code == 200, response.status_code
        assert len(json.loads(response.content)) == n
        pages["api"][str(n)] = len(ctx.captured_queries)
print(json.dumps(pages))
