package sandbox

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// authority is the sandbox's own certificate authority: it issues the
// server certificate (clients trust it through the CA PEM) and, in the demo
// set-up, the WeChat API client certificates.
type authority struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
}

func parseAuthority(certPEM, keyPEM []byte) (*authority, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, errors.New("ca_cert: no PEM CERTIFICATE")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ca_cert: %v", err)
	}
	if !cert.IsCA {
		return nil, errors.New("ca_cert is not a CA certificate")
	}
	key, err := parseSigner(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("ca_key: %v", err)
	}
	return &authority{cert: cert, key: key, certPEM: pem.EncodeToMemory(cb)}, nil
}

func parseSigner(keyPEM []byte) (crypto.Signer, error) {
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, errors.New("no PEM key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(kb.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParseECPrivateKey(kb.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(kb.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("unsupported private key")
}

// loadOrCreateAuthority reads the CA from the two files, or creates and
// persists a new one when neither exists.
func loadOrCreateAuthority(certPath, keyPath string) (*authority, error) {
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	switch {
	case cerr == nil && kerr == nil:
		return parseAuthority(certPEM, keyPEM)
	case errors.Is(cerr, os.ErrNotExist) && errors.Is(kerr, os.ErrNotExist):
	default:
		return nil, fmt.Errorf("certificate authority: need both %s and %s", certPath, keyPath)
	}
	ca, keyPEM, err := newAuthority()
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, ca.certPEM, 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

func newAuthority() (*authority, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	return newCA(key, &x509.Certificate{
		Subject:  pkix.Name{CommonName: "poscashier sandbox CA", Organization: []string{"poscashier SANDBOX"}},
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	})
}

// newCA self-signs tmpl (its subject, key usage and signature algorithm)
// as a certificate authority for key, valid for 20 years from an hour ago,
// and returns the authority and its key as PKCS#8 PEM. The sandbox's TLS
// authority and the demo's Alipay root are both made here.
func newCA(key crypto.Signer, tmpl *x509.Certificate) (*authority, []byte, error) {
	now := time.Now()
	tmpl.SerialNumber = randomSerial()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.AddDate(20, 0, 0)
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	ca := &authority{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	return ca, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// issue signs tmpl for pub with the authority: a fresh serial number,
// valid for years from an hour ago (a little clock skew is no failure).
func (a *authority) issue(tmpl *x509.Certificate, years int, pub crypto.PublicKey) ([]byte, error) {
	now := time.Now()
	tmpl.SerialNumber = randomSerial()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.AddDate(years, 0, 0)
	return x509.CreateCertificate(rand.Reader, tmpl, a.cert, pub, a.key)
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}

// serverCertificate issues a short-lived TLS server certificate for the
// loopback names plus the configured hosts.
func (a *authority) serverCertificate(hosts []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "poscashier sandbox gateway", Organization: []string{"poscashier SANDBOX"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := a.issue(tmpl, 1, &key.PublicKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, a.cert.Raw}, PrivateKey: key}, nil
}

// clientCertificate issues a WeChat-style API client certificate whose
// common name is the merchant number, as WeChat's apiclient_cert does.
func (a *authority) clientCertificate(mchID string) (certPEM, keyPEM []byte, cert *x509.Certificate, key *ecdsa.PrivateKey, err error) {
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: mchID, OrganizationalUnit: []string{"poscashier SANDBOX merchant"}, Organization: []string{"poscashier SANDBOX"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := a.issue(tmpl, 5, &key.PublicKey)
	if err != nil {
		return
	}
	cert, _ = x509.ParseCertificate(der)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return
}

// encodePKCS12 packs a client certificate as WeChat ships it
// (apiclient_cert.p12, password = mch_id), with modern algorithms that
// OpenSSL 3 reads without the legacy provider.
func encodePKCS12(key crypto.PrivateKey, cert *x509.Certificate, password string) ([]byte, error) {
	return pkcs12.Modern.Encode(key, cert, nil, password)
}

func newRSAKeyPEM() (privPKCS8, pubPKIX []byte, key *rsa.PrivateKey, err error) {
	key, err = rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), key, nil
}

func decodeBase64Loose(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

// writeFileAtomic writes through a temporary file and rename so a crash
// never leaves half a key on disk.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(dirOf(path), ".sandbox-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

func dirOf(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[:i+1]
	}
	return "."
}
