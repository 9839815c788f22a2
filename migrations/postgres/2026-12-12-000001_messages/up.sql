-- Messages (issue 20): a buyer asks a workshop about a product or an order; the workshop's
-- staff answer in the portal. One thread per buyer, workshop and subject. A thread that
-- either side reports is listed for operators. E-mail notices go through the `emails` outbox.
CREATE TABLE message_threads (
    id BIGSERIAL PRIMARY KEY,
    buyer_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workshop_id BIGINT NOT NULL REFERENCES workshops (id),
    -- What it is about: a product (its id) or an order (its id).
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('product', 'order')),
    subject_id BIGINT NOT NULL,
    last_message_at TIMESTAMP NOT NULL,
    -- Whether the other side has a message it has not opened.
    buyer_unread BOOLEAN NOT NULL DEFAULT FALSE,
    workshop_unread BOOLEAN NOT NULL DEFAULT FALSE,
    reported_by BIGINT REFERENCES users (id),
    reported_at TIMESTAMP,
    report_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (buyer_id, workshop_id, subject_kind, subject_id)
);
CREATE INDEX message_threads_workshop ON message_threads (workshop_id, last_message_at DESC);
CREATE INDEX message_threads_buyer ON message_threads (buyer_id, last_message_at DESC);
CREATE INDEX message_threads_reported ON message_threads (reported_at) WHERE reported_at IS NOT NULL;

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    thread_id BIGINT NOT NULL REFERENCES message_threads (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id),
    from_side TEXT NOT NULL CHECK (from_side IN ('buyer', 'workshop')),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_thread ON messages (thread_id, id);
-- The rate limit counts an author's recent messages.
CREATE INDEX messages_author ON messages (author_id, created_at);
