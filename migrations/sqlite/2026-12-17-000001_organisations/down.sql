ALTER TABLE shipments DROP COLUMN invoice_number;
DROP TABLE order_invoices;
DROP TABLE organisation_members;
DROP TABLE organisations;
