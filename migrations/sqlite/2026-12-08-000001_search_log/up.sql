-- Each node with its own embedded search index follows the search changes in the outbox
-- itself (see the PostgreSQL migration). SQLite has one writer at a time, so ids become
-- visible in order and `txid` stays 0: the position is the id.
ALTER TABLE outbox ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_topic_txid ON outbox (topic, txid, id);
