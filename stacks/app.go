package stacks

import (
	"fmt"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// Synthesize writes <outdir>/stacks/<id>/cdk.tf.json for each stack; an
// empty outdir means cdktf's default (cdktf.out, or what the cdktf CLI sets).
// jsii reports errors from its Node.js side as panics; they come back as an
// error here, so a user reads one message instead of a stack trace.
func Synthesize(outdir string, stacks *Stacks) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesis failed: %v", r)
		}
	}()
	appConfig := &cdktf.AppConfig{}
	if outdir != "" {
		appConfig.Outdir = jsii.String(outdir)
	}
	app := cdktf.NewApp(appConfig)
	if stacks.Bootstrap != nil {
		NewBootstrapStack(app, *stacks.Bootstrap)
	}
	for _, cfg := range stacks.Stages {
		NewDatabaseStack(app, cfg)
	}
	app.Synth()
	return nil
}
