DROP INDEX outbox_topic_txid;
ALTER TABLE outbox DROP COLUMN txid;
