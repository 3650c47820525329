package suites_test

import (
	"context"
	"fmt"

	"github.com/refreshproof/refreshproof/harness"
	"github.com/refreshproof/refreshproof/scenarios"
	"github.com/refreshproof/refreshproof/suites"
)

func ExampleLookup() {
	r, _ := suites.Lookup("R05")
	fmt.Println(r.Title())
	fmt.Println(r.Requirement)
	fmt.Println(r.Doc)
	// Output:
	// [R05] entire-update-keys
	// after each successful refresh, hands the platform exactly one updateKeys that contains every field of the token response, unchanged, under the credential field
	// docs/rules.md#r05-entire-update-keys
}

// Judge a component on one built-in scenario and print what failed.
func ExampleJudge() {
	c, err := harness.LoadComponent("../examples/sf-drops-refresh-token")
	if err != nil {
		return
	}
	sc, _ := scenarios.Builtin("salesforce", "refresh-token-omitted")
	tr, err := harness.Run(context.Background(), c, sc)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range suites.Judge(tr, c.Strategy) {
		if v.Status == suites.Failed {
			fmt.Println(v.Message())
		}
	}
}
