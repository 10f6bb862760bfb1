from django.urls import path

from . import views

urlpatterns = [
    path("sleep", views.sleep),
    path("cpu", views.cpu),
    path("db", views.db),
]
