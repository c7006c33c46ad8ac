package alipay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cashier/app"
	"cashier/sync/channel"
)

// testCA is a throw-away certificate authority for certificate mode.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  string
}

func newTestCA(t *testing.T, name pkix.Name, key crypto.Signer) *testCA {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1000 + time.Now().UnixNano()%1000), Subject: name,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// issue makes a certificate for pub with the given serial.
func (ca *testCA) issue(t *testing.T, cn string, serial int64, pub crypto.PublicKey) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// rootName is the CA's name; its RFC 2253 form (last RDN first) is what the
// SN hashes.
var rootName = pkix.Name{Country: []string{"CN"}, Organization: []string{"Test Financial"},
	OrganizationalUnit: []string{"Certification Authority"}, CommonName: "Test Root R1"}

const rootName2253 = "CN=Test Root R1,OU=Certification Authority,O=Test Financial,C=CN"

func TestCertSN_JavaIssuerFormat(t *testing.T) {
	keys(t)
	ca := newTestCA(t, rootName, evilK)
	leaf := ca.issue(t, "2021000000000001", 123456789012345678, &appKey.PublicKey)
	sn, err := leafCertSN([]byte(leaf))
	require.NoError(t, err)
	assert.Equal(t, md5hex(rootName2253+"123456789012345678"), sn, "md5(issuer DN + decimal serial)")

	// Escaping and multi-valued RDNs as RFC 2253 writes them.
	odd := pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "CN"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Ant, Inc. <x>"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: " #root"},
	}}
	raw, err := asn1.Marshal(odd.ToRDNSequence())
	require.NoError(t, err)
	got, err := rfc2253(raw)
	require.NoError(t, err)
	assert.Equal(t, `CN=\ #root,O=Ant\, Inc. \<x\>,C=CN`, got, "only a leading space or # is escaped")

	multi := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "CN"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "A"}, {Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "B"}},
		{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "x@y"}},
	}
	raw, err = asn1.Marshal(multi)
	require.NoError(t, err)
	got, err = rfc2253(raw)
	require.NoError(t, err)
	// "x@y" is a UTF8String (tag 0x0c): '@' is no PrintableString character.
	// A SET's members in their (DER-sorted) encoded order.
	assert.Equal(t, "1.2.840.113549.1.9.1=#0c03784079,CN=B+OU=A,C=CN", got,
		"an unknown attribute type is written as OID=#hex of its DER")

	_, err = leafCertSN([]byte("not a certificate"))
	assert.Error(t, err)
}

