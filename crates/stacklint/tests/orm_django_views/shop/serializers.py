from rest_framework import serializers

from .models import Product, Supplier


class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["id", "name"]


class ProductSerializer(serializers.ModelSerializer):
    supplier = SupplierSerializer(read_only=True)
    backup_name = serializers.CharField(source="backup.name", read_only=True, default=None)

    class Meta:
        model = Product
        fields = ["id", "sku", "code", "supplier", "backup_name", "tags"]
