from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from .models import Author, Book


def book_detail(request, isbn):
    book = get_object_or_404(Book, isbn=isbn)
    return JsonResponse({"title": book.title})


def shelf(request, status):
    books = Book.objects.filter(status=status).order_by("-published")[:50]
    return JsonResponse({"titles": [b.title for b in books]})


def author_page(request, slug):
    author = Author.objects.get(slug=slug)
    return JsonResponse({"name": author.name})


def catalogue(request):
    books = Book.objects.order_by("title")
    return JsonResponse({"books": [f"{b.title} by {b.author.name}" for b in books]})


def authors(request):
    rows = []
    for author in Author.objects.order_by("name"):
        rows.append({"name": author.name, "books": author.books.count()})
    return JsonResponse({"authors": rows})


def imprints(request):
    # The authors are joined, their publishers are not: a query per book.
    books = Book.objects.select_related("author").order_by("title")
    return JsonResponse({"books": [f"{b.title} ({b.author.publisher.name})" for b in books]})
