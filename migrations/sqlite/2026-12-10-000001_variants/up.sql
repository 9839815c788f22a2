-- Variants (issue 20): a product may have up to two options (size, colour) and variants, each
-- with its own SKU, price, stock or lead time. Makers, shares and the wage rule stay the
-- product's. A product with variants keeps, on its own row, the sum of its active variants'
-- stock and the lowest active price (kept by triggers, so no write path can forget): the list,
-- the search documents and the "in stock" filter read the product row as before.
CREATE TABLE product_options (
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 2),
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    PRIMARY KEY (product_id, position)
);

CREATE TABLE product_variants (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
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

CREATE TRIGGER product_variants_rollup_insert AFTER INSERT ON product_variants BEGIN
    UPDATE products SET
        stock = (SELECT COALESCE(SUM(stock), 0) FROM product_variants WHERE product_id = NEW.product_id AND active),
        price_fen = COALESCE((SELECT MIN(price_fen) FROM product_variants WHERE product_id = NEW.product_id AND active), price_fen)
    WHERE id = NEW.product_id;
END;
CREATE TRIGGER product_variants_rollup_update AFTER UPDATE ON product_variants BEGIN
    UPDATE products SET
        stock = (SELECT COALESCE(SUM(stock), 0) FROM product_variants WHERE product_id = NEW.product_id AND active),
        price_fen = COALESCE((SELECT MIN(price_fen) FROM product_variants WHERE product_id = NEW.product_id AND active), price_fen)
    WHERE id = NEW.product_id;
END;
CREATE TRIGGER product_variants_rollup_delete AFTER DELETE ON product_variants BEGIN
    UPDATE products SET
        stock = (SELECT COALESCE(SUM(stock), 0) FROM product_variants WHERE product_id = OLD.product_id AND active),
        price_fen = COALESCE((SELECT MIN(price_fen) FROM product_variants WHERE product_id = OLD.product_id AND active), price_fen)
    WHERE id = OLD.product_id;
END;
CREATE TRIGGER product_options_storefront_insert AFTER INSERT ON product_options BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER product_options_storefront_update AFTER UPDATE ON product_options BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER product_options_storefront_delete AFTER DELETE ON product_options BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
-- The search document names the options and variants: a variant's change updates its product
-- row (above), which queues the product; an option's change queues it here.
CREATE TRIGGER product_options_search_insert AFTER INSERT ON product_options BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(NEW.product_id AS TEXT));
END;
CREATE TRIGGER product_options_search_update AFTER UPDATE ON product_options BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(NEW.product_id AS TEXT));
END;
CREATE TRIGGER product_options_search_delete AFTER DELETE ON product_options BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(OLD.product_id AS TEXT));
END;

-- A cart holds a product once per variant: `variant_key` is the variant's id, or 0 for a
-- product without variants (a key column, so it cannot be NULL; checkout checks that the
-- variant belongs to the product and is active). SQLite cannot change a primary key: the
-- table is made again.
CREATE TABLE cart_items_new (
    cart_id BIGINT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    variant_key BIGINT NOT NULL DEFAULT 0,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cart_id, product_id, variant_key)
);
INSERT INTO cart_items_new (cart_id, product_id, variant_key, quantity, added_at)
    SELECT cart_id, product_id, 0, quantity, added_at FROM cart_items;
DROP TABLE cart_items;
ALTER TABLE cart_items_new RENAME TO cart_items;

-- An order line freezes its variant as sold: which one, its SKU and its label in both
-- languages. Its price is the line's unit price, as before.
ALTER TABLE order_lines ADD COLUMN variant_id BIGINT REFERENCES product_variants (id);
ALTER TABLE order_lines ADD COLUMN sku TEXT;
ALTER TABLE order_lines ADD COLUMN variant_zh TEXT;
ALTER TABLE order_lines ADD COLUMN variant_en TEXT;
CREATE INDEX order_lines_variant ON order_lines (variant_id) WHERE variant_id IS NOT NULL;
