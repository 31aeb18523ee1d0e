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

	"github.com/aws/jsii-runtime-go"
)

func main() {
	jsiiruntime.Setup()
	err := run(os.Args[1:])
	if jsiiruntime.Interrupted() {
		fmt.Fprintln(os.Stderr, "aurora-stages: interrupted")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "aurora-stages:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	// Stops jsii's Node.js child and removes the folder it unpacked its
	// runtime into, which would otherwise stay behind in the temp directory.
	defer jsii.Close()
	settings, err := stacks.LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		return err
	}
	resolved, err := settings.Resolve(args)
	if err != nil {
		return err
	}
	return stacks.Synthesize("", resolved)
}