// withSigAlg rewrites a certificate's signature algorithm OID (both
// copies) to another of the same encoded length; the signature no longer
// verifies, which the SN does not need.
func withSigAlg(t *testing.T, certPEM string, from, to asn1.ObjectIdentifier) string {
	t.Helper()
	b, _ := pem.Decode([]byte(certPEM))
	f, _ := asn1.Marshal(from)
	tt, _ := asn1.Marshal(to)
	require.Equal(t, len(f), len(tt))
	der := bytes.ReplaceAll(b.Bytes, f, tt)
	require.NotEqual(t, b.Bytes, der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestRootCertSN_JoinsTheRSASignedCertificates(t *testing.T) {
	keys(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecRoot := newTestCA(t, pkix.Name{CommonName: "Test Root E1"}, ec)
	rsaRoot := newTestCA(t, rootName, evilK)
	sha256WithRSA := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	sha1WithRSA := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	sha1Root := withSigAlg(t, newTestCA(t, pkix.Name{CommonName: "Test Root G3"}, appKey).pem, sha256WithRSA, sha1WithRSA)

	file := ecRoot.pem + "\n" + rsaRoot.pem + "\n" + sha1Root
	sn, err := rootCertSN([]byte(file))
	require.NoError(t, err)
	want := md5hex(rootName2253+rsaRoot.cert.SerialNumber.String()) + "_" + md5hex("CN=Test Root G3"+serialOf(t, sha1Root))
	assert.Equal(t, want, sn, "the RSA-signed certificates, in file order; the ECDSA one skipped")

	_, err = rootCertSN([]byte(ecRoot.pem))
	assert.ErrorContains(t, err, "no RSA-signed certificate")
	_, err = rootCertSN([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	assert.Error(t, err)
}

func serialOf(t *testing.T, certPEM string) string {
	b, _ := pem.Decode([]byte(certPEM))
	var c certOuter
	_, err := asn1.Unmarshal(b.Bytes, &c)
	require.NoError(t, err)
	return c.TBS.Serial.String()
}

// certFiles makes the three files of certificate mode: the app's
// certificate (for appKey), the Alipay certificate (for aliKey), the root.
func certFiles(t *testing.T) (appCert, alipayCert, root string, ca *testCA) {
	keys(t)
	ca = newTestCA(t, rootName, evilK)
	return ca.issue(t, testAppID, 4001, &appKey.PublicKey), ca.issue(t, "Alipay", 4002, &aliKey.PublicKey), ca.pem, ca
}

func TestCertMode_SendsSNsAndChecksTheAnswer(t *testing.T) {
	f := newFake(t)
	appCert, aliCert, root, _ := certFiles(t)
	appSN := md5hex(rootName2253 + "4001")
	aliSN := md5hex(rootName2253 + "4002")
	rootSN, err := rootCertSN([]byte(root))
	require.NoError(t, err)
	dir := t.TempDir()
	rootFile := filepath.Join(dir, "alipayRootCert.crt")
	require.NoError(t, os.WriteFile(rootFile, []byte(root), 0o600))
	cl, _ := newClient(t, f, func(c *Config) {
		c.AlipayPublicKey = ""
		c.AppCert, c.AlipayCert, c.AlipayRootCert = appCert, aliCert, rootFile // PEM text and a file path both work
	})

	answer := func(certSN string, key *rsa.PrivateKey) func(string, map[string]any) string {
		return func(m string, biz map[string]any) string {
			raw := fmt.Sprintf(`{"code":"10000","msg":"Success","trade_no":"2026","out_trade_no":"%s","total_amount":"%s"}`, biz["out_trade_no"], biz["total_amount"])
			sig, _ := SignRSA2(key, []byte(raw))
			return fmt.Sprintf(`{"%s":%s,"alipay_cert_sn":"%s","sign":"%s"}`, ResponseKey(m), raw, certSN, sig)
		}
	}
	for name, c := range map[string]struct {
		answer  func(string, map[string]any) string
		outcome app.Outcome
		code    string
	}{
		"answer from the configured certificate": {answer(aliSN, aliKey), app.OutcomeSuccess, "10000"},
		"answer naming another certificate":      {answer("0123456789abcdef0123456789abcdef", aliKey), app.OutcomeUnknown, CodeCertSN},
		"answer signed with another key":         {answer(aliSN, evilK), app.OutcomeUnknown, channel.CodeBadSign},
	} {
		t.Run(name, func(t *testing.T) {
			f.mu.Lock()
			f.answer = c.answer
			f.mu.Unlock()
			res, err := cl.Pay(context.Background(), payReq())
			require.NoError(t, err)
			assert.Equal(t, c.outcome, res.Outcome, "%+v", res)
			assert.Equal(t, c.code, res.Code)
		})
	}
	q := f.requests()[0]
	assert.Equal(t, appSN, q.params.Get("app_cert_sn"))
	assert.Equal(t, rootSN, q.params.Get("alipay_root_cert_sn"))
	assert.Len(t, q.params.Get("alipay_root_cert_sn"), 32, "one RSA root")

	t.Run("public-key mode sends no SN", func(t *testing.T) {
		f2 := newFake(t)
		cl2, _ := newClient(t, f2, nil)
		_, err := cl2.Query(context.Background(), app.OrderRef{OutTradeNo: "T1"})
		require.NoError(t, err)
		assert.Empty(t, f2.requests()[0].params.Get("app_cert_sn"))
		assert.Empty(t, f2.requests()[0].params.Get("alipay_root_cert_sn"))
	})
}

func TestCertMode_RejectsBadSettings(t *testing.T) {
	f := newFake(t)
	appCert, aliCert, root, ca := certFiles(t)
	good := testConfig(f)
	good.AlipayPublicKey = ""
	good.AppCert, good.AlipayCert, good.AlipayRootCert = appCert, aliCert, root
	_, err := New(good, nil)
	require.NoError(t, err)

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, c := range map[string]struct {
		mutate func(*Config)
		msg    string
	}{
		"public key and certificates":  {func(c *Config) { c.AlipayPublicKey = testConfig(f).AlipayPublicKey }, "not both"},
		"no root":                      {func(c *Config) { c.AlipayRootCert = "" }, "root certificate"},
		"no app certificate":           {func(c *Config) { c.AppCert = "" }, "app certificate"},
		"app certificate of other key": {func(c *Config) { c.AppCert = ca.issue(t, "x", 9, &evilK.PublicKey) }, "not for this application private key"},
		"app certificate as Alipay's":  {func(c *Config) { c.AlipayCert = appCert }, "app's own certificate"},
		"Alipay certificate not RSA":   {func(c *Config) { c.AlipayCert = ca.issue(t, "x", 10, &ec.PublicKey) }, "not RSA"},
		"root without RSA":             {func(c *Config) { c.AlipayRootCert = newTestCA(t, pkix.Name{CommonName: "E"}, ec).pem }, "no RSA-signed certificate"},
		"missing file":                 {func(c *Config) { c.AlipayRootCert = filepath.Join(t.TempDir(), "nope.crt") }, "cannot read the certificate file"},
		"garbage":                      {func(c *Config) { c.AlipayCert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }, "malformed"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good
			c.mutate(&cfg)
			_, err := New(cfg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}
