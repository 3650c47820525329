package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var repoRoot = filepath.Join("..", "..")

// ciFiles are the CI files users copy, include or call.
func ciFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"ci/github/*.yml", "ci/gitlab/*.yml", ".github/workflows/*.yml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			// The project's own release workflow is no template.
			if filepath.Base(f) != "release.yml" {
				files = append(files, f)
			}
		}
	}
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	return files
}

// TestCITemplates keeps ci/ true: every template is YAML, and every flag
// it passes to refreshproof check or report exists.
func TestCITemplates(t *testing.T) {
	help := map[string]string{}
	for _, cmd := range []string{"check", "report"} {
		_, out, _ := run(t, cmd, "--help")
		help[cmd] = out
	}
	flag := regexp.MustCompile(`--[a-z][a-z-]*`)
	// A command line of refreshproof, as the templates write one: directly,
	// as the positional parameters of a shell, or as a bash array.
	call := regexp.MustCompile(`(refreshproof |set -- |args=\()(check|report)\b`)
	checkText := func(t *testing.T, where, text string) int {
		calls := 0
		for _, m := range call.FindAllStringSubmatchIndex(text, -1) {
			calls++
			cmd := text[m[4]:m[5]]
			rest := text[m[1]:]
			if end := strings.Index(rest, ";;"); end >= 0 {
				rest = rest[:end]
			}
			for _, fl := range flag.FindAllString(rest, -1) {
				if !strings.Contains(help[cmd], fl+" ") {
					t.Errorf("%s passes %s to refreshproof %s, which has no such flag", where, fl, cmd)
				}
			}
		}
		return calls
	}
	for _, f := range ciFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dec := yaml.NewDecoder(bytes.NewReader(b))
			var calls int
			for {
				var doc yaml.Node
				if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatalf("not YAML: %v", err)
				}
				var walk func(n *yaml.Node)
				walk = func(n *yaml.Node) {
					if n.Kind == yaml.ScalarNode {
						calls += checkText(t, f, n.Value)
					}
					for _, c := range n.Content {
						walk(c)
					}
				}
				walk(&doc)
			}
			if calls == 0 && !strings.Contains(string(b), "ci/github@") && filepath.Base(f) != "action.yml" {
				t.Error("the template never runs refreshproof check or report, nor the action")
			}
		})
	}
	steps, err := os.ReadFile(filepath.Join(repoRoot, "ci", "github", "steps.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if checkText(t, "steps.sh", string(steps)) == 0 {
		t.Error("steps.sh never runs refreshproof check")
	}
}

// TestCIVersionsAgree: every pinned refreshproof version in the CI files
// and the README is the release the Makefile builds.
func TestCIVersionsAgree(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^VERSION \?= (\S+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile sets no VERSION")
	}
	release := string(m[1])
	pins := []*regexp.Regexp{
		regexp.MustCompile(`refreshproof@v?([0-9][0-9A-Za-z.-]*[0-9A-Za-z])`),
		regexp.MustCompile(`refreshproof/refreshproof/[^@\s]+@v([0-9][0-9A-Za-z.-]*[0-9A-Za-z])`),
		regexp.MustCompile(`refreshproof/v([0-9][0-9.]*[0-9])/ci/`),
		regexp.MustCompile(`(?m)^\s+version:\s*\n(?:\s+\w+:.*\n)*?\s+default: "([^"]+)"`),
		regexp.MustCompile(`latestRelease = "([^"]+)"`),
	}
	files := append(ciFiles(t), filepath.Join(repoRoot, "README.md"), filepath.Join(repoRoot, "ci", "github", "run-local.sh"), filepath.Join(repoRoot, "npm", "refreshproof", "README.md"), "init.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range pins {
			for _, p := range re.FindAllSubmatch(b, -1) {
				if string(p[1]) != release {
					t.Errorf("%s pins %s (%q); the release is %s", f, p[1], p[0], release)
				}
			}
		}
	}
}

