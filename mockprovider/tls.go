package mockprovider

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// CA is an ephemeral certificate authority made when a server starts. Its
// certificate is public (clients trust it through NODE_EXTRA_CA_CERTS,
// SSL_CERT_FILE and the like); its private key never leaves the process.
type CA struct {
	Cert *x509.Certificate
	// PEM is the CA certificate, PEM-encoded.
	PEM  []byte
	key  *ecdsa.PrivateKey
	leaf tls.Certificate
}

// NewCA makes a CA and a leaf certificate for hosts (DNS names, "*."
// wildcards, IP addresses). Loopback names are always included.
//
// The two certificates are made at the same time: each costs a signature
// and its check, most of what serve --tls does before it can answer. The
// leaf names its issuer by the CA's subject and key identifier, both
// known before the CA's certificate exists.
func NewCA(hosts []string) (*CA, error) {
	type made struct {
		key  *ecdsa.PrivateKey
		der  []byte
		cert *x509.Certificate
		err  error
	}
	leafKey := make(chan made, 1)
	go func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		leafKey <- made{key: k, err: err}
	}()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		<-leafKey
		return nil, fmt.Errorf("mockprovider: ca key: %w", err)
	}
	tmpl := caTemplate(key)
	caCert := make(chan made, 1)
	go func() {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		var cert *x509.Certificate
		if err == nil {
			cert, err = x509.ParseCertificate(der)
		}
		caCert <- made{der: der, cert: cert, err: err}
	}()
	lk := <-leafKey
	var leaf tls.Certificate
	if lk.err != nil {
		err = fmt.Errorf("mockprovider: leaf key: %w", lk.err)
	} else {
		leaf, err = issue(tmpl, key, lk.key, hosts)
	}
	c := <-caCert
	if err != nil {
		return nil, err
	}
	if c.err != nil {
		return nil, fmt.Errorf("mockprovider: ca certificate: %w", c.err)
	}
	leaf.Certificate = append(leaf.Certificate, c.der)
	return &CA{Cert: c.cert, key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}), leaf: leaf}, nil
}

// caTemplate is the CA certificate for key, with its subject key
// identifier set (RFC 7093 section 2, method 1, as x509 would make it):
// the leaf's authority key identifier is this value.
func caTemplate(key *ecdsa.PrivateKey) *x509.Certificate {
	now := time.Now()
	pub, _ := key.PublicKey.Bytes() // a P-256 key always encodes
	skid := sha256.Sum256(pub)
	return &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "refreshproof mock provider CA", Organization: []string{"refreshproof"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          skid[:20],
		PublicKey:             &key.PublicKey,
	}
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// issue makes the leaf certificate for key, signed by the CA of caTmpl
// and caKey. Its chain holds the leaf only; the caller appends the CA's.
func issue(caTmpl *x509.Certificate, caKey, key *ecdsa.PrivateKey, hosts []string) (tls.Certificate, error) {
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "refreshproof mock provider"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" && h != "localhost" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mockprovider: leaf certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mockprovider: leaf certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// ServerConfig returns a TLS configuration serving the leaf certificate.
func (ca *CA) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.leaf}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
}

// Pool returns a certificate pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// WriteCert writes the CA certificate (public) to path, mode 0644.
func (ca *CA) WriteCert(path string) error {
	return os.WriteFile(path, ca.PEM, 0o644)
}

// WriteKey writes the leaf private key to path with mode 0600, for a user
// who asked to terminate TLS elsewhere. The key is never written otherwise.
func (ca *CA) WriteKey(path string) error {
	der, err := x509.MarshalECPrivateKey(ca.leaf.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		return fmt.Errorf("mockprovider: leaf key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("mockprovider: %w", err)
	}
	// O_CREATE's mode does not apply to a file that already exists.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("mockprovider: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return fmt.Errorf("mockprovider: %w", err)
	}
	return f.Close()
}
