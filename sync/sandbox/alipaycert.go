package sandbox

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
)

// Alipay's public-key certificate mode (公钥证书模式). The open platform
// names certificates by an "SN" that is not the X.509 serial number:
//
//	md5_hex( issuer DN as Java's X500Principal.getName() writes it
//	         (RFC 2253, last RDN first) + the serial number in decimal )
//
// (AlipaySignature.getCertSN in the platform's SDKs). A request carries the
// SN of the app's certificate (app_cert_sn) and of the Alipay root
// certificate file it trusts (alipay_root_cert_sn: the SNs of the file's
// RSA-signed certificates joined by "_"); every answer names the
// certificate of the key that signed it (alipay_cert_sn).

// alipayCertSN is the SN of a certificate.
func alipayCertSN(c *x509.Certificate) (string, error) {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(c.RawIssuer, &rdns); err != nil || len(rest) != 0 {
		return "", errors.New("unreadable issuer name")
	}
	// RDNSequence.String is RFC 2253/4514 in reverse order; for the
	// attribute types certificate authorities use (C, O, OU, CN, L, ST) it
	// writes what Java does.
	sum := md5.Sum([]byte(rdns.String() + c.SerialNumber.String()))
	return hex.EncodeToString(sum[:]), nil
}

// rsaSigned tells whether a certificate is signed with an RSA (PKCS#1 or
// PSS) algorithm: those count in alipay_root_cert_sn.
func rsaSigned(c *x509.Certificate) bool {
	switch c.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
		x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS:
		return true
	}
	return false
}

// alipayRootCertSN is alipay_root_cert_sn of a root certificate file.
func alipayRootCertSN(pemText []byte) (string, error) {
	var sns []string
	n := 0
	for {
		var b *pem.Block
		b, pemText = pem.Decode(pemText)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		n++
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return "", err
		}
		if !rsaSigned(c) {
			continue
		}
		sn, err := alipayCertSN(c)
		if err != nil {
			return "", err
		}
		sns = append(sns, sn)
	}
	if n == 0 {
		return "", errors.New("no PEM CERTIFICATE found")
	}
	if len(sns) == 0 {
		return "", errors.New("no RSA-signed certificate: alipay_root_cert_sn would be empty")
	}
	return strings.Join(sns, "_"), nil
}

// firstCert parses the first certificate of a PEM file.
func firstCert(pemText []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, pemText = pem.Decode(pemText)
		if b == nil {
			return nil, errors.New("no PEM CERTIFICATE found")
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// newAlipayRoot makes the demo's Alipay root: a self-signed RSA authority
// (sha256WithRSA, so it counts in alipay_root_cert_sn) that issues the
// app and gateway certificates.
func newAlipayRoot() (*authority, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	return newCA(key, &x509.Certificate{
		Subject: pkix.Name{CommonName: "poscashier SANDBOX Alipay Root R1", OrganizationalUnit: []string{"Certification Authority"},
			Organization: []string{"poscashier SANDBOX"}, Country: []string{"CN"}},
		KeyUsage:           x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SignatureAlgorithm: x509.SHA256WithRSA,
	})
}

// alipayCert issues a public-key certificate (an app's, or the gateway's
// "Alipay public-key certificate") for an RSA key.
func (a *authority) alipayCert(cn, ou string, pub *rsa.PublicKey) ([]byte, error) {
	der, err := a.issue(&x509.Certificate{
		Subject:  pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}, Organization: []string{"poscashier SANDBOX"}, Country: []string{"CN"}},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageKeyEncipherment,
	}, 5, pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
