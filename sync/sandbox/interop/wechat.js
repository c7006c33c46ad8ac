// Drives the sandbox with the unmodified npm package `tenpay` (a WeChat Pay
// API v2 client): micropay -> orderquery -> reverse, micropay -> refund ->
// refundquery, a refund whose answer is lost (…91) and its re-send, plus
// answers the sandbox must refuse, and a dynamic QR (unifiedorder NATIVE,
// closeorder). Only its `urls` object
// is pointed at the sandbox. Prints one JSON object per step.
'use strict';
const fs = require('fs');
const Tenpay = require('tenpay');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const REAL = 'https://api.mch.weixin.qq.com';

function client(partnerKey, pfx) {
  const api = new Tenpay({
    appid: cfg.wechat.appid,
    mchid: cfg.wechat.mch_id,
    partnerKey,
    pfx,
  });
  for (const k of Object.keys(api.urls)) {
    api.urls[k] = api.urls[k].replace(REAL, cfg.base_url);
  }
  return api;
}

const pfx = fs.readFileSync(cfg.wechat.pfx_file);
const api = client(cfg.wechat.api_key, pfx);
const sub = { sub_mch_id: cfg.wechat.sub_mch_id };
const out = (o) => console.log(JSON.stringify(o));
const errOf = async (p) => { try { await p; return null; } catch (e) { return e.message; } };

(async () => {
  const run = Date.now().toString().slice(-8);
  const no1 = 'TPWX' + run + 'A';
  const no2 = 'TPWX' + run + 'B';
  const no3 = 'TPWX' + run + 'C';

  // 1. micropay -> orderquery -> reverse -> orderquery
  let r = await api.micropay({ ...sub, out_trade_no: no1, body: 'interop tenpay', total_fee: 1234, auth_code: '134567890123456789' });
  out({ step: 'micropay', out_trade_no: no1, result_code: r.result_code, transaction_id: r.transaction_id, total_fee: r.total_fee });
  r = await api.orderQuery({ ...sub, out_trade_no: no1 });
  out({ step: 'orderquery', out_trade_no: no1, trade_state: r.trade_state, transaction_id: r.transaction_id });
  r = await api.reverse({ ...sub, out_trade_no: no1 });
  out({ step: 'reverse', out_trade_no: no1, result_code: r.result_code, recall: r.recall });
  r = await api.orderQuery({ ...sub, out_trade_no: no1 });
  out({ step: 'orderquery-after-reverse', out_trade_no: no1, trade_state: r.trade_state });

  // 2. micropay (HMAC-SHA256) -> refund (twice: idempotent) -> refundquery
  r = await api.micropay({ ...sub, out_trade_no: no2, body: 'interop refund', total_fee: 2000, auth_code: '134567890123450007', sign_type: 'HMAC-SHA256' });
  out({ step: 'micropay-hmac', out_trade_no: no2, result_code: r.result_code, transaction_id: r.transaction_id });
  const billDate = r.time_end.slice(0, 8); // the gateway's day (China time), not this machine's
  const refund = { ...sub, out_trade_no: no2, out_refund_no: no2 + 'R1', total_fee: 2000, refund_fee: 500 };
  r = await api.refund(refund);
  out({ step: 'refund', out_trade_no: no2, result_code: r.result_code, refund_id: r.refund_id, refund_fee: r.refund_fee });
  const again = await api.refund(refund);
  out({ step: 'refund-again', out_trade_no: no2, result_code: again.result_code, refund_id: again.refund_id });
  r = await api.refundQuery({ ...sub, out_refund_no: no2 + 'R1' });
  out({ step: 'refundquery', out_trade_no: no2, refund_status: r.refund_status_0, refund_fee: r.refund_fee_0 });

  // A refund of x.91: made, its answer lost; the re-send gets the same refund.
  const lost = { ...sub, out_trade_no: no2, out_refund_no: no2 + 'R91', total_fee: 2000, refund_fee: 191 };
  out({ step: 'refund-lost', error: await errOf(api.refund(lost)) });
  r = await api.refund(lost);
  out({ step: 'refund-lost-again', result_code: r.result_code, refund_id: r.refund_id, refund_fee: r.refund_fee });
  r = await api.refundQuery({ ...sub, out_refund_no: no2 + 'R91' });
  out({ step: 'refundquery-lost', refund_count: r.refund_count, refund_id: r.refund_id_0, refund_status: r.refund_status_0 });

  // 3. the customer still confirming: USERPAYING is not success
  out({ step: 'micropay-userpaying', error: await errOf(api.micropay({ ...sub, out_trade_no: no3, body: 'interop paying', total_fee: 100, auth_code: '134567890123456101' })) });

  // 4. what the sandbox must refuse
  const forged = client('0'.repeat(32), pfx);
  out({ step: 'wrong-key', error: await errOf(forged.micropay({ ...sub, out_trade_no: 'TPWX' + run + 'X', body: 'forged', total_fee: 1, auth_code: '134567890123456789' })) });
  const noCert = client(cfg.wechat.api_key, undefined);
  out({ step: 'reverse-without-cert', error: await errOf(noCert.reverse({ ...sub, out_trade_no: no2 })) });

  // 5. today's bill, parsed by tenpay's own bill reader
  const bill = await api.downloadBill({ ...sub, bill_date: billDate }, true);
  out({ step: 'downloadbill', columns: bill.list_title.length, rows: bill.list_data.length, total_title: bill.total_title, total_data: bill.total_data });

  // 6. a dynamic QR (trade_type NATIVE): unifiedorder -> the customer pays
  //    through the sandbox's admin surface -> orderquery; another one
  //    closed before anyone scans it.
  const qr1 = 'TPWX' + run + 'Q';
  const qr2 = 'TPWX' + run + 'R';
  const native = (no, fee) => api.unifiedOrder({ ...sub, out_trade_no: no, body: 'interop native', total_fee: fee,
    trade_type: 'NATIVE', product_id: no, notify_url: 'https://notify.invalid/tenpay' });
  r = await native(qr1, 1500);
  out({ step: 'unifiedorder', result_code: r.result_code, trade_type: r.trade_type, code_url: r.code_url });
  r = await api.orderQuery({ ...sub, out_trade_no: qr1 });
  out({ step: 'orderquery-notpay', trade_state: r.trade_state });
  const paid = await fetch(cfg.base_url + '/sandbox/qr/pay', { method: 'POST', body: new URLSearchParams({ code: (await native(qr1, 1500)).code_url }) });
  out({ step: 'customer-pays', status: paid.status });
  r = await api.orderQuery({ ...sub, out_trade_no: qr1 });
  out({ step: 'orderquery-native', trade_state: r.trade_state, trade_type: r.trade_type, total_fee: r.total_fee });
  await native(qr2, 100);
  r = await api.closeOrder({ ...sub, out_trade_no: qr2 });
  out({ step: 'closeorder', result_code: r.result_code });
  r = await api.orderQuery({ ...sub, out_trade_no: qr2 });
  out({ step: 'orderquery-closed', trade_state: r.trade_state });
  out({ step: 'closeorder-paid', error: await errOf(api.closeOrder({ ...sub, out_trade_no: qr1 })) });
  out({ step: 'done' });
})().catch((e) => { out({ step: 'fatal', error: e.message }); process.exit(1); });
