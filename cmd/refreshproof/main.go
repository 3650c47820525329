// Command refreshproof checks that an OAuth-connected integration component
// refreshes its tokens correctly, against mock Salesforce and Microsoft
// providers. Run "refreshproof --help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/refreshproof/refreshproof/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
