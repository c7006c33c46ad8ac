// Drives the sandbox with Alipay's official Node SDK `alipay-sdk`:
// trade.pay -> trade.query -> trade.refund (twice: idempotent) ->
// refund query, a refund whose answer is lost (…91) and its re-send, a
// cancel, the bill URL, an app in public-key certificate mode, a dynamic
// QR (trade.precreate, cancelled before the scan), plus
// requests and answers that must be refused. Only the `gateway` option
// points at the sandbox; every signed answer is verified with the gateway
// public key (validateSign) or, in certificate mode, with the key of the
// Alipay public-key certificate.
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

  // 4. a refund of x.91: made, the answer lost; the re-send is a repeat
  //    (fund_change=N) and the query finds the refund.
  const lost = { out_trade_no: no1, refund_amount: '1.91', out_request_no: no1 + 'R91' };
  // urllib (under alipay-sdk) re-sends a request once when the socket
  // fails, so the first exec may already return the repeat's answer.
  let lostErr = null;
  let lostFundChange = null;
  try {
    lostFundChange = (await exec(alipay, 'alipay.trade.refund', lost)).fundChange;
  } catch (e) { lostErr = e.message; }
  out({ step: 'trade.refund-lost', error: lostErr, fund_change: lostFundChange });
  r = await exec(alipay, 'alipay.trade.refund', lost);
  out({ step: 'trade.refund-lost-again', code: r.code, fund_change: r.fundChange, refund_fee: r.refundFee });
  r = await exec(alipay, 'alipay.trade.fastpay.refund.query', { out_trade_no: no1, out_request_no: no1 + 'R91' });
  out({ step: 'refund.query-lost', code: r.code, refund_status: r.refundStatus, refund_amount: r.refundAmount });

  // 5. an unknown app: refused before the app is known, an unsigned
  //    error_response (read without validateSign: there is nothing to verify).
  const stranger = new AlipaySdk({ appId: '2021000000000999', privateKey: cfg.alipay.app_private_key, keyType: 'PKCS8',
    alipayPublicKey: cfg.alipay.gateway_public_key, gateway: cfg.alipay_gateway, timeout: 10000 });
  r = await stranger.exec('alipay.trade.query', { bizContent: { out_trade_no: no1 } }, { validateSign: false });
  out({ step: 'unknown-app', code: r.code, sub_code: r.subCode });

  // 6. public-key certificate mode: the SDK computes app_cert_sn and
  //    alipay_root_cert_sn from the certificate files and verifies answers
  //    with the key of the Alipay public-key certificate.
  const certSdk = new AlipaySdk({
    appId: cfg.alipay_cert.app_id,
    privateKey: cfg.alipay_cert.private_key,
    keyType: 'PKCS8',
    appCertPath: cfg.alipay_cert.app_cert_path,
    alipayPublicCertPath: cfg.alipay_cert.alipay_cert_path,
    alipayRootCertContent: cfg.alipay_cert.root_cert,
    gateway: cfg.alipay_gateway,
    timeout: 10000,
  });
  out({ step: 'cert.sn', app_cert_sn: certSdk.config.appCertSn, alipay_root_cert_sn: certSdk.config.alipayRootCertSn, alipay_cert_sn: certSdk.config.alipayCertSn });
  const no3 = 'ASDK' + run + 'C';
  r = await exec(certSdk, 'alipay.trade.pay', { out_trade_no: no3, scene: 'bar_code', auth_code: '281234567890123456', subject: 'interop cert mode', total_amount: '6.66' });
  out({ step: 'cert.trade.pay', out_trade_no: no3, code: r.code, trade_no: r.tradeNo, total_amount: r.totalAmount });
  r = await exec(certSdk, 'alipay.trade.query', { out_trade_no: no3 });
  out({ step: 'cert.trade.query', code: r.code, trade_status: r.tradeStatus });

  // 7. the bill URL for today (downloaded and parsed by the Go test)
  r = await exec(alipay, 'alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: billDate });
  out({ step: 'bill.downloadurl', code: r.code, url: r.billDownloadUrl });

  // 8. a dynamic QR: trade.precreate -> no trade until the customer scans
  //    -> the customer pays through the sandbox's admin surface ->
  //    trade.query; another one cancelled before anyone scans it.
  const qr1 = 'ASDK' + run + 'Q';
  const qr2 = 'ASDK' + run + 'R';
  const expire = new Date(Date.now() + 8 * 3600 * 1000 + 5 * 60 * 1000).toISOString().slice(0, 19).replace('T', ' ');
  r = await exec(alipay, 'alipay.trade.precreate', { out_trade_no: qr1, total_amount: '15.00', subject: 'interop precreate', time_expire: expire });
  out({ step: 'precreate', code: r.code, qr_code: r.qrCode, out_trade_no: r.outTradeNo });
  const before = await exec(alipay, 'alipay.trade.query', { out_trade_no: qr1 });
  out({ step: 'precreate.query-before-scan', code: before.code, sub_code: before.subCode });
  const paid = await fetch(cfg.base_url + '/sandbox/qr/pay', { method: 'POST', body: new URLSearchParams({ code: r.qrCode }) });
  out({ step: 'precreate.customer-pays', status: paid.status });
  r = await exec(alipay, 'alipay.trade.query', { out_trade_no: qr1 });
  out({ step: 'precreate.query', trade_status: r.tradeStatus, total_amount: r.totalAmount });
  await exec(alipay, 'alipay.trade.precreate', { out_trade_no: qr2, total_amount: '1.00', subject: 'interop precreate', timeout_express: '5m' });
  r = await exec(alipay, 'alipay.trade.cancel', { out_trade_no: qr2 });
  out({ step: 'precreate.cancel', code: r.code, action: r.action });
  out({ step: 'done' });
})().catch((e) => { out({ step: 'fatal', error: e.message }); process.exit(1); });
