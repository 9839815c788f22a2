-- Institutional buyers (消费帮扶, issue 21): an organisation (a government unit, a state
-- enterprise, a trade union) with its unified social credit code and invoice details, and the
-- buyers who may order for it. An order placed for it freezes the invoice request; each parcel
-- records the invoice number its workshop issued.
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    legal_name TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE CHECK (length(credit_code) = 18),
    invoice_title TEXT NOT NULL,
    tax_number TEXT NOT NULL,
    invoice_address TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

-- A user buys for at most one organisation.
CREATE TABLE organisation_members (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL UNIQUE REFERENCES users (id),
    is_admin BOOLEAN NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organisation_id, user_id)
);

-- The invoice request an order placed for an organisation carries, frozen at checkout.
CREATE TABLE order_invoices (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    title TEXT NOT NULL,
    tax_number TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX order_invoices_organisation ON order_invoices (organisation_id);
ALTER TABLE shipments ADD COLUMN invoice_number TEXT;
