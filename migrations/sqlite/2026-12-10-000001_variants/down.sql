DROP INDEX order_lines_variant;
ALTER TABLE order_lines DROP COLUMN variant_en;
ALTER TABLE order_lines DROP COLUMN variant_zh;
ALTER TABLE order_lines DROP COLUMN sku;
ALTER TABLE order_lines DROP COLUMN variant_id;
CREATE TABLE cart_items_old (
    cart_id BIGINT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);
INSERT INTO cart_items_old SELECT cart_id, product_id, quantity, added_at FROM cart_items WHERE variant_key = 0;
DROP TABLE cart_items;
ALTER TABLE cart_items_old RENAME TO cart_items;
DROP TRIGGER product_options_search_delete;
DROP TRIGGER product_options_search_update;
DROP TRIGGER product_options_search_insert;
DROP TRIGGER product_options_storefront_delete;
DROP TRIGGER product_options_storefront_update;
DROP TRIGGER product_options_storefront_insert;
DROP TRIGGER product_variants_rollup_delete;
DROP TRIGGER product_variants_rollup_update;
DROP TRIGGER product_variants_rollup_insert;
DROP TABLE product_variants;
DROP TABLE product_options;
