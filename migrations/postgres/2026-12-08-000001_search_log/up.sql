-- Each node with its own embedded search index follows the search changes in the outbox
-- itself, in commit order. Row ids are handed out before commit, so on PostgreSQL a row with a
-- smaller id can become visible after one with a larger id; a reader that kept an id cursor
-- would skip it for good. `txid` is the writing transaction's id: a reader takes only rows
-- whose transaction is older than every transaction still running (the snapshot's xmin), so
-- nothing can appear behind its position.
ALTER TABLE outbox ADD COLUMN txid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX outbox_topic_txid ON outbox (topic, txid, id);
