from django.http import JsonResponse

from .models import Product


def by_supplier(request, name):
    # The lookup lands on `Supplier.name`: its index finds the suppliers, the foreign key's
    # index then finds their products.
    products = Product.objects.filter(supplier__name=name)
    return JsonResponse({"skus": [p.sku for p in products]})
