DROP INDEX refunds_order_line;
DROP TRIGGER workshops_storefront ON workshops;
DROP TRIGGER workshop_heritage_items_storefront ON workshop_heritage_items;
DROP TRIGGER workers_storefront ON workers;
DROP TRIGGER products_storefront ON products;
DROP TRIGGER product_makers_storefront ON product_makers;
DROP TRIGGER product_images_storefront ON product_images;
DROP FUNCTION storefront_changed();
DROP TABLE storefront_changes;
