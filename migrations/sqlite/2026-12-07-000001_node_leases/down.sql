DROP TABLE leases;
ALTER TABLE outbox DROP COLUMN claimed_by;
