-- Workstations and design credit (issue 21): a traditional-craft workstation (传统工艺工作站) is
-- an organisation with designers. A product may credit a designer or a workstation ("designed
-- with …") and may give the designer a share of each sale's net, an explicit part of the wage
-- rule frozen on each order line and posted to the designer's own account (designer_payable),
-- never counted as a worker's wage.
CREATE TABLE workstations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    -- Where it sits: a county, prefecture or province code.
    region_code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (name_zh)
);

CREATE TABLE designers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    workstation_id BIGINT REFERENCES workstations (id),
    name_zh TEXT NOT NULL,
    name_latin TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX designers_workstation ON designers (workstation_id);

ALTER TABLE products ADD COLUMN designer_id BIGINT REFERENCES designers (id);
ALTER TABLE products ADD COLUMN credit_workstation_id BIGINT REFERENCES workstations (id);
ALTER TABLE products ADD COLUMN designer_bp INTEGER NOT NULL DEFAULT 0 CHECK (designer_bp >= 0 AND designer_bp <= 10000);
ALTER TABLE order_lines ADD COLUMN designer_id BIGINT REFERENCES designers (id);
ALTER TABLE order_lines ADD COLUMN designer_bp INTEGER NOT NULL DEFAULT 0 CHECK (designer_bp >= 0 AND designer_bp <= 10000);
-- The journal takes a fourth payable account. SQLite cannot change a CHECK, so the postings
-- table is rebuilt with its rows, indexes and append-only triggers as they were.
CREATE TABLE journal_postings_new (
    id INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    account TEXT NOT NULL CHECK (account IN ('buyer_clearing', 'platform_commission', 'workshop_payable', 'wages_payable', 'designer_payable')),
    worker_id BIGINT REFERENCES workers (id),
    household_status TEXT CHECK (household_status IN ('registered_poor', 'lifted_out', 'monitored', 'not_poor')),
    amount_fen BIGINT NOT NULL,
    designer_id BIGINT REFERENCES designers (id),
    CHECK ((account = 'wages_payable') = (worker_id IS NOT NULL)),
    CHECK ((account = 'designer_payable') = (designer_id IS NOT NULL))
);
INSERT INTO journal_postings_new (id, entry_id, order_line_id, account, worker_id, household_status, amount_fen)
    SELECT id, entry_id, order_line_id, account, worker_id, household_status, amount_fen FROM journal_postings;
DROP TRIGGER journal_postings_no_update;
DROP TRIGGER journal_postings_no_delete;
DROP TABLE journal_postings;
ALTER TABLE journal_postings_new RENAME TO journal_postings;
CREATE INDEX journal_postings_entry ON journal_postings (entry_id);
CREATE INDEX journal_postings_line ON journal_postings (order_line_id);
CREATE INDEX journal_postings_worker ON journal_postings (worker_id) WHERE worker_id IS NOT NULL;
CREATE TRIGGER journal_postings_no_update BEFORE UPDATE ON journal_postings BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_postings_no_delete BEFORE DELETE ON journal_postings BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
ALTER TABLE report_months ADD COLUMN designer_fen BIGINT NOT NULL DEFAULT 0;
