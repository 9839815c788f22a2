-- Reviews (issue 20): a buyer whose parcel was delivered reviews a piece once per order line,
-- with a rating, a text in any language and up to four photos; the workshop replies once;
-- an operator can hide a review (the reason goes to the audit log). The product keeps the
-- count and sum of its visible ratings, for its page, its search document and sorting.
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    order_line_id BIGINT NOT NULL UNIQUE REFERENCES order_lines (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body TEXT NOT NULL,
    -- How the author is named: their display name as it was when they wrote, or the province
    -- the parcel went to ("a buyer from 贵州省"), or neither for a parcel abroad.
    shown_as TEXT NOT NULL CHECK (shown_as IN ('name', 'province')),
    author_name TEXT,
    province_code TEXT,
    helpful_count BIGINT NOT NULL DEFAULT 0,
    reply_body TEXT,
    replied_by BIGINT REFERENCES users (id),
    replied_at TIMESTAMP,
    hidden_by BIGINT REFERENCES users (id),
    hidden_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    CHECK ((reply_body IS NULL) = (replied_at IS NULL))
);
CREATE INDEX reviews_product_newest ON reviews (product_id, created_at DESC, id DESC);
CREATE INDEX reviews_product_helpful ON reviews (product_id, helpful_count DESC, id DESC);
CREATE INDEX reviews_workshop ON reviews (workshop_id, created_at DESC, id DESC);

CREATE TABLE review_photos (
    review_id BIGINT NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 4),
    path TEXT NOT NULL,
    dir TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    PRIMARY KEY (review_id, position)
);

-- "Helpful": one vote per signed-in buyer and review.
CREATE TABLE review_votes (
    review_id BIGINT NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (review_id, user_id)
);

ALTER TABLE products ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN rating_sum BIGINT NOT NULL DEFAULT 0;

-- A product page shows its reviews: a new reply or vote is a storefront change (a new or
-- hidden review changes the product's counts, whose triggers already count).
CREATE TRIGGER reviews_storefront_insert AFTER INSERT ON reviews BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER reviews_storefront_update AFTER UPDATE ON reviews BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
CREATE TRIGGER reviews_storefront_delete AFTER DELETE ON reviews BEGIN UPDATE storefront_changes SET changes = changes + 1 WHERE shard = 0; END;
