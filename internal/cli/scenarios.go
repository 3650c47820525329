package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/refreshproof/refreshproof/scenarios"
)

func newScenariosCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "scenarios",
		Short: "List, show and validate scenarios",
		Long: `A scenario is a situation a component must survive: the provider, the account's
initial tokens, the token policy (lifetime, rotation), scripted faults, and the
steps a run drives (messages, container restarts, clock advances). The built-in
catalogue covers the usual ones; your own are YAML files (see "scenarios show"
for examples and scenarios/schema.json for the format).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(newScenariosListCmd(s), newScenariosShowCmd(s), newScenariosValidateCmd(s))
	return c
}

func newScenariosListCmd(s *streams) *cobra.Command {
	var provider, output, labels string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			list := scenarios.Catalogue()
			if provider != "" {
				if !slices.Contains(scenarios.Providers, provider) {
					// The same check, and did-you-mean, as serve's.
					_, err := resolveScenario(provider, "")
					return err
				}
				var keep []*scenarios.Scenario
				for _, sc := range list {
					if sc.Provider == provider {
						keep = append(keep, sc)
					}
				}
				list = keep
			}
			if labels != "" {
				var err error
				if list, err = scenarios.Select(list, nil, labels); err != nil {
					return usageErr("%v", err)
				}
			}
			switch output {
			case "json":
				type row struct {
					Provider    string   `json:"provider"`
					Name        string   `json:"name"`
					Labels      []string `json:"labels"`
					Description string   `json:"description"`
				}
				rows := make([]row, 0, len(list))
				for _, sc := range list {
					rows = append(rows, row{sc.Provider, sc.Name, sc.Labels, sc.Description})
				}
				b, _ := json.MarshalIndent(rows, "", "  ")
				fmt.Fprintf(s.out, "%s\n", b)
			case "text":
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PROVIDER\tNAME\tLABELS\tDESCRIPTION")
				for _, sc := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sc.Provider, sc.Name, strings.Join(sc.Labels, ","), firstSentence(sc.Description))
				}
				tw.Flush()
			default:
				return usageErr("--output must be text or json, not %q", output)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&provider, "provider", "p", "", "only this provider's scenarios")
	c.Flags().StringVarP(&labels, "label-filter", "l", "", `only scenarios whose labels match, e.g. "rotation && !restart"`)
	c.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return c
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

func newScenariosShowCmd(s *streams) *cobra.Command {
	var provider string
	c := &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Print a scenario's YAML",
		Long:  "show prints a built-in scenario (or a file) as YAML; a good start for your own.",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ref := args[0]
			if provider == "" && !looksLikeFile(ref) {
				if p, name, ok := strings.Cut(ref, "/"); ok && slices.Contains(scenarios.Providers, p) {
					provider, ref = p, name
				} else {
					// A name unique across providers needs no --provider.
					var found []*scenarios.Scenario
					for _, sc := range scenarios.Catalogue() {
						if sc.Name == ref {
							found = append(found, sc)
						}
					}
					switch len(found) {
					case 1:
						provider = found[0].Provider
					case 0:
						provider = "salesforce" // Builtin's error then lists close names
					default:
						return usageErr("scenario %q exists for several providers; pass --provider or write PROVIDER/NAME", ref)
					}
				}
			}
			sc, err := resolveScenario(provider, ref)
			if err != nil {
				return err
			}
			text, err := scenarios.Text(sc)
			if err != nil {
				return usageErr("%v", err)
			}
			fmt.Fprintf(s.out, "# %s\n%s", sc.Source, text)
			return nil
		},
	}
	c.Flags().StringVarP(&provider, "provider", "p", "", "the provider of a built-in scenario NAME")
	return c
}

func newScenariosValidateCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files; exit 1 if any is invalid",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			bad := 0
			for _, f := range args {
				sc, err := scenarios.Load(f)
				if err == nil {
					_, _, err = sc.Build()
				}
				if err != nil {
					bad++
					fmt.Fprintf(s.out, "%s\n", err)
					continue
				}
				fmt.Fprintf(s.out, "ok %s (%s/%s, %d rules, %d steps)\n", f, sc.Provider, sc.Name, len(sc.Rules), len(sc.Steps))
			}
			if bad > 0 {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%d of %d scenario files are invalid", bad, len(args))}
			}
			return nil
		},
	}
}
