package stagestate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objectVersion is a version or a delete marker in the fake bucket.
type objectVersion struct {
	key, id string
	marker  bool
	// deleted versions stay in the fake, unlisted, so that a listing's
	// markers still name their place, as S3's do.
	deleted bool
}

// fakeS3 is a versioned bucket that lists by prefix, pageSize entries a
// page (versions and delete markers together, as S3 counts them).
type fakeS3 struct {
	bucket   string
	versions []objectVersion
	pageSize int
	lists    int
	failOn   string
}

func (f *fakeS3) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	f.lists++
	if aws.ToString(in.Bucket) != f.bucket {
		return nil, fmt.Errorf("no bucket %s", aws.ToString(in.Bucket))
	}
	start := 0
	if in.KeyMarker != nil {
		start = slices.IndexFunc(f.versions, func(v objectVersion) bool {
			return v.key == aws.ToString(in.KeyMarker) && v.id == aws.ToString(in.VersionIdMarker)
		}) + 1
		if start == 0 {
			return nil, errors.New("the markers name no version of the bucket")
		}
	}
	var matching []objectVersion
	for _, v := range f.versions[start:] {
		if !v.deleted && strings.HasPrefix(v.key, aws.ToString(in.Prefix)) {
			matching = append(matching, v)
		}
	}
	end := min(f.pageSize, len(matching))
	out := &s3.ListObjectVersionsOutput{IsTruncated: aws.Bool(end < len(matching))}
	for _, v := range matching[:end] {
		if v.marker {
			out.DeleteMarkers = append(out.DeleteMarkers, types.DeleteMarkerEntry{Key: aws.String(v.key), VersionId: aws.String(v.id)})
		} else {
			out.Versions = append(out.Versions, types.ObjectVersion{Key: aws.String(v.key), VersionId: aws.String(v.id)})
		}
	}
	if end < len(matching) {
		last := matching[end-1]
		out.NextKeyMarker, out.NextVersionIdMarker = aws.String(last.key), aws.String(last.id)
	}
	return out, nil
}

// DeleteObject removes one version.
func (f *fakeS3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	if in.VersionId == nil {
		return nil, errors.New("a delete without a version id only adds a delete marker")
	}
	key, id := aws.ToString(in.Key), aws.ToString(in.VersionId)
	if key == f.failOn {
		return nil, errors.New("access denied")
	}
	i := slices.IndexFunc(f.versions, func(v objectVersion) bool { return v.key == key && v.id == id && !v.deleted })
	if i < 0 {
		return nil, fmt.Errorf("no version %s of %s", id, key)
	}
	f.versions[i].deleted = true
	return &s3.DeleteObjectOutput{}, nil
}

const (
	stateKey = "movies/pr-1/terraform.tfstate"
	lockKey  = stateKey + ".tflock"
)

// bucketWithNeighbours holds pr-1's state (versions and delete markers) and
// lock, and objects whose keys start like them: pr-10's, and a copy next
// to pr-1's state.
func bucketWithNeighbours() *fakeS3 {
	f := &fakeS3{bucket: "movies-state", pageSize: 2}
	for i := range 5 {
		f.versions = append(f.versions, objectVersion{key: stateKey, id: fmt.Sprintf("state-%d", i), marker: i == 2})
	}
	f.versions = append(f.versions,
		objectVersion{key: stateKey + ".backup", id: "backup-0"},
		objectVersion{key: lockKey, id: "lock-0"},
		objectVersion{key: lockKey, id: "lock-1", marker: true},
		objectVersion{key: lockKey, id: "lock-2"},
		objectVersion{key: "movies/pr-10/terraform.tfstate", id: "pr10-0"},
		objectVersion{key: "movies/pr-10/terraform.tfstate", id: "pr10-1", marker: true},
		objectVersion{key: "movies/pr-10/terraform.tfstate.tflock", id: "pr10-lock"},
	)
	return f
}

func keysLeft(f *fakeS3) []string {
	var left []string
	for _, v := range f.versions {
		if !v.deleted {
			left = append(left, v.key+"@"+v.id)
		}
	}
	return left
}

func TestDeleteRemovesEveryVersionOfExactlyTheKeys(t *testing.T) {
	f := bucketWithNeighbours()
	deleted, err := Delete(context.Background(), f, "movies-state", stateKey, lockKey)
	if err != nil {
		t.Fatal(err)
	}
	if deleted != 8 {
		t.Errorf("deleted %d versions and delete markers, want 8 (5 of the state, 3 of the lock)", deleted)
	}
	want := []string{
		stateKey + ".backup@backup-0",
		"movies/pr-10/terraform.tfstate@pr10-0",
		"movies/pr-10/terraform.tfstate@pr10-1",
		"movies/pr-10/terraform.tfstate.tflock@pr10-lock",
	}
	if left := keysLeft(f); !slices.Equal(left, want) {
		t.Errorf("left in the bucket:\n got %q\nwant %q", left, want)
	}
	// The state's listing (prefix movies/pr-1/terraform.tfstate) holds 9
	// entries, the .backup's and the lock's among them: 5 pages of 2; the
	// lock's 3 entries, 2 pages.
	if f.lists != 7 {
		t.Errorf("listed %d pages, want 7: every page of both keys", f.lists)
	}
}

func TestDeleteOfNothing(t *testing.T) {
	f := &fakeS3{bucket: "movies-state", pageSize: 1000}
	if deleted, err := Delete(context.Background(), f, "movies-state", stateKey, lockKey); err != nil || deleted != 0 {
		t.Errorf("Delete in an empty bucket: %d, %v; want 0 and no error", deleted, err)
	}
}

func TestDeleteReportsWhatFailed(t *testing.T) {
	f := bucketWithNeighbours()
	f.failOn = lockKey
	deleted, err := Delete(context.Background(), f, "movies-state", stateKey, lockKey)
	if err == nil || !strings.Contains(err.Error(), "deleting s3://movies-state/"+lockKey+" version lock-0: access denied") {
		t.Errorf("Delete with the lock undeletable: %v", err)
	}
	if deleted != 5 {
		t.Errorf("Delete counted %d deleted before the failure, want the state's 5", deleted)
	}

	_, err = Delete(context.Background(), f, "other-bucket", stateKey)
	if err == nil || !strings.Contains(err.Error(), "listing the versions of s3://other-bucket/"+stateKey) {
		t.Errorf("Delete in a missing bucket: %v", err)
	}
}
