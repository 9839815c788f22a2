-- The storefront's change counter. Each app node keeps rendered storefront pages in memory
-- and re-reads SUM(changes) about once a second: a different sum means the catalogue changed
-- and its pages are rendered again. Triggers bump it in the same transaction as the change,
-- so no write path can forget to, and the new sum is visible exactly when the change is.
-- Shards by backend (connection) keep concurrent checkouts of different products from
-- queueing on one counter row.
CREATE TABLE storefront_changes (
    shard INTEGER PRIMARY KEY,
    changes BIGINT NOT NULL DEFAULT 0
);
INSERT INTO storefront_changes (shard) SELECT generate_series(0, 63);

CREATE FUNCTION storefront_changed() RETURNS trigger AS $$
BEGIN
    UPDATE storefront_changes SET changes = changes + 1 WHERE shard = pg_backend_pid() % 64;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER workshops_storefront AFTER INSERT OR UPDATE OR DELETE ON workshops
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
CREATE TRIGGER workshop_heritage_items_storefront AFTER INSERT OR UPDATE OR DELETE ON workshop_heritage_items
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
CREATE TRIGGER workers_storefront AFTER INSERT OR UPDATE OR DELETE ON workers
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
CREATE TRIGGER products_storefront AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
CREATE TRIGGER product_makers_storefront AFTER INSERT OR UPDATE OR DELETE ON product_makers
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
CREATE TRIGGER product_images_storefront AFTER INSERT OR UPDATE OR DELETE ON product_images
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();

-- Refunds are looked up by order line (a line's refunded quantity, the ledger's refund postings).
CREATE INDEX refunds_order_line ON refunds (order_line_id);

-- The product list filtered by province and sorted reads an index in its order and stops after
-- a page, instead of sorting every product of the province: the province is kept on each
-- product (from its workshop, by triggers, so no write path can forget it).
ALTER TABLE products ADD COLUMN province_code TEXT;
UPDATE products SET province_code = w.province_code FROM workshops w WHERE w.id = products.workshop_id;

CREATE FUNCTION products_take_province() RETURNS trigger AS $$
BEGIN
    SELECT province_code INTO NEW.province_code FROM workshops WHERE id = NEW.workshop_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER products_province BEFORE INSERT OR UPDATE OF workshop_id ON products
    FOR EACH ROW EXECUTE FUNCTION products_take_province();

CREATE FUNCTION workshops_give_province() RETURNS trigger AS $$
BEGIN
    UPDATE products SET province_code = NEW.province_code WHERE workshop_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workshops_province AFTER UPDATE OF province_code ON workshops
    FOR EACH ROW WHEN (OLD.province_code IS DISTINCT FROM NEW.province_code)
    EXECUTE FUNCTION workshops_give_province();

CREATE INDEX products_province_featured ON products (status, province_code, featured, created_at);
CREATE INDEX products_province_created ON products (status, province_code, created_at);
CREATE INDEX products_province_price ON products (status, province_code, price_fen);
CREATE INDEX products_province_sold ON products (status, province_code, sold_count);
