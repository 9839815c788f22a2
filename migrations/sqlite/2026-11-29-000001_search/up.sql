-- Search: a product category to filter on, and the outbox that keeps the search index in
-- step. Triggers write to the outbox in the same transaction as every change that alters a
-- product's search document, whether the app or someone at a SQL prompt made it.

ALTER TABLE products ADD COLUMN category TEXT NOT NULL DEFAULT 'other';
CREATE INDEX products_category ON products (category);

-- Side effects waiting for the background worker: search updates now, emails later.
-- A delivered row keeps `done_at` for a day (a search rebuild replays what changed while it
-- ran); a failure pushes `available_at` back (backoff).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    topic TEXT NOT NULL,
    item_key TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_error TEXT,
    done_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (topic, done_at, available_at, id);

CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(NEW.id AS TEXT));
END;
CREATE TRIGGER products_search_update AFTER UPDATE ON products BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(NEW.id AS TEXT));
END;
CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(OLD.id AS TEXT));
END;

CREATE TRIGGER workshops_search_update
AFTER UPDATE OF slug, name_zh, name_en, county_code, prefecture_code, province_code,
    cert_issued_on, cert_last_confirmed_on, commission_bp, status ON workshops BEGIN
    INSERT INTO outbox (topic, item_key)
        SELECT 'search.product', CAST(id AS TEXT) FROM products WHERE workshop_id = NEW.id;
END;

CREATE TRIGGER workers_search_update
AFTER UPDATE OF name_zh, name_latin, consent_name, inheritor_level ON workers BEGIN
    INSERT INTO outbox (topic, item_key)
        SELECT 'search.product', CAST(product_id AS TEXT) FROM product_makers WHERE worker_id = NEW.id;
END;

CREATE TRIGGER product_makers_search_insert AFTER INSERT ON product_makers BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(NEW.product_id AS TEXT));
END;
CREATE TRIGGER product_makers_search_update AFTER UPDATE ON product_makers BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(NEW.product_id AS TEXT));
END;
CREATE TRIGGER product_makers_search_delete AFTER DELETE ON product_makers BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(OLD.product_id AS TEXT));
END;

CREATE TRIGGER product_images_search_insert AFTER INSERT ON product_images BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(NEW.product_id AS TEXT));
END;
CREATE TRIGGER product_images_search_update AFTER UPDATE ON product_images BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(NEW.product_id AS TEXT));
END;
CREATE TRIGGER product_images_search_delete AFTER DELETE ON product_images BEGIN
    INSERT INTO outbox (topic, item_key) VALUES ('search.product', CAST(OLD.product_id AS TEXT));
END;
