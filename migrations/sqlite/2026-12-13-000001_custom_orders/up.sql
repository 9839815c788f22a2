-- Custom orders in milestones (issue 20). A buyer asks a workshop that takes custom work for a
-- piece; the workshop quotes (price, lead time, makers and shares, wage rule, milestones);
-- the buyer accepts. The quote's terms are frozen as an unlisted product of status 'custom'
-- (its makers in product_makers), so each milestone, when the buyer pays it, is an ordinary
-- order of one line at the milestone's amount: paid, captured, attributed, refunded and
-- settled by the same rules as any line.
ALTER TABLE workshops ADD COLUMN accepts_custom BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE custom_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    buyer_id BIGINT NOT NULL REFERENCES users (id),
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    status TEXT NOT NULL CHECK (status IN ('requested', 'quoted', 'in_progress', 'shipped', 'delivered', 'declined', 'cancelled')),
    description TEXT NOT NULL,
    budget_fen BIGINT CHECK (budget_fen > 0),
    wanted_by DATE,
    lang TEXT NOT NULL,
    -- The quote: the frozen piece (an unlisted product), its price and lead time, a note.
    product_id BIGINT REFERENCES products (id),
    price_fen BIGINT CHECK (price_fen > 0),
    lead_time_days INTEGER,
    quote_note TEXT,
    quoted_at TIMESTAMP,
    accepted_at TIMESTAMP,
    -- Set by the first progress photo: the buyer's cancellation then keeps what is paid.
    work_begun_at TIMESTAMP,
    closed_at TIMESTAMP,
    cancelled_by TEXT CHECK (cancelled_by IN ('buyer', 'workshop')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX custom_orders_buyer ON custom_orders (buyer_id, id DESC);
CREATE INDEX custom_orders_workshop ON custom_orders (workshop_id, id DESC);

-- A quote's milestones, in the order they fall due; `order_id` is the order that pays it,
-- made when the buyer pays (a lapsed one is replaced by the next attempt).
CREATE TABLE custom_milestones (
    custom_order_id BIGINT NOT NULL REFERENCES custom_orders (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 1),
    share_bp INTEGER NOT NULL CHECK (share_bp > 0 AND share_bp <= 10000),
    due TEXT NOT NULL CHECK (due IN ('acceptance', 'progress', 'before_shipping')),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    order_id BIGINT UNIQUE REFERENCES orders (id),
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (custom_order_id, position)
);

-- Progress photos the workshop posts at a milestone.
CREATE TABLE custom_progress (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    custom_order_id BIGINT NOT NULL REFERENCES custom_orders (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    photo_key TEXT NOT NULL,
    note TEXT NOT NULL,
    posted_by BIGINT NOT NULL REFERENCES users (id),
    posted_at TIMESTAMP NOT NULL
);
CREATE INDEX custom_progress_order ON custom_progress (custom_order_id, id);
