package mockprovider

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"testing"
)

// TestNewCA: the leaf chains to the CA for every host asked for and for
// loopback, names the CA by its key identifier, and is served with the
// CA's certificate after it.
func TestNewCA(t *testing.T) {
	ca, err := NewCA([]string{"login.salesforce.com", "*.my.salesforce.com", "10.1.2.3", ""})
	if err != nil {
		t.Fatal(err)
	}
	cfg := ca.ServerConfig()
	chain := cfg.Certificates[0].Certificate
	if len(chain) != 2 || !bytes.Equal(chain[1], ca.Cert.Raw) {
		t.Fatalf("served chain has %d certificates, want the leaf then the CA", len(chain))
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := ca.Cert.PublicKey.(*ecdsa.PublicKey).Bytes()
	sum := sha256.Sum256(pub)
	if !bytes.Equal(ca.Cert.SubjectKeyId, sum[:20]) || !bytes.Equal(leaf.AuthorityKeyId, ca.Cert.SubjectKeyId) {
		t.Errorf("CA key id %x (want %x), leaf's authority key id %x", ca.Cert.SubjectKeyId, sum[:20], leaf.AuthorityKeyId)
	}
	if !ca.Cert.IsCA || leaf.IsCA || !bytes.Equal(leaf.RawIssuer, ca.Cert.RawSubject) {
		t.Error("the leaf is not issued by the CA")
	}
	for _, name := range []string{"login.salesforce.com", "mockorg.my.salesforce.com", "localhost", "127.0.0.1", "::1", "10.1.2.3"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: ca.Pool()}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "login.microsoftonline.com", Roots: ca.Pool()}); err == nil {
		t.Error("the leaf is valid for a host not asked for")
	}
	// A handshake, as a client trusting only the CA makes it.
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: ca.Pool(), ServerName: "login.salesforce.com"})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c.Close()
}

// BenchmarkNewCA makes the CA and leaf serve --tls makes at start.
func BenchmarkNewCA(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewCA([]string{"login.salesforce.com", "*.my.salesforce.com"}); err != nil {
			b.Fatal(err)
		}
	}
}
