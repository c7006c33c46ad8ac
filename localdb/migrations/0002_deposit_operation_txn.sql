-- The channel's number for the result of a deposit operation. A consume
-- may create its own order at the channel (Alipay's capture trade, Cloud
-- Pay's consumption order) or stay on the deposit (WeChat); a later refund
-- of the consumed money must name that order, so its number is kept.
ALTER TABLE deposit_operation ADD COLUMN transaction_id TEXT NOT NULL DEFAULT '';
