ALTER TABLE report_months DROP COLUMN designer_fen;
-- The journal keeps any designer postings: going back needs them removed by hand first.
ALTER TABLE journal_postings DROP COLUMN designer_id;
ALTER TABLE order_lines DROP COLUMN designer_bp;
ALTER TABLE order_lines DROP COLUMN designer_id;
ALTER TABLE products DROP COLUMN designer_bp;
ALTER TABLE products DROP COLUMN credit_workstation_id;
ALTER TABLE products DROP COLUMN designer_id;
DROP TABLE designers;
DROP TABLE workstations;
