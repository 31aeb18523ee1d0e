// Package awsconfig gives this project's commands their AWS SDK
// configuration: the usual credential chain (environment, profile, SSO,
// instance role) in the account's region, or, when the settings name a
// local endpoint (DB_LOCAL_ENDPOINT), the emulator there, as the
// synthesized stacks do (stacks/target.go).
package awsconfig

import (
	"context"

	"aurora-stages/stacks"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// localCredentials are the fixed keys an emulator accepts.
const localCredentials = "test"

// Load returns the SDK configuration for the account's settings.
func Load(ctx context.Context, account stacks.AccountSettings) (aws.Config, error) {
	options := []func(*config.LoadOptions) error{config.WithRegion(account.Region)}
	if account.LocalEndpoint != "" {
		options = append(options,
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(localCredentials, localCredentials, "")),
			config.WithBaseEndpoint(account.LocalEndpoint))
	}
	return config.LoadDefaultConfig(ctx, options...)
}

// S3 returns an S3 client; an emulator on one address needs path-style
// bucket addressing.
func S3(cfg aws.Config, account stacks.AccountSettings) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = account.LocalEndpoint != "" })
}
