// Drives the sandbox with Alipay's official Node SDK `alipay-sdk`:
// trade.pay -> trade.query -> trade.refund (twice: idempotent) ->
// refund query, a cancel, the bill URL, plus requests and answers that must
// be refused. Only the `gateway` option points at the sandbox; every
// answer is verified with the gateway public key (validateSign).
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { AlipaySdk } = require('alipay-sdk');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = (o) => console.log(JSON.stringify(o));

function sdk(privateKey, alipayPublicKey) {
  return new AlipaySdk({
    appId: cfg.alipay.app_id,
    privateKey,
    keyType: 'PKCS8',
    alipayPublicKey,
    gateway: cfg.alipay_gateway,
    timeout: 10000,
  });
}

const alipay = sdk(cfg.alipay.app_private_key, cfg.alipay.gateway_public_key);
const exec = (a, method, bizContent) => a.exec(method, { bizContent }, { validateSign: true });

(async () => {
  const run = Date.now().toString().slice(-8);
  const no1 = 'ASDK' + run + 'A';
  const no2 = 'ASDK' + run + 'B';

  // 1. trade.pay -> trade.query -> trade.refund (x2) -> refund query
  let r = await exec(alipay, 'alipay.trade.pay', { out_trade_no: no1, scene: 'bar_code', auth_code: '281234567890123456', subject: 'interop alipay-sdk', total_amount: '88.80' });
  out({ step: 'trade.pay', out_trade_no: no1, code: r.code, trade_no: r.tradeNo, total_amount: r.totalAmount });
  const billDate = r.gmtPayment.slice(0, 10); // the gateway's day (China time)
  r = await exec(alipay, 'alipay.trade.query', { out_trade_no: no1 });
  out({ step: 'trade.query', out_trade_no: no1, code: r.code, trade_status: r.tradeStatus, trade_no: r.tradeNo });
  const refund = { out_trade_no: no1, refund_amount: '8.80', out_request_no: no1 + 'R1', refund_reason: 'interop' };
  r = await exec(alipay, 'alipay.trade.refund', refund);
  out({ step: 'trade.refund', out_trade_no: no1, code: r.code, fund_change: r.fundChange, refund_fee: r.refundFee });
  r = await exec(alipay, 'alipay.trade.refund', refund);
  out({ step: 'trade.refund-again', out_trade_no: no1, code: r.code, fund_change: r.fundChange, refund_fee: r.refundFee });
  r = await exec(alipay, 'alipay.trade.fastpay.refund.query', { out_trade_no: no1, out_request_no: no1 + 'R1' });
  out({ step: 'refund.query', out_trade_no: no1, code: r.code, refund_status: r.refundStatus, refund_amount: r.refundAmount });

  // 2. waiting for the customer (10003 is not success), then cancel
  r = await exec(alipay, 'alipay.trade.pay', { out_trade_no: no2, scene: 'bar_code', auth_code: '281234567890123101', subject: 'interop paying', total_amount: '1.00' });
  out({ step: 'trade.pay-paying', out_trade_no: no2, code: r.code });
  r = await exec(alipay, 'alipay.trade.cancel', { out_trade_no: no2 });
  out({ step: 'trade.cancel', out_trade_no: no2, code: r.code, action: r.action, retry_flag: r.retryFlag });

  // 3. refused: a request signed with another key; an answer checked
  //    against another public key (a forged gateway) must fail verification.
  const { privateKey: otherPriv, publicKey: otherPub } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherPrivPem = otherPriv.export({ type: 'pkcs8', format: 'pem' });
  const otherPubPem = otherPub.export({ type: 'spki', format: 'pem' });
  r = await exec(sdk(otherPrivPem, cfg.alipay.gateway_public_key), 'alipay.trade.pay', { out_trade_no: 'ASDK' + run + 'X', scene: 'bar_code', auth_code: '281234567890123456', subject: 'forged', total_amount: '1.00' });
  out({ step: 'forged-request', code: r.code, sub_code: r.subCode });
  let verr = null;
  try {
    await exec(sdk(cfg.alipay.app_private_key, otherPubPem), 'alipay.trade.query', { out_trade_no: no1 });
  } catch (e) { verr = e.message; }
  out({ step: 'answer-wrong-public-key', error: verr });

  // 4. the bill URL for today (downloaded and parsed by the Go test)
  r = await exec(alipay, 'alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: billDate });
  out({ step: 'bill.downloadurl', code: r.code, url: r.billDownloadUrl });
  out({ step: 'done' });
})().catch((e) => { out({ step: 'fatal', error: e.message }); process.exit(1); });
