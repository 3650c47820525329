// Package cli is the refreshproof command line. Run is its whole surface,
// so tests drive the commands exactly as a user does.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	ExitOK     = 0
	ExitFailed = 1 // a check or validation found problems
	ExitUsage  = 2 // the run could not be made: bad flags, input or set-up
)

// exitError carries an exit code with the message for the user.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

type streams struct {
	in       io.Reader
	out, err io.Writer
}

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &streams{in: stdin, out: stdout, err: stderr}
	root := &cobra.Command{
		Use:   "refreshproof",
		Short: "Check that an integration component refreshes OAuth tokens correctly",
		Long: `refreshproof runs an OAuth-connected integration component against mock
Salesforce and Microsoft providers and judges how it handles token refresh:
refresh once on 401, hand the platform the entire token response, replay the
request once, and fail cleanly when the refresh itself fails.

Exit codes: 0 success, 1 a check or validation failed, 2 the run could not be
made (bad flags, bad input), with the reason and the fix.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	root.AddCommand(newInitCmd(s), newCheckCmd(s), newRulesCmd(s), newReportCmd(s), newServeCmd(s), newRunCmd(s), newScenariosCmd(s), newVersionCmd(s))
	root.CompletionOptions.HiddenDefaultCmd = true

	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	code := ExitUsage
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(stderr, "refreshproof:", msg)
	}
	return code
}
