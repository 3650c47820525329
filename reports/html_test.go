package reports

import (
	"bytes"
	"context"
	"flag"
	"html"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var screenshots = flag.String("screenshots", "", "directory to keep the HTML report and its Chromium screenshots in (default: a temporary one)")

func TestHTMLGolden(t *testing.T) {
	golden(t, "report.html.golden", render(t, func(b *bytes.Buffer) error { return WriteHTML(b, sampleRecord()) }))
}

func TestHTMLSelfContained(t *testing.T) {
	page := string(render(t, func(b *bytes.Buffer) error { return WriteHTML(b, sampleRecord()) }))
	for _, re := range []string{
		`(?i)<link\b`, `(?i)<script\b[^>]*\bsrc\s*=`, `(?i)<(img|iframe|embed|object|source|video|audio)\b`,
		`(?i)url\(\s*['"]?\s*(https?:)?//`, `(?i)@import`, `(?i)@font-face`, `(?i)\bsrc\s*=\s*['"]?\s*(https?:)?//`,
	} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the page loads a resource (%q matches %s); it must be self-contained", m, re)
		}
	}
	// Trace text is escaped, never markup.
	if !strings.Contains(page, "rotate on every refresh &amp; reuse") {
		t.Error("the scenario's description is not HTML-escaped")
	}
	if !strings.Contains(page, `cfg&#39;s &lt;oauth&gt; field`) {
		t.Error("the failure message is not HTML-escaped")
	}
}

const chromium = "/usr/bin/chromium"

// runChromium runs headless Chromium on page with a window of the given
// width and returns its standard output.
func runChromium(t *testing.T, width int, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir(), "--window-size=" + strconv.Itoa(width) + ",2400"}
	cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestHTMLInChromium renders the report in headless Chromium at laptop and
// phone widths, checks what is on the page, and that the phone layout
// does not scroll sideways.
func TestHTMLInChromium(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("Chromium not installed (apt-get install -y chromium)")
	}
	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, _ = filepath.Abs(dir)
	page := render(t, func(b *bytes.Buffer) error { return WriteHTML(b, sampleRecord()) })
	report := filepath.Join(dir, "report.html")
	if err := os.WriteFile(report, page, 0o644); err != nil {
		t.Fatal(err)
	}
	// A copy with a probe that records the layout's width in the DOM; the
	// report itself has no script.
	probe := bytes.Replace(page, []byte("</body>"), []byte(`<script>
window.addEventListener("load", function () {
  var d = document.documentElement, wide = [];
  document.querySelectorAll("body *").forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > d.clientWidth + 1 && !e.closest(".scroll")) wide.push(e.tagName + "." + e.className);
  });
  d.setAttribute("data-layout", d.scrollWidth + "/" + d.clientWidth + " " + wide.slice(0, 5).join(","));
});
</script></body>`), 1)
	probed := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probed, probe, 0o644); err != nil {
		t.Fatal(err)
	}

	dom := string(runChromium(t, 1280, "--dump-dom", "file://"+report))
	text := regexp.MustCompile(`</?(span|a|strong)\b[^>]*>`).ReplaceAllString(dom, "")
	text = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(text, " ")
	text = strings.Join(strings.Fields(html.UnescapeString(text)), " ")
	for _, want := range []string{
		"failed refreshproof: FAILED: 1 of 5 rules failed (2 scenarios, 1 could not run)",
		"Component sf-query-on401 1.0.0", "Provider salesforce", "Strategy on-401",
		"✗ failed R07 uses-rotated-refresh-token",
		"✗ [R07] uses-rotated-refresh-token on salesforce/rotation",
		"The component presented refresh token RT#1 in message 2 (#6)",
		"Fix: keep the newest tokens in memory per account and use them instead of cfg's <oauth> field.",
		"6 +1.120s Component → Token endpoint POST /services/oauth2/token login.salesforce.com 400 invalid_grant sent RT#1, rotated",
		"2 +0.130s Component → Token endpoint POST /services/oauth2/token login.salesforce.com 200 sent RT#1; issued AT#2, RT#2",
		"message 2, container 1: error",
		"Component ⇢ Platform emit error: Token refresh failed",
		"salesforce/token-endpoint-down",
		"salesforce/expired-access-token: 1 passed, 0 failed, 0 warned, 2 skipped",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	if n := strings.Count(dom, `class="exchange evidence"`); n != 4 {
		t.Errorf("%d highlighted evidence rows, want 4 (#2 and #6 in the failure's timeline, and again in the scenario's)", n)
	}
	if !regexp.MustCompile(`<details class="scenario" id="scenario-salesforce-rotation">`).MatchString(dom) {
		t.Error("no collapsible section for salesforce/rotation")
	}

	for _, width := range []int{1280, 390} {
		out := string(runChromium(t, width, "--dump-dom", "file://"+probed))
		m := regexp.MustCompile(`data-layout="(\d+)/(\d+) ([^"]*)"`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("width %d: the layout probe did not run", width)
		}
		if m[1] != m[2] || m[3] != "" {
			t.Errorf("width %d: the page is %s px wide in a %s px viewport (too wide: %s)", width, m[1], m[2], m[3])
		}
		shot := filepath.Join(dir, "report-"+strconv.Itoa(width)+".png")
		runChromium(t, width, "--screenshot="+shot, "file://"+report)
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("screenshot %s: %v", shot, err)
		}
		if w := img.Bounds().Dx(); w != width {
			t.Errorf("screenshot %s is %d px wide, want %d", shot, w, width)
		}
		t.Logf("screenshot at %d px: %s", width, shot)
	}
}
