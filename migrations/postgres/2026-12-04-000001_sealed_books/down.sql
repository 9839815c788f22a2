DROP TRIGGER journal_entries_no_change ON journal_entries;
CREATE TRIGGER journal_entries_no_change BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
DROP FUNCTION journal_seal_once();
DROP TABLE chain_heads;
DROP INDEX journal_entries_unsealed;
DROP INDEX journal_entries_chain;
ALTER TABLE journal_entries DROP COLUMN hash;
ALTER TABLE journal_entries DROP COLUMN prev_hash;
ALTER TABLE journal_entries DROP COLUMN chain_seq;
