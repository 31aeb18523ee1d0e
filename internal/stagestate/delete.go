// Package stagestate removes a disposable stage's Terraform state from the
// state bucket once the stage is destroyed: a preview whose pull request
// closed, a restore drill. What stays behind in a versioned bucket (old
// versions, delete markers) would otherwise be kept, and billed, until the
// bucket's lifecycle rule expires it.
package stagestate

import (
	"context"
	"fmt"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// API is the part of the S3 client Delete uses.
type API interface {
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// DeleteStage deletes every version of a stage's state and lock objects,
// reaching the bucket as the stage's S3 backend does.
func DeleteStage(ctx context.Context, cfg settings.StageConfig) (int, error) {
	bucket, err := awsconfig.StateBucket(ctx, cfg.Account)
	if err != nil {
		return 0, err
	}
	return Delete(ctx, bucket, cfg.Account.StateBucket, cfg.StateKey(), cfg.LockKey())
}

// Delete deletes every version and delete marker of the given keys, and
// returns how many it deleted. Keys that share a prefix with another
// stage's (pr-1 and pr-10) are matched exactly.
func Delete(ctx context.Context, api API, bucket string, keys ...string) (int, error) {
	deleted := 0
	for _, key := range keys {
		input := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)}
		for {
			page, err := api.ListObjectVersions(ctx, input)
			if err != nil {
				return deleted, fmt.Errorf("listing the versions of s3://%s/%s: %w", bucket, key, err)
			}
			var versions []*string
			for _, v := range page.Versions {
				if aws.ToString(v.Key) == key {
					versions = append(versions, v.VersionId)
				}
			}
			for _, m := range page.DeleteMarkers {
				if aws.ToString(m.Key) == key {
					versions = append(versions, m.VersionId)
				}
			}
			for _, version := range versions {
				if _, err := api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: version}); err != nil {
					return deleted, fmt.Errorf("deleting s3://%s/%s version %s: %w", bucket, key, aws.ToString(version), err)
				}
				deleted++
			}
			if !aws.ToBool(page.IsTruncated) {
				break
			}
			input.KeyMarker, input.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
		}
	}
	return deleted, nil
}
