-- The ledger and payouts: an append-only double-entry journal of each order line's money,
-- settlement, payouts per workshop and period, wage statements per worker, and the proof that
-- each worker was paid. Kept in step with ../../sqlite/ under the same version name.

-- When the line's parcel was delivered and its return window had passed (set once).
ALTER TABLE order_lines ADD COLUMN settled_at TIMESTAMP;
CREATE INDEX order_lines_unsettled ON order_lines (shipment_id) WHERE settled_at IS NULL;

-- How a workshop is paid: by the platform's bank batch (default) or a Stripe Connect transfer.
ALTER TABLE workshops ADD COLUMN payout_rail TEXT NOT NULL DEFAULT 'bank' CHECK (payout_rail IN ('bank', 'stripe'));
ALTER TABLE workshops ADD COLUMN stripe_account_id TEXT;

-- One entry per posting event of a line: its capture, its parcel's shipping (on the parcel's
-- first line), and each refund. An entry's postings sum to zero.
CREATE TABLE journal_entries (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'shipping', 'refund', 'shipping_refund')),
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    refund_id BIGINT REFERENCES refunds (id),
    posted_at TIMESTAMP NOT NULL,
    CHECK ((kind IN ('refund', 'shipping_refund')) = (refund_id IS NOT NULL))
);
-- A capture or shipping posts once per line; a refund once per refund.
CREATE UNIQUE INDEX journal_entries_once ON journal_entries (order_line_id, kind) WHERE refund_id IS NULL;
CREATE UNIQUE INDEX journal_entries_refund_once ON journal_entries (refund_id) WHERE refund_id IS NOT NULL;
CREATE INDEX journal_entries_workshop ON journal_entries (workshop_id, posted_at);

-- buyer_clearing −gross; platform_commission +commission; workshop_payable +(net − wage pool);
-- wages_payable +share for each maker, with the maker's household status on the sale date
-- (sensitive: shown only to the roles that may see statements).
CREATE TABLE journal_postings (
    id BIGSERIAL PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    account TEXT NOT NULL CHECK (account IN ('buyer_clearing', 'platform_commission', 'workshop_payable', 'wages_payable')),
    worker_id BIGINT REFERENCES workers (id),
    household_status TEXT CHECK (household_status IN ('registered_poor', 'lifted_out', 'monitored', 'not_poor')),
    amount_fen BIGINT NOT NULL,
    CHECK ((account = 'wages_payable') = (worker_id IS NOT NULL))
);
CREATE INDEX journal_postings_entry ON journal_postings (entry_id);
CREATE INDEX journal_postings_line ON journal_postings (order_line_id);
CREATE INDEX journal_postings_worker ON journal_postings (worker_id) WHERE worker_id IS NOT NULL;

-- One payout per workshop and period. A balance at or below zero (a late refund) is recorded
-- as 'carried' with no entries: they stay unpaid and join the next period.
CREATE TABLE payouts (
    id BIGSERIAL PRIMARY KEY,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    period TEXT NOT NULL,
    cutoff TIMESTAMP NOT NULL,
    amount_fen BIGINT NOT NULL,
    wages_fen BIGINT NOT NULL,
    currency TEXT NOT NULL,
    rail TEXT NOT NULL CHECK (rail IN ('bank', 'stripe')),
    status TEXT NOT NULL CHECK (status IN ('carried', 'pending', 'sent', 'confirmed')),
    reference TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    confirmed_at TIMESTAMP,
    UNIQUE (workshop_id, period),
    CHECK ((status = 'carried') = (amount_fen <= 0))
);
CREATE INDEX payouts_period ON payouts (period, status);

-- Which entries a payout paid: an entry is paid at most once (its primary key).
CREATE TABLE payout_entries (
    entry_id BIGINT PRIMARY KEY NOT NULL REFERENCES journal_entries (id),
    payout_id BIGINT NOT NULL REFERENCES payouts (id)
);
CREATE INDEX payout_entries_payout ON payout_entries (payout_id);

-- A payout's wage statement: one row per worker. poor_household_fen is the part earned on
-- sales made while the worker's household was registered poor, lifted out or monitored.
CREATE TABLE wage_statements (
    id BIGSERIAL PRIMARY KEY,
    payout_id BIGINT NOT NULL REFERENCES payouts (id),
    worker_id BIGINT NOT NULL REFERENCES workers (id),
    amount_fen BIGINT NOT NULL,
    poor_household_fen BIGINT NOT NULL,
    line_count INTEGER NOT NULL,
    acknowledged_at TIMESTAMP,
    UNIQUE (payout_id, worker_id)
);
CREATE INDEX wage_statements_worker ON wage_statements (worker_id);

-- How the workshop paid a worker their statement line.
CREATE TABLE wage_disbursements (
    statement_id BIGINT PRIMARY KEY NOT NULL REFERENCES wage_statements (id),
    method TEXT NOT NULL CHECK (method IN ('bank', 'wechat', 'alipay', 'cash')),
    reference TEXT NOT NULL,
    paid_on DATE NOT NULL,
    voucher_path TEXT,
    recorded_by BIGINT REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);

-- One-time acknowledgement links (only a SHA-256 of the code is stored).
CREATE TABLE wage_acks (
    token_hash TEXT PRIMARY KEY NOT NULL,
    statement_id BIGINT NOT NULL REFERENCES wage_statements (id),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX wage_acks_statement ON wage_acks (statement_id);

-- The journal is append-only: corrections are new entries.
CREATE FUNCTION journal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journal_entries_no_change BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_postings_no_change BEFORE UPDATE OR DELETE ON journal_postings
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
