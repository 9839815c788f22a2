ALTER TABLE orders DROP COLUMN reminded_at;
ALTER TABLE orders DROP COLUMN accepted_at;
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders DROP CONSTRAINT orders_payment_method_check;
UPDATE orders SET status = 'pending_payment' WHERE status IN ('awaiting_acceptance', 'accepted');
UPDATE orders SET payment_method = 'offline' WHERE payment_method <> 'stripe';
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending_payment', 'paid', 'cancelled', 'partially_refunded', 'refunded'));
ALTER TABLE orders ADD CONSTRAINT orders_payment_method_check CHECK (payment_method IN ('offline', 'stripe'));
