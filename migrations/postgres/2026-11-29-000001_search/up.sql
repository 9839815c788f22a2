-- Search: a product category to filter on, and the outbox that keeps the search index in
-- step. Triggers write to the outbox in the same transaction as every change that alters a
-- product's search document, whether the app or someone at a SQL prompt made it.

ALTER TABLE products ADD COLUMN category TEXT NOT NULL DEFAULT 'other';
CREATE INDEX products_category ON products (category);

-- Side effects waiting for the background worker: search updates now, emails later.
-- A delivered row keeps `done_at` for a day (a search rebuild replays what changed while it
-- ran); a failure pushes `available_at` back (backoff).
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    topic TEXT NOT NULL,
    item_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    last_error TEXT,
    done_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
CREATE INDEX outbox_due ON outbox (topic, done_at, available_at, id);

CREATE FUNCTION search_touch_product() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO outbox (topic, item_key) VALUES ('search.product', OLD.id::text);
        RETURN OLD;
    END IF;
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', NEW.id::text);
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION search_touch_product_part() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO outbox (topic, item_key) VALUES ('search.product', OLD.product_id::text);
        RETURN OLD;
    END IF;
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', NEW.product_id::text);
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION search_touch_workshop() RETURNS trigger AS $$
BEGIN
    INSERT INTO outbox (topic, item_key)
        SELECT 'search.product', id::text FROM products WHERE workshop_id = NEW.id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION search_touch_worker() RETURNS trigger AS $$
BEGIN
    INSERT INTO outbox (topic, item_key)
        SELECT 'search.product', product_id::text FROM product_makers WHERE worker_id = NEW.id;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER products_search AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION search_touch_product();
CREATE TRIGGER workshops_search
    AFTER UPDATE OF slug, name_zh, name_en, county_code, prefecture_code, province_code,
        cert_issued_on, cert_last_confirmed_on, commission_bp, status ON workshops
    FOR EACH ROW EXECUTE FUNCTION search_touch_workshop();
CREATE TRIGGER workers_search AFTER UPDATE OF name_zh, name_latin, consent_name, inheritor_level ON workers
    FOR EACH ROW EXECUTE FUNCTION search_touch_worker();
CREATE TRIGGER product_makers_search AFTER INSERT OR UPDATE OR DELETE ON product_makers
    FOR EACH ROW EXECUTE FUNCTION search_touch_product_part();
CREATE TRIGGER product_images_search AFTER INSERT OR UPDATE OR DELETE ON product_images
    FOR EACH ROW EXECUTE FUNCTION search_touch_product_part();
