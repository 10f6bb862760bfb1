from django.contrib import admin

from .models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    # `supplier` makes the changelist call `select_related()`, which skips the nullable
    # `backup`; `supplier_country` reads the supplier again (loaded).
    list_display = ["sku", "supplier", "backup", "supplier_country"]

    @admin.display(description="Country")
    def supplier_country(self, obj):
        return obj.supplier.country
