-- Back to one offline method.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE orders_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'cancelled', 'partially_refunded', 'refunded')),
    payment_method TEXT NOT NULL CHECK (payment_method IN ('offline', 'stripe')),
    currency TEXT NOT NULL,
    items_fen BIGINT NOT NULL CHECK (items_fen >= 0),
    shipping_fen BIGINT NOT NULL CHECK (shipping_fen >= 0),
    total_fen BIGINT NOT NULL CHECK (total_fen = items_fen + shipping_fen),
    refunded_fen BIGINT NOT NULL DEFAULT 0 CHECK (refunded_fen BETWEEN 0 AND total_fen),
    buyer_email TEXT NOT NULL,
    lang TEXT NOT NULL,
    recipient TEXT NOT NULL,
    phone TEXT NOT NULL,
    country TEXT NOT NULL,
    region_code TEXT REFERENCES regions (code),
    region_text TEXT NOT NULL,
    address_line TEXT NOT NULL,
    postal_code TEXT NOT NULL DEFAULT '',
    reserved_until TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    cancel_reason TEXT,
    UNIQUE (user_id, idempotency_key),
    CHECK (country <> 'CN' OR region_code IS NOT NULL)
);
INSERT INTO orders_rebuilt (id, number, user_id, idempotency_key, request_digest, status, payment_method, currency, items_fen, shipping_fen, total_fen, refunded_fen, buyer_email, lang, recipient, phone, country, region_code, region_text, address_line, postal_code, reserved_until, created_at, updated_at, paid_at, cancelled_at, cancel_reason)
SELECT id, number, user_id, idempotency_key, request_digest, CASE WHEN status IN ('awaiting_acceptance', 'accepted') THEN 'pending_payment' ELSE status END, CASE WHEN payment_method = 'stripe' THEN 'stripe' ELSE 'offline' END, currency, items_fen, shipping_fen, total_fen, refunded_fen, buyer_email, lang, recipient, phone, country, region_code, region_text, address_line, postal_code, reserved_until, created_at, updated_at, paid_at, cancelled_at, cancel_reason FROM orders;
DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_expiry ON orders (status, reserved_until);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
