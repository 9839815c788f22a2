DROP TRIGGER journal_entries_no_update;
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
DROP TABLE chain_heads;
DROP INDEX journal_entries_unsealed;
DROP INDEX journal_entries_chain;
ALTER TABLE journal_entries DROP COLUMN hash;
ALTER TABLE journal_entries DROP COLUMN prev_hash;
ALTER TABLE journal_entries DROP COLUMN chain_seq;
