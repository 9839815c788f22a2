-- The storefront's change counter. Each app node keeps rendered storefront pages in memory
-- and re-reads SUM(changes) about once a second: a different sum means the catalogue changed
-- and its pages are rendered again. Triggers bump it in the same transaction as the change,
-- so no write path can forget to. SQLite has one writer at a time, so one shard is used;
-- the table has PostgreSQL's shape so that both backends share one schema.
CREATE TABLE storefront_changes (
    shard INTEGER PRIMARY KEY,
    changes BIGINT NOT NULL DEFAULT 0
);
INSERT INTO storefront_changes (shard) VALUES (0);
CREATE TRIGGER workshops_storefront_insert AFTER INSERT ON workshops BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER workshops_storefront_update AFTER UPDATE ON workshops BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER workshops_storefront_delete AFTER DELETE ON workshops BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER workshop_heritage_items_storefront_insert AFTER INSERT ON workshop_heritage_items BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER workshop_heritage_items_storefront_update AFTER UPDATE ON workshop_heritage_items BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER workshop_heritage_items_storefront_delete AFTER DELETE ON workshop_heritage_items BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER workers_storefront_insert AFTER INSERT ON workers BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER workers_storefront_update AFTER UPDATE ON workers BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER workers_storefront_delete AFTER DELETE ON workers BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER products_storefront_insert AFTER INSERT ON products BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER products_storefront_update AFTER UPDATE ON products BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER products_storefront_delete AFTER DELETE ON products BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER product_makers_storefront_insert AFTER INSERT ON product_makers BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER product_makers_storefront_update AFTER UPDATE ON product_makers BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER product_makers_storefront_delete AFTER DELETE ON product_makers BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER product_images_storefront_insert AFTER INSERT ON product_images BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER product_images_storefront_update AFTER UPDATE ON product_images BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER product_images_storefront_delete AFTER DELETE ON product_images BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;

-- Refunds are looked up by order line (a line's refunded quantity, the ledger's refund postings).
CREATE INDEX refunds_order_line ON refunds (order_line_id);

-- The product list filtered by province and sorted reads an index in its order and stops after
-- a page, instead of sorting every product of the province: the province is kept on each
-- product (from its workshop, by triggers, so no write path can forget it). SQLite's BEFORE
-- triggers cannot set NEW, so a new product takes its province just after it is inserted.
ALTER TABLE products ADD COLUMN province_code TEXT;
UPDATE products SET province_code = (SELECT province_code FROM workshops WHERE workshops.id = products.workshop_id);
CREATE TRIGGER products_province_insert AFTER INSERT ON products BEGIN
    UPDATE products SET province_code = (SELECT province_code FROM workshops WHERE id = NEW.workshop_id) WHERE id = NEW.id;
END;
CREATE TRIGGER products_province_update AFTER UPDATE OF workshop_id ON products BEGIN
    UPDATE products SET province_code = (SELECT province_code FROM workshops WHERE id = NEW.workshop_id) WHERE id = NEW.id;
END;
CREATE TRIGGER workshops_province AFTER UPDATE OF province_code ON workshops
    WHEN OLD.province_code IS NOT NEW.province_code BEGIN
    UPDATE products SET province_code = NEW.province_code WHERE workshop_id = NEW.id;
END;

CREATE INDEX products_province_featured ON products (status, province_code, featured, created_at);
CREATE INDEX products_province_created ON products (status, province_code, created_at);
CREATE INDEX products_province_price ON products (status, province_code, price_fen);
CREATE INDEX products_province_sold ON products (status, province_code, sold_count);
