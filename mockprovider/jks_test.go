package mockprovider

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteJKSReadByKeytool(t *testing.T) {
	keytool, err := exec.LookPath("keytool")
	if err != nil {
		t.Skip("keytool is not installed")
	}
	ca, err := NewCA(nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.jks")
	if err := ca.WriteJKS(path, "changeit"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(keytool, "-list", "-keystore", path, "-storepass", "changeit", "-storetype", "JKS").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "refreshproof-mock-ca") || !strings.Contains(string(out), "trustedCertEntry") {
		t.Fatalf("keytool: %v\n%s", err, out)
	}
	if out, err := exec.Command(keytool, "-list", "-keystore", path, "-storepass", "wrong-pass", "-storetype", "JKS").CombinedOutput(); err == nil {
		t.Fatalf("keytool accepted a wrong password:\n%s", out)
	}
}
