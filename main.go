// Command aurora-stages synthesizes one Terraform stack per deployment stage,
// each with its own Aurora PostgreSQL Serverless v2 database, and the
// bootstrap stack that creates the bucket holding their state.
//
// Usage: go run . [stack ...]   (no stack: bootstrap and every stage)
package main

import (
	"fmt"
	"os"

	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/stacks"
)

func main() {
	jsiiruntime.Setup()
	code := 0
	if err := run(os.Args[1:]); err != nil && !jsiiruntime.Interrupted() {
		fmt.Fprintln(os.Stderr, "aurora-stages:", err)
		code = 1
	}
	jsiiruntime.Exit("aurora-stages", code)
}

func run(args []string) error {
	settings, err := stacks.LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		return err
	}
	resolved, err := settings.Resolve(args)
	if err != nil {
		return err
	}
	for _, warning := range resolved.Warnings {
		fmt.Fprintln(os.Stderr, "aurora-stages: warning:", warning)
	}
	return stacks.Synthesize("", resolved, func(stack, path string) {
		fmt.Printf("%s: %s\n", stack, path)
	})
}
