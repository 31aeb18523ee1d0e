// Package awsconfig gives this project's commands their AWS SDK
// configuration: the usual credential chain (environment, profile, SSO,
// instance role), or, when the settings name a local endpoint
// (DB_LOCAL_ENDPOINT), the emulator there, as the synthesized stacks do
// (stacks/target.go).
package awsconfig

import (
	"context"
	"fmt"

	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Load returns the SDK configuration for a region of the account: the
// stage's region for what a stage deployed (cfg.Region), the account's for
// the state bucket.
func Load(ctx context.Context, account settings.AccountSettings, region string) (aws.Config, error) {
	options := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if account.LocalEndpoint != "" {
		options = append(options,
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(settings.LocalCredentials, settings.LocalCredentials, "")),
			config.WithBaseEndpoint(account.LocalEndpoint))
	}
	return config.LoadDefaultConfig(ctx, options...)
}

// StateBucket returns an S3 client for the state bucket as the stacks' S3
// backend reaches it: in the account's region, through StateRoleARN when
// that is set (under the backend's session name), path-style on an
// emulator.
func StateBucket(ctx context.Context, account settings.AccountSettings) (*s3.Client, error) {
	cfg, err := Load(ctx, account, account.Region)
	if err != nil {
		return nil, err
	}
	if account.StateRoleARN != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), account.StateRoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = account.StateSessionName() }))
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = account.LocalEndpoint != "" }), nil
}

// Stage returns the SDK configuration a stage's deploy works with: the
// stage's region, through its AssumeRoleARN when that is set, under the
// session name its provider uses.
func Stage(ctx context.Context, cfg settings.StageConfig) (aws.Config, error) {
	awsCfg, err := Load(ctx, cfg.Account, cfg.Region)
	if err != nil || cfg.AssumeRoleARN == "" {
		return awsCfg, err
	}
	awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), cfg.AssumeRoleARN,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = cfg.SessionName() }))
	return awsCfg, nil
}

// StageAccount is the account the stage's credentials reach (Stage), as
// AWS says.
func StageAccount(ctx context.Context, cfg settings.StageConfig) (string, error) {
	awsCfg, err := Stage(ctx, cfg)
	if err != nil {
		return "", err
	}
	identity, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("which account do the credentials of stage %s reach? %w", cfg.Stage, err)
	}
	return aws.ToString(identity.Account), nil
}
