from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=200)
    isbn = models.CharField(max_length=13)
    status = models.CharField(max_length=10, default="draft")
    published = models.DateField(null=True)
