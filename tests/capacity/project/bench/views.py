"""Three kinds of request: waiting (sleep), CPU-bound, and one database query.

The CPU view burns CPU *time* of its own thread (time.thread_time), not wall-clock time: a
wall-clock loop finishes "on time" while descheduled and would measure more throughput
than the CPUs can give (the capacity probe's first pitfall).
"""
import json
import time

from django.db import connection
from django.http import HttpResponse


def _json(data):
    return HttpResponse(json.dumps(data), content_type="application/json")


def sleep(request):
    ms = float(request.GET.get("ms", "50"))
    time.sleep(ms / 1000.0)
    return _json({"slept_ms": ms})


def cpu(request):
    ms = float(request.GET.get("ms", "20"))
    end = time.thread_time() + ms / 1000.0
    n = 0
    while time.thread_time() < end:
        n += 1
    return _json({"cpu_ms": ms, "iterations": n})


def db(request):
    with connection.cursor() as c:
        c.execute("SELECT id, name FROM item WHERE id = %s", [42])
        row = c.fetchone()
    return _json({"id": row[0], "name": row[1]})
