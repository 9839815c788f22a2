-- Several app nodes on one database. An outbox row is claimed by one node before delivery:
-- the claim pushes `available_at` forward by a lease and names the node in `claimed_by`, so a
-- node that dies mid-delivery gives its rows back when the lease runs out. Sweeps and
-- scheduled jobs take a named lease, so one node at a time runs each.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
