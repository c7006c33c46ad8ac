-- A wallet tender the customer pays by scanning the order's QR code
-- (WeChat Pay unifiedorder NATIVE, Alipay trade.precreate) instead of
-- showing their own. It is a sale payment like any other (kind 'pay': its
-- tender, refunds and takings are the same); what differs is how it is
-- driven and closed, so the intent says so and keeps the code it showed
-- and until when the customer may pay. Adding columns leaves
-- payment_intent's CHECK on kind, and the refunds and deposits that
-- reference its rows, untouched.
ALTER TABLE payment_intent ADD COLUMN qr INTEGER NOT NULL DEFAULT 0 CHECK (qr IN (0, 1));
ALTER TABLE payment_intent ADD COLUMN code_url TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_intent ADD COLUMN expires_at INTEGER;
