package suites

import "testing"

// TestKeysDiff: R05's message shows the expected keys against the emitted
// ones as JSON, marking what is missing, what changed and what only the
// emit has.
func TestKeysDiff(t *testing.T) {
	want := map[string]any{"access_token": "[AT#2]", "refresh_token": "[RT#2]", "expires_in": float64(3599), "note": "a<b&c"}
	got := map[string]any{"access_token": "[AT#2]", "expires_in": "3599", "extra": true, "note": "a<b&c"}
	const expect = `  "auth.oauth2.keys": {
      "access_token": "[AT#2]"
-     "expires_in": 3599
+     "expires_in": "3599"
+     "extra": true
      "note": "a<b&c"
-     "refresh_token": "[RT#2]"
  }
`
	if d := keysDiff("auth.oauth2.keys", want, got); d != expect {
		t.Errorf("keysDiff:\n%s\nwant:\n%s", d, expect)
	}
}
