-- Sealed books: the journal is hash-chained as the audit log is. Each entry's hash covers its
-- postings (account, worker, household status, amount), the frozen terms of its line (price,
-- quantity, commission, wage rule, maker shares) and the hash before it, so a consistent
-- rewrite of terms, postings and roll-up is still caught by `gongfang audit verify`.
-- Entries are sealed in the transaction that posts them; older entries are sealed on the
-- next posting or start. Kept in step with the other backend's folder of the same name.
ALTER TABLE journal_entries ADD COLUMN chain_seq BIGINT;
ALTER TABLE journal_entries ADD COLUMN prev_hash TEXT;
ALTER TABLE journal_entries ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX journal_entries_chain ON journal_entries (chain_seq);
CREATE INDEX journal_entries_unsealed ON journal_entries (id) WHERE chain_seq IS NULL;

-- The head of each hash chain: its last position and hash. Appending locks the row first
-- (an UPDATE, on both backends), so appends take turns and each sees the one before.
CREATE TABLE chain_heads (
    name TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO chain_heads (name, seq, hash)
VALUES ('journal', 0, '0000000000000000000000000000000000000000000000000000000000000000');
-- The audit log's appends take the same kind of lock (its entries keep their own chain).
INSERT INTO chain_heads (name, seq, hash)
SELECT 'audit', COALESCE(MAX(seq), 0),
       COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
                '0000000000000000000000000000000000000000000000000000000000000000')
FROM audit_log;

-- The journal stays append-only; the one change allowed is sealing an unsealed entry, once,
-- leaving its fields as they were.
CREATE FUNCTION journal_seal_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
        AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
        AND NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.order_line_id = OLD.order_line_id
        AND NEW.workshop_id = OLD.workshop_id AND NEW.refund_id IS NOT DISTINCT FROM OLD.refund_id
        AND NEW.posted_at = OLD.posted_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the journal is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER journal_entries_no_change ON journal_entries;
CREATE TRIGGER journal_entries_no_change BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_seal_once();
