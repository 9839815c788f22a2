-- Favourites and follows (issue 20): a buyer's favourite pieces and the workshops they follow.
-- A browser that is not signed in keeps favourites under its token's hash (the cart's
-- `gf_cart` token), and they join the account at sign-in, as the cart does.
CREATE TABLE favourites (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    browser_hash TEXT,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    CHECK ((user_id IS NULL) <> (browser_hash IS NULL)),
    UNIQUE (user_id, product_id),
    UNIQUE (browser_hash, product_id)
);
CREATE INDEX favourites_created ON favourites (created_at) WHERE browser_hash IS NOT NULL;

CREATE TABLE workshop_follows (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, workshop_id)
);
CREATE INDEX workshop_follows_workshop ON workshop_follows (workshop_id);

-- A workshop's page shows its followers' count: a follow is a storefront change.
CREATE TRIGGER workshop_follows_storefront AFTER INSERT OR UPDATE OR DELETE ON workshop_follows
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
