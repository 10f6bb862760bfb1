from django.db import models


class Supplier(models.Model):
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=2)


class Tag(models.Model):
    label = models.CharField(max_length=30)


class Product(models.Model):
    sku = models.CharField(max_length=20, unique=True)
    code = models.CharField(max_length=20)
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="products")
    backup = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True)
