// Command aurora-stages synthesizes one Terraform stack per deployment stage,
// each with its own Aurora PostgreSQL Serverless v2 database.
//
// Usage: go run . [stage ...]   (no stage: every configured stage)
package main

import (
	"fmt"
	"os"

	"aurora-stages/stacks"

	"github.com/hashicorp/terraform-cdk-go/cdktf"
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
	if err := synthesize(configs); err != nil {
		fail(err)
	}
}

// synthesize writes cdktf.out/stacks/<stage>/cdk.tf.json for each stage.
// jsii reports errors from the Node.js side as panics; they become an error
// here so the user reads one message instead of a stack trace.
func synthesize(configs []stacks.StageConfig) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	app := cdktf.NewApp(nil)
	for _, cfg := range configs {
		stacks.NewDatabaseStack(app, cfg)
	}
	app.Synth()
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "aurora-stages:", err)
	os.Exit(1)
}
