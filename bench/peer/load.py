"""Loads Gongfang's catalogue (the JSON of /api/v1/products pages, on stdin) into the peer shop and
prints each product's URL on it, one per line.

Each product keeps its title (Chinese), price (fen as yuan) and stock, in one category, with one
partner's stock record, as an Oscar shop would list a workshop's pieces.
"""
import json
import os
import sys
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()

from django.contrib.sites.models import Site  # noqa: E402
from oscar.apps.catalogue.categories import create_from_breadcrumbs  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402

Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
ProductCategory = get_model("catalogue", "ProductCategory")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")

Site.objects.update_or_create(id=1, defaults={"domain": "127.0.0.1", "name": "peer"})
craft, _ = ProductClass.objects.get_or_create(name="Craft", defaults={"track_stock": True})
partner, _ = Partner.objects.get_or_create(name="Workshops")
category = create_from_breadcrumbs("手工艺品")
items = []
for chunk in sys.stdin.read().replace("}{", "}\n{").splitlines():
    if chunk.strip():
        items.extend(json.loads(chunk)["items"])
for item in items:
    title = item["title"]["zh"] if isinstance(item["title"], dict) else item["title"]
    product = Product.objects.create(
        title=title, slug=item["slug"][:128], product_class=craft, is_public=True,
        description=title,
    )
    ProductCategory.objects.create(product=product, category=category)
    StockRecord.objects.create(
        product=product, partner=partner, partner_sku=item["trace_code"][:128],
        price=Decimal(item["price_fen"]) / 100, price_currency="CNY", num_in_stock=max(item["stock"], 0),
    )
    print(product.get_absolute_url())
