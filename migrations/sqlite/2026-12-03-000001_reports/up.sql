-- Reports: the journal rolled up by workshop, heritage item and month (China time), written
-- in the same transaction as the postings it sums, so it never drifts from them (and
-- `gongfang audit verify` recomputes it); and the record of every report export with the
-- digest of its figures. Kept in step with ../../postgres/ under the same version name.

-- Sales of products only (shipping is not income from a craft). gross = −buyer_clearing,
-- commission = platform_commission, wages = wages_payable, split by the household status
-- each maker had on the sale date (the remainder is not_poor or unrecorded).
CREATE TABLE report_months (
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    month TEXT NOT NULL,
    heritage_item_id BIGINT NOT NULL REFERENCES heritage_items (id),
    gross_fen BIGINT NOT NULL,
    commission_fen BIGINT NOT NULL,
    wages_fen BIGINT NOT NULL,
    registered_poor_fen BIGINT NOT NULL,
    lifted_out_fen BIGINT NOT NULL,
    monitored_fen BIGINT NOT NULL,
    PRIMARY KEY (workshop_id, month, heritage_item_id)
);
CREATE INDEX report_months_month ON report_months (month, workshop_id);

-- Every export of a report: what it covered, the last journal entry its figures include, and
-- the SHA-256 of its journal-derived figures, so that `audit verify` can recompute them.
CREATE TABLE report_exports (
    id INTEGER PRIMARY KEY,
    region_code TEXT,
    workshop_id BIGINT REFERENCES workshops (id),
    period TEXT NOT NULL,
    heritage_item_id BIGINT,
    upto_entry_id BIGINT NOT NULL,
    digest TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- Headcounts of workers employed in a period, by workshop.
CREATE INDEX workers_employment ON workers (workshop_id, joined_on, left_on);
