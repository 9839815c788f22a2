-- Workstations and design credit (issue 21): a traditional-craft workstation (传统工艺工作站) is
-- an organisation with designers. A product may credit a designer or a workstation ("designed
-- with …") and may give the designer a share of each sale's net, an explicit part of the wage
-- rule frozen on each order line and posted to the designer's own account (designer_payable),
-- never counted as a worker's wage.
CREATE TABLE workstations (
    id BIGSERIAL PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    -- Where it sits: a county, prefecture or province code.
    region_code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (name_zh)
);

CREATE TABLE designers (
    id BIGSERIAL PRIMARY KEY,
    workstation_id BIGINT REFERENCES workstations (id),
    name_zh TEXT NOT NULL,
    name_latin TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX designers_workstation ON designers (workstation_id);

ALTER TABLE products ADD COLUMN designer_id BIGINT REFERENCES designers (id);
ALTER TABLE products ADD COLUMN credit_workstation_id BIGINT REFERENCES workstations (id);
ALTER TABLE products ADD COLUMN designer_bp INTEGER NOT NULL DEFAULT 0 CHECK (designer_bp >= 0 AND designer_bp <= 10000);
ALTER TABLE order_lines ADD COLUMN designer_id BIGINT REFERENCES designers (id);
ALTER TABLE order_lines ADD COLUMN designer_bp INTEGER NOT NULL DEFAULT 0 CHECK (designer_bp >= 0 AND designer_bp <= 10000);
ALTER TABLE journal_postings ADD COLUMN designer_id BIGINT REFERENCES designers (id);
ALTER TABLE journal_postings DROP CONSTRAINT journal_postings_account_check;
ALTER TABLE journal_postings ADD CONSTRAINT journal_postings_account_check
    CHECK (account IN ('buyer_clearing', 'platform_commission', 'workshop_payable', 'wages_payable', 'designer_payable'));
ALTER TABLE journal_postings ADD CONSTRAINT journal_postings_designer_check
    CHECK ((account = 'designer_payable') = (designer_id IS NOT NULL));
ALTER TABLE report_months ADD COLUMN designer_fen BIGINT NOT NULL DEFAULT 0;
