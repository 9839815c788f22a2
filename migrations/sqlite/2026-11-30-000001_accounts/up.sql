-- Accounts, roles and the workshop portal: users and their tokens, one-time links (password
-- reset, invitations), login failures for rate limiting, the hash-chained audit log, emails
-- waiting in the outbox, sensitive worker fields (encrypted by the app) and product review.
-- Kept in step with ../../postgres/ under the same version name.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'zh',
    role TEXT NOT NULL CHECK (role IN ('buyer', 'manager', 'editor', 'official', 'operator')),
    workshop_id BIGINT REFERENCES workshops (id),
    region_code TEXT REFERENCES regions (code),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((role IN ('manager', 'editor')) = (workshop_id IS NOT NULL)),
    CHECK ((role = 'official') = (region_code IS NOT NULL))
);
CREATE INDEX users_workshop ON users (workshop_id);

-- Session cookies and bearer tokens; only a SHA-256 of the token is stored.
CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('session', 'bearer')),
    label TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

-- Links that work once: password resets (user_id) and invitations (email, role, scope).
CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('password_reset', 'invitation')),
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT,
    workshop_id BIGINT REFERENCES workshops (id),
    region_code TEXT REFERENCES regions (code),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

-- Failed logins in the recent past, by account and by client address.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    account TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

-- Append-only: each row's hash covers its fields and the previous row's hash.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Rendered emails; the outbox row (topic 'mail') says when to send.
CREATE TABLE emails (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    to_addr TEXT NOT NULL,
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);

ALTER TABLE workers ADD COLUMN id_number_enc TEXT;
ALTER TABLE workers ADD COLUMN bank_account_enc TEXT;
ALTER TABLE workshops ADD COLUMN payout_account_enc TEXT;
ALTER TABLE products ADD COLUMN review_note TEXT;
ALTER TABLE product_images ADD COLUMN variant_widths TEXT NOT NULL DEFAULT '';
