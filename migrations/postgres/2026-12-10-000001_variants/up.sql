-- Variants (issue 20): a product may have up to two options (size, colour) and variants, each
-- with its own SKU, price, stock or lead time. Makers, shares and the wage rule stay the
-- product's. A product with variants keeps, on its own row, the sum of its active variants'
-- stock and the lowest active price (kept by a trigger, so no write path can forget): the list,
-- the search documents and the "in stock" filter read the product row as before.
CREATE TABLE product_options (
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 2),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    PRIMARY KEY (product_id, position)
);

CREATE TABLE product_variants (
    id BIGSERIAL PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    value1_zh TEXT NOT NULL,
    value1_en TEXT NOT NULL,
    value2_zh TEXT,
    value2_en TEXT,
    price_fen BIGINT NOT NULL CHECK (price_fen >= 0),
    stock BIGINT NOT NULL DEFAULT 0 CHECK (stock >= 0),
    lead_time_days INTEGER CHECK (lead_time_days > 0),
    position INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    sold_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (product_id, sku)
);
CREATE INDEX product_variants_product ON product_variants (product_id, position);

CREATE FUNCTION product_variants_rollup() RETURNS trigger AS $$
DECLARE
    p BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN p := OLD.product_id; ELSE p := NEW.product_id; END IF;
    UPDATE products SET
        stock = (SELECT COALESCE(SUM(stock), 0) FROM product_variants WHERE product_id = p AND active),
        price_fen = COALESCE((SELECT MIN(price_fen) FROM product_variants WHERE product_id = p AND active), price_fen)
    WHERE id = p;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER product_variants_rollup AFTER INSERT OR UPDATE OR DELETE ON product_variants
    FOR EACH ROW EXECUTE FUNCTION product_variants_rollup();
CREATE TRIGGER product_options_storefront AFTER INSERT OR UPDATE OR DELETE ON product_options
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
-- The search document names the options and variants: a variant's change updates its product
-- row (above), which queues the product; an option's change queues it here.
CREATE TRIGGER product_options_search AFTER INSERT OR UPDATE OR DELETE ON product_options
    FOR EACH ROW EXECUTE FUNCTION search_touch_product_part();

-- A cart holds a product once per variant: `variant_key` is the variant's id, or 0 for a
-- product without variants (a key column, so it cannot be NULL; checkout checks that the
-- variant belongs to the product and is active).
ALTER TABLE cart_items ADD COLUMN variant_key BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cart_items DROP CONSTRAINT cart_items_pkey;
ALTER TABLE cart_items ADD PRIMARY KEY (cart_id, product_id, variant_key);

-- An order line freezes its variant as sold: which one, its SKU and its label in both
-- languages. Its price is the line's unit price, as before.
ALTER TABLE order_lines ADD COLUMN variant_id BIGINT REFERENCES product_variants (id);
ALTER TABLE order_lines ADD COLUMN sku TEXT;
ALTER TABLE order_lines ADD COLUMN variant_zh TEXT;
ALTER TABLE order_lines ADD COLUMN variant_en TEXT;
CREATE INDEX order_lines_variant ON order_lines (variant_id) WHERE variant_id IS NOT NULL;
