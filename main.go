// Command aurora-stages synthesizes one Terraform stack per deployment stage,
// each with its own Aurora PostgreSQL Serverless v2 database.
//
// Usage: go run . [stage ...]   (no stage: every configured stage)
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
	configs, err := settings.StageConfigs(os.Args[1:])
	if err != nil {
		fail(err)
	}
	if err := stacks.Synthesize("", configs); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "aurora-stages:", err)
	os.Exit(1)
}
