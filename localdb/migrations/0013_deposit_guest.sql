-- The hotel guest a deposit is held for, written with the deposit's order
-- (durable before the freeze is sent) and copied onto the deposit when
-- the freeze succeeds, so the desk can search by room or name.
ALTER TABLE orders ADD COLUMN guest_room TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN guest_name TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN guest_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE deposit ADD COLUMN guest_phone TEXT NOT NULL DEFAULT '';

-- The guest's wallet shows the channel's transaction number, which the
-- desk scans or types to find a deposit. Only deposit intents are indexed:
-- a sale's commit pays nothing for it.
CREATE INDEX payment_intent_deposit_txn ON payment_intent(transaction_id)
  WHERE kind = 'deposit' AND transaction_id != '';
