from django.urls import path

from library import views

urlpatterns = [
    path("books/<str:isbn>/", views.book_detail),
    path("shelf/<str:status>/", views.shelf),
    path("catalogue/", views.catalogue),
    path("authors/", views.authors),
]
