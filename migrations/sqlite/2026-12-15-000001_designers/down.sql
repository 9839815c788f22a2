-- Going back needs any designer postings removed by hand first: the old journal has no
-- account for them. The postings table is rebuilt as it was before.
ALTER TABLE report_months DROP COLUMN designer_fen;
CREATE TABLE journal_postings_old (
    id INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines (id),
    account TEXT NOT NULL CHECK (account IN ('buyer_clearing', 'platform_commission', 'workshop_payable', 'wages_payable')),
    worker_id BIGINT REFERENCES workers (id),
    household_status TEXT CHECK (household_status IN ('registered_poor', 'lifted_out', 'monitored', 'not_poor')),
    amount_fen BIGINT NOT NULL,
    CHECK ((account = 'wages_payable') = (worker_id IS NOT NULL))
);
INSERT INTO journal_postings_old (id, entry_id, order_line_id, account, worker_id, household_status, amount_fen)
    SELECT id, entry_id, order_line_id, account, worker_id, household_status, amount_fen FROM journal_postings;
DROP TRIGGER journal_postings_no_update;
DROP TRIGGER journal_postings_no_delete;
DROP TABLE journal_postings;
ALTER TABLE journal_postings_old RENAME TO journal_postings;
CREATE INDEX journal_postings_entry ON journal_postings (entry_id);
CREATE INDEX journal_postings_line ON journal_postings (order_line_id);
CREATE INDEX journal_postings_worker ON journal_postings (worker_id) WHERE worker_id IS NOT NULL;
CREATE TRIGGER journal_postings_no_update BEFORE UPDATE ON journal_postings BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_postings_no_delete BEFORE DELETE ON journal_postings BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
ALTER TABLE order_lines DROP COLUMN designer_bp;
ALTER TABLE order_lines DROP COLUMN designer_id;
ALTER TABLE products DROP COLUMN designer_bp;
ALTER TABLE products DROP COLUMN credit_workstation_id;
ALTER TABLE products DROP COLUMN designer_id;
DROP TABLE designers;
DROP TABLE workstations;