// actionlintPath finds actionlint on PATH or where go install puts it.
func actionlintPath() string {
	if p, err := exec.LookPath("actionlint"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, dir := range lines {
		if dir == "" {
			continue
		}
		if i == 1 {
			dir = filepath.Join(dir, "bin")
		}
		if st, err := os.Stat(filepath.Join(dir, "actionlint")); err == nil && !st.IsDir() {
			return filepath.Join(dir, "actionlint")
		}
	}
	return ""
}

// TestActionlint lints the workflows with actionlint, the action included:
// in a copy of the files, the workflows use the action from its local
// path, so actionlint checks their inputs against action.yml, and one more
// workflow passes every input the action declares.
func TestActionlint(t *testing.T) {
	lint := actionlintPath()
	if lint == "" {
		t.Skip("actionlint is not installed (.ci/run installs it with go install)")
	}
	tmp := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", tmp).CombinedOutput(); err != nil {
		t.Skipf("git init: %v %s", err, out)
	}
	wf := filepath.Join(tmp, ".github", "workflows")
	if err := os.MkdirAll(filepath.Join(tmp, "ci", "github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	action, err := os.ReadFile(filepath.Join(repoRoot, "ci", "github", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "ci", "github", "action.yml"), action, 0o644); err != nil {
		t.Fatal(err)
	}
	remote := regexp.MustCompile(`refreshproof/refreshproof/ci/github@\S+`)
	var names []string
	for _, f := range ciFiles(t) {
		if strings.Contains(f, "gitlab") || filepath.Base(f) == "action.yml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !remote.Match(b) && !bytes.Contains(b, []byte("refreshproof report")) {
			t.Errorf("%s neither uses the action nor runs refreshproof", f)
		}
		name := strings.ReplaceAll(strings.TrimPrefix(f, repoRoot+string(filepath.Separator)), string(filepath.Separator), "-")
		names = append(names, name)
		if err := os.WriteFile(filepath.Join(wf, name), remote.ReplaceAll(b, []byte("./ci/github")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The README's workflow snippets, as a user pastes them.
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1) {
		snippet := m[1]
		if !bytes.Contains(snippet, []byte("jobs:")) {
			continue
		}
		if !bytes.Contains(snippet, []byte("\non:")) && !bytes.HasPrefix(snippet, []byte("on:")) {
			snippet = append([]byte("on: push\n"), snippet...)
		}
		name := fmt.Sprintf("readme-%d.yml", i)
		names = append(names, name)
		// The reusable workflow from its copy here, so actionlint checks the
		// inputs passed to it too.
		snippet = bytes.ReplaceAll(snippet, []byte("refreshproof/refreshproof/.github/workflows/refreshproof.yml@v0.1.0"), []byte("./.github/workflows/.github-workflows-refreshproof.yml"))
		if err := os.WriteFile(filepath.Join(wf, name), remote.ReplaceAll(snippet, []byte("./ci/github")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The release workflow, as it is.
	release, err := os.ReadFile(filepath.Join(repoRoot, ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, "release.yml")
	if err := os.WriteFile(filepath.Join(wf, "release.yml"), release, 0o644); err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(action, &meta); err != nil || len(meta.Inputs) == 0 {
		t.Fatalf("action.yml inputs: %v", err)
	}
	every := "on: push\njobs:\n  all-inputs:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./ci/github\n        with:\n"
	for name := range meta.Inputs {
		every += "          " + name + ": \"x\"\n"
	}
	if err := os.WriteFile(filepath.Join(wf, "every-input.yml"), []byte(every), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lint, "-no-color")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint on %v: %v\n%s", names, err, out)
	}

	// And it does find a mistake: an input the action does not have.
	bad := strings.Replace(every, "version:", "versoin:", 1)
	if err := os.WriteFile(filepath.Join(wf, "every-input.yml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(lint, "-no-color")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), `input "versoin" is not defined`) {
		t.Errorf("actionlint missed an unknown input: %v\n%s", err, out)
	}
}

// gitlabTemplate reads ci/gitlab/refreshproof.yml: its spec header and its
// jobs.
func gitlabTemplate(t *testing.T) (spec map[string]map[string]map[string]any, jobs map[string]map[string]any, raw string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "ci", "gitlab", "refreshproof.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&spec); err != nil {
		t.Fatalf("spec header: %v", err)
	}
	if err := dec.Decode(&jobs); err != nil {
		t.Fatalf("jobs: %v", err)
	}
	return spec, jobs, string(b)
}

// TestGitLabTemplate: the template has the keys GitLab requires of an
// included template with inputs (a spec header, then jobs each with a
// script), a JUnit report, and every input it uses is declared and every
// declared one is used.
func TestGitLabTemplate(t *testing.T) {
	spec, jobs, raw := gitlabTemplate(t)
	inputs := spec["spec"]["inputs"]
	if len(inputs) == 0 {
		t.Fatal("no spec:inputs")
	}
	for _, want := range []string{"version", "directory", "provider", "action", "strategy", "config", "args"} {
		if _, ok := inputs[want]; !ok {
			t.Errorf("no input %q", want)
		}
	}
	job, ok := jobs["refreshproof"]
	if !ok || len(jobs) != 1 {
		t.Fatalf("jobs %v, want one named refreshproof", jobs)
	}
	if s, ok := job["script"].([]any); !ok || len(s) == 0 {
		t.Error("the job has no script")
	}
	for _, k := range []string{"stage", "image", "artifacts"} {
		if job[k] == nil {
			t.Errorf("the job has no %s", k)
		}
	}
	art, _ := job["artifacts"].(map[string]any)
	reports, _ := art["reports"].(map[string]any)
	if reports["junit"] == nil || art["when"] != "always" {
		t.Errorf("artifacts %v: want reports:junit, kept always", art)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\[\[\s*inputs\.([a-z-]+)\s*\]\]`).FindAllStringSubmatch(raw, -1) {
		used[m[1]] = true
		if _, ok := inputs[m[1]]; !ok {
			t.Errorf("uses undeclared input %q", m[1])
		}
	}
	for name := range inputs {
		if !used[name] {
			t.Errorf("input %q is declared but never used", name)
		}
	}
}

// packedPackages builds the npm packages for this platform and returns
// the arguments that npm-install them.
func packedPackages(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "./internal/tools/npmpack", "-version", "0.1.0", "-platforms", "host", "-pack", "-out", out)
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	tarballs, err := cmd.Output()
	if err != nil {
		t.Fatalf("npmpack: %v\n%s", err, stderr.String())
	}
	return strings.Join(strings.Fields(string(tarballs)), " ")
}

// copyExample copies an installed example component into dir.
func copyExample(t *testing.T, name, dir string) {
	t.Helper()
	// cp -R keeps node_modules/.bin's symbolic links as links.
	if out, err := exec.Command("cp", "-R", filepath.Join(examples, name), dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
}

// TestCILocal runs the GitHub Action's steps with run-local.sh, and the
// GitLab template's script, against an example component with the npm
// packages built from this tree: the failure becomes exit 1, an ::error
// annotation naming the rule, a job summary and the reports; a check
// that cannot be made is exit 2.
func TestCILocal(t *testing.T) {
	needExamples(t)
	packages := packedPackages(t)
	work := t.TempDir()
	copyExample(t, "sf-drops-refresh-token", filepath.Join(work, "comp"))
	script, err := filepath.Abs(filepath.Join(repoRoot, "ci", "github", "run-local.sh"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	sh := func(env []string, name string, args ...string) (int, string) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%s: %v", name, err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	common := []string{"--packages", packages, "--directory", "comp", "--install-dependencies", "false", "--scenarios", "expired-access-token,valid-token"}

	t.Run("github: a failed rule", func(t *testing.T) {
		runner := filepath.Join(work, "runner")
		code, out := sh([]string{"RP_RUNNER_DIR=" + runner}, script, common...)
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, out)
		}
		if !regexp.MustCompile(`(?m)^::error title=R06 credentials-survive failed::on salesforce/expired-access-token: [^%]+%0A`).MatchString(out) {
			t.Errorf("no ::error annotation for R06:\n%s", out)
		}
		summary, _ := os.ReadFile(filepath.Join(runner, "summary.md"))
		if !strings.Contains(string(summary), "R06") {
			t.Errorf("job summary lacks R06:\n%s", summary)
		}
		outputs, _ := os.ReadFile(filepath.Join(runner, "output"))
		if !strings.Contains(string(outputs), "exit-code=1\n") {
			t.Errorf("outputs %q", outputs)
		}
		for _, f := range []string{"junit.xml", "run.json", "report.md", "report.html"} {
			if st, err := os.Stat(filepath.Join(work, "refreshproof-reports", f)); err != nil || st.Size() == 0 {
				t.Errorf("report %s: %v", f, err)
			}
		}
	})
	t.Run("github: a check that cannot be made", func(t *testing.T) {
		code, out := sh([]string{"RP_RUNNER_DIR=" + filepath.Join(work, "runner2")}, script, append(common, "--provider", "salesforc", "--reports-dir", "r2")...)
		if code != 2 || !strings.Contains(out, "::error title=refreshproof::the check could not be made (exit 2)") || !strings.Contains(out, `did you mean "salesforce"`) {
			t.Errorf("exit %d, want 2 with an ::error\n%s", code, out)
		}
	})
	t.Run("github: a bad flag", func(t *testing.T) {
		if code, out := sh(nil, script, "--versoin", "1"); code != 2 || !strings.Contains(out, "unknown flag --versoin") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
	t.Run("gitlab: the template's script", func(t *testing.T) {
		_, jobs, _ := gitlabTemplate(t)
		spec, _, _ := gitlabTemplate(t)
		values := map[string]string{"packages": packages, "directory": "comp", "install-dependencies": "false", "scenarios": "expired-access-token,valid-token"}
		subst := regexp.MustCompile(`\$\[\[\s*inputs\.([a-z-]+)\s*\]\]`)
		expand := func(s string) string {
			return subst.ReplaceAllStringFunc(s, func(m string) string {
				name := subst.FindStringSubmatch(m)[1]
				if v, ok := values[name]; ok {
					return v
				}
				def, _ := spec["spec"]["inputs"][name].(map[string]any)
				return yamlString(def["default"])
			})
		}
		job := jobs["refreshproof"]
		var env []string
		for k, v := range job["variables"].(map[string]any) {
			env = append(env, k+"="+expand(v.(string)))
		}
		env = append(env, "CI_PROJECT_DIR="+work)
		var lines []string
		for _, l := range job["script"].([]any) {
			lines = append(lines, expand(l.(string)))
		}
		// GitLab runs the script lines in one shell that stops at the
		// first failing line.
		code, out := sh(env, "bash", "-e", "-c", strings.Join(lines, "\n"))
		if code != 1 || !strings.Contains(out, "--- FAIL R06") {
			t.Errorf("exit %d, want 1\n%s", code, out)
		}
		junit := job["artifacts"].(map[string]any)["reports"].(map[string]any)["junit"].(string)
		if b, err := os.ReadFile(filepath.Join(work, junit)); err != nil || !bytes.Contains(b, []byte("[R06]")) {
			t.Errorf("JUnit report %s: %v", junit, err)
		}
	})
}

func yamlString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

// TestRunLocalMatchesAction: run-local.sh runs the action's script steps in
// the action's order, and accepts every input of the action as a flag.
func TestRunLocalMatchesAction(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "ci", "github", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
		Runs   struct {
			Using string `yaml:"using"`
			Steps []struct {
				Run  string            `yaml:"run"`
				Uses string            `yaml:"uses"`
				If   string            `yaml:"if"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using %q", action.Runs.Using)
	}
	local, err := os.ReadFile(filepath.Join(repoRoot, "ci", "github", "run-local.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	uploads := 0
	stepRun := regexp.MustCompile(`^"\$GITHUB_ACTION_PATH/steps\.sh" ([a-z]+)$`)
	for i, s := range action.Runs.Steps {
		if s.Uses != "" {
			uploads++
			if !strings.HasPrefix(s.Uses, "actions/upload-artifact@") || s.If != "always()" {
				t.Errorf("step %d uses %s (if %q); only the upload, always, is expected", i, s.Uses, s.If)
			}
			continue
		}
		m := stepRun.FindStringSubmatch(strings.TrimSpace(s.Run))
		if m == nil {
			t.Errorf("step %d runs %q, not a steps.sh subcommand", i, s.Run)
			continue
		}
		steps = append(steps, m[1])
		if i > 1 && s.If != "always()" {
			t.Errorf("step %s runs only on success; the summary and annotations must run after a failed check", m[1])
		}
	}
	m := regexp.MustCompile(`(?m)^steps=\(([a-z ]+)\)$`).FindSubmatch(local)
	if m == nil {
		t.Fatal("run-local.sh has no steps=(...) list")
	}
	if got := strings.Fields(string(m[1])); !slices.Equal(got, steps) {
		t.Errorf("run-local.sh runs %v, the action %v", got, steps)
	}
	if uploads != 1 {
		t.Errorf("%d upload steps, want 1", uploads)
	}
	for name := range action.Inputs {
		if !strings.Contains(string(local), "--"+name+")") {
			t.Errorf("run-local.sh has no flag --%s for the input", name)
		}
		if !strings.Contains(string(b), "inputs."+name+" }}") {
			t.Errorf("input %s is never used", name)
		}
	}
}

// TestAnnotations: the action turns a run record into one ::error per
// failed rule and one ::warning per warned rule (status warned, or
// warnings on a result), escaped as workflow commands must be.
func TestAnnotations(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	record := `{"rules":[{"id":"R05","name":"entire-update-keys"},{"id":"R10","name":"transient-refresh-failure"},{"id":"R14","name":"secrets-stay-secret"}],
"results":[
 {"ruleId":"R05","scenario":"salesforce/rotation","status":"failed","message":"lost 100% of\nthe keys"},
 {"ruleId":"R05","scenario":"salesforce/expired-access-token","status":"failed","message":"again"},
 {"ruleId":"R10","scenario":"salesforce/refresh-503","status":"warned","summary":"retried at once.","message":"details"},
 {"ruleId":"R14","scenario":"salesforce/valid-token","status":"passed","warnings":["token in a log line"]},
 {"ruleId":"R01","scenario":"salesforce/valid-token","status":"passed"}],
"errors":[{"scenario":"salesforce/x","error":"could not start"}]}`
	path := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(path, []byte(record), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", filepath.Join(repoRoot, "ci", "github", "annotate.js"), path).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []string{
		"::error title=R05 entire-update-keys failed::on 2 scenarios (salesforce/rotation, salesforce/expired-access-token)%0Alost 100%25 of%0Athe keys",
		"::warning title=R10 transient-refresh-failure warned::on salesforce/refresh-503: retried at once.%0Adetails",
		"::warning title=R14 secrets-stay-secret warned::on salesforce/valid-token%0Atoken in a log line",
		"::error title=scenario salesforce/x could not run::could not start",
	}
	if got := strings.Split(strings.TrimSpace(string(out)), "\n"); !slices.Equal(got, want) {
		t.Errorf("annotations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte("{"), 0o644)
	if out, err := exec.Command("node", filepath.Join(repoRoot, "ci", "github", "annotate.js"), bad).CombinedOutput(); err == nil || !strings.Contains(string(out), "annotate: ") {
		t.Errorf("a broken record: %v %s", err, out)
	}
}
