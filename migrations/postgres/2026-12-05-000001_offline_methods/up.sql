-- Offline payment splits into bank transfer and cash on delivery, each with its own rule:
-- cash on delivery waits for the workshop to accept it (`awaiting_acceptance`), then ships
-- unpaid (`accepted`) and is paid at the door. Orders placed as `offline` were bank transfers.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders DROP CONSTRAINT orders_payment_method_check;
UPDATE orders SET payment_method = 'bank_transfer' WHERE payment_method = 'offline';
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending_payment', 'awaiting_acceptance', 'accepted', 'paid', 'cancelled', 'partially_refunded', 'refunded'));
ALTER TABLE orders ADD CONSTRAINT orders_payment_method_check CHECK (payment_method IN ('bank_transfer', 'cash_on_delivery', 'stripe'));
-- Cash on delivery: when the workshop accepted it.
ALTER TABLE orders ADD COLUMN accepted_at TIMESTAMP;
-- Bank transfer: when the buyer was reminded that the hold runs out (once).
ALTER TABLE orders ADD COLUMN reminded_at TIMESTAMP;
