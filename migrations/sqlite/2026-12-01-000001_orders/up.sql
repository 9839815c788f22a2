-- Orders: carts, checkout, payments, shipments (one per workshop), refunds and the webhook
-- events already processed. An order line freezes everything the income attribution needs
-- (price, quantity, commission, wage rule, maker shares), so later edits to a product or a
-- workshop never change the money of a sale. Kept in step with ../../postgres/.

-- Each workshop's shipping rule: a flat fee per parcel, free from a subtotal (NULL: never).
ALTER TABLE workshops ADD COLUMN shipping_flat_fen BIGINT NOT NULL DEFAULT 1000 CHECK (shipping_flat_fen >= 0);
ALTER TABLE workshops ADD COLUMN free_shipping_over_fen BIGINT DEFAULT 29900 CHECK (free_shipping_over_fen >= 0);

-- A cart belongs to an account, or to a browser through a cookie token (only its SHA-256).
CREATE TABLE carts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    token_hash TEXT UNIQUE,
    user_id BIGINT UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (token_hash IS NOT NULL OR user_id IS NOT NULL)
);
CREATE INDEX carts_updated ON carts (updated_at);

CREATE TABLE cart_items (
    cart_id BIGINT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- A retried checkout with the same key returns this order; the request digest tells a
    -- retry from a different checkout that reused the key.
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
    -- ISO 3166-1 alpha-2. A Chinese address names its county by GB/T 2260 code.
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
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_expiry ON orders (status, reserved_until);

-- One parcel per workshop in an order.
CREATE TABLE shipments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled')),
    shipping_fen BIGINT NOT NULL CHECK (shipping_fen >= 0),
    shipping_refunded_fen BIGINT NOT NULL DEFAULT 0 CHECK (shipping_refunded_fen BETWEEN 0 AND shipping_fen),
    carrier TEXT,
    tracking_number TEXT,
    shipped_at TIMESTAMP,
    delivered_at TIMESTAMP,
    delivered_by TEXT CHECK (delivered_by IN ('workshop', 'operator', 'buyer', 'auto')),
    UNIQUE (order_id, workshop_id)
);
CREATE INDEX shipments_workshop ON shipments (workshop_id, status);
CREATE INDEX shipments_shipped ON shipments (status, shipped_at);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    shipment_id BIGINT NOT NULL REFERENCES shipments (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    heritage_item_id BIGINT NOT NULL REFERENCES heritage_items (id),
    county_code TEXT NOT NULL REFERENCES regions (code),
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    trace_code TEXT NOT NULL,
    unit_price_fen BIGINT NOT NULL CHECK (unit_price_fen >= 0),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    commission_bp INTEGER NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
    wage_rule TEXT NOT NULL CHECK (wage_rule IN ('share_of_net', 'piece_rate')),
    wage_bp INTEGER CHECK (wage_bp BETWEEN 0 AND 10000),
    piece_rate_fen BIGINT CHECK (piece_rate_fen >= 0),
    made_to_order BOOLEAN NOT NULL,
    lead_time_days INTEGER,
    refunded_quantity INTEGER NOT NULL DEFAULT 0 CHECK (refunded_quantity BETWEEN 0 AND quantity),
    refunded_fen BIGINT NOT NULL DEFAULT 0 CHECK (refunded_fen BETWEEN 0 AND unit_price_fen * quantity)
);
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_workshop ON order_lines (workshop_id);
CREATE INDEX order_lines_product ON order_lines (product_id);

-- The maker shares as they were when the line was sold.
CREATE TABLE order_line_makers (
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    worker_id BIGINT NOT NULL REFERENCES workers (id),
    role TEXT NOT NULL,
    share_bp INTEGER NOT NULL CHECK (share_bp BETWEEN 0 AND 10000),
    PRIMARY KEY (order_line_id, worker_id)
);

-- One payment per order: a Stripe PaymentIntent (reused when a card is declined and the buyer
-- tries again) or an offline receipt confirmed by staff with the bank's reference.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id BIGINT NOT NULL UNIQUE REFERENCES orders (id),
    provider TEXT NOT NULL CHECK (provider IN ('offline', 'stripe')),
    provider_ref TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled', 'refunded')),
    confirmed_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (provider, provider_ref)
);

-- A refund of part of a line, or of a parcel's shipping. A buyer's return request starts as
-- 'requested'; staff approve it ('pending', sent to the provider by the outbox) or reject it.
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    order_line_id BIGINT REFERENCES order_lines (id),
    shipment_id BIGINT REFERENCES shipments (id),
    quantity INTEGER NOT NULL DEFAULT 0 CHECK (quantity >= 0),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('requested', 'pending', 'succeeded', 'rejected')),
    provider_ref TEXT,
    requested_by BIGINT REFERENCES users (id),
    decided_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((order_line_id IS NULL) <> (shipment_id IS NULL))
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_status ON refunds (status);

-- Webhook events by id, stored before they are acted on: a duplicate finds its id here.
CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    object_ref TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
