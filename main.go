// Command aurora-stages synthesizes one Terraform stack per deployment stage,
// each with its own Aurora PostgreSQL Serverless v2 database, and the
// bootstrap stack that creates the bucket holding their state.
//
// Usage: go run . [stack ...]   (no stack: bootstrap and every stage)
package main

import (
	"fmt"
	"os"

	"aurora-stages/stacks"
)

func main() {
	settings, err := stacks.LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		fail(err)
	}
	resolved, err := settings.Resolve(os.Args[1:])
	if err != nil {
		fail(err)
	}
	if err := stacks.Synthesize("", resolved); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "aurora-stages:", err)
	os.Exit(1)
}
