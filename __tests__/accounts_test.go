package tests

// Stages in accounts of their own, against a local AWS. moto accepts any
// role for AssumeRole and reports the account 123456789012.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A stage whose provider assumes a role, held to moto's account, deploys
// (a step of TestLocalStageInTheTeamsVPC, whose stage does both); the role
// was assumed under a session that names the stage and deployer.
func expectDeployedThroughItsRole(t *testing.T, p *project) {
	p.expectOneDatabase("dev")
	var sessions []string
	for _, call := range p.emulator.STSCalls("AssumeRole") {
		if call.Get("RoleArn") == "arn:aws:iam::123456789012:role/deploy/aurora-stages" {
			sessions = append(sessions, call.Get("RoleSessionName"))
		}
	}
	if len(sessions) == 0 || !slices.Contains(sessions, "aurora-stages-dev-tester") {
		t.Errorf("AssumeRole sessions of the stage's role: %q, want aurora-stages-dev-tester", sessions)
	}
}

// A stage held to another account stops before anything is created, with
// Terraform's own error, and the bucket holds only what it held before.
func TestLocalStageRefusesAnotherAccount(t *testing.T) {
	p := newProject(t, `{"dev": {"accountId": "111122223333"}}`)
	p.createStateBucket()
	before := p.bucketKeys()

	out, err := p.cdktf("deploy", "dev", "--auto-approve")
	if err == nil {
		t.Fatalf("deploy with credentials of account 123456789012 to a stage held to 111122223333 succeeded:\n%s", tail(out, 30))
	}
	words := strings.Join(strings.Fields(strings.ReplaceAll(out, "│", " ")), " ")
	if !strings.Contains(words, "AWS account ID not allowed: 123456789012") {
		t.Errorf("deploy to another account: want Terraform's refusal naming the account:\n%s", tail(out, 30))
	}
	clusters, err := p.emulator.RDS().DescribeDBClusters(localaws.Context(t), &rds.DescribeDBClustersInput{})
	if err != nil || len(clusters.DBClusters) != 0 {
		t.Errorf("clusters after the refused deploy: %d (err %v), want none", len(clusters.DBClusters), err)
	}
	if after := p.bucketKeys(); !slices.Equal(after, before) {
		t.Errorf("the state bucket held %q and holds %q after the refused deploy", before, after)
	}
}

// bucketKeys lists the state bucket's objects.
func (p *project) bucketKeys() []string {
	p.t.Helper()
	out, err := p.emulator.S3().ListObjectsV2(localaws.Context(p.t), &s3.ListObjectsV2Input{Bucket: aws.String(lifecycleBucket)})
	if err != nil {
		p.t.Fatal(err)
	}
	var keys []string
	for _, object := range out.Contents {
		keys = append(keys, aws.ToString(object.Key))
	}
	return keys
}

// With the state in another account (stateRoleArn), unlock reaches the
// lock through that role, under the backend's session name, as a deploy
// reaches the state: the caller's own credentials may not touch the bucket.
func TestLocalUnlockAssumesTheStateRole(t *testing.T) {
	p := newProject(t, `{"dev": {}}`)
	const role = "arn:aws:iam::123456789012:role/terraform-state"
	config := `{"language": "go", "app": "` + p.app + `", "context": {"service": "movies", "region": "us-east-1",
	  "stateBucket": "` + lifecycleBucket + `", "stateRoleArn": "` + role + `", "stages": {"dev": {}}}}`
	if err := os.WriteFile(filepath.Join(p.dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := localaws.Context(t)
	bucket := p.emulator.S3()
	if _, err := bucket.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(lifecycleBucket)}); err != nil {
		t.Fatal(err)
	}
	lock := `{"ID": "2f4e9c1a-0000-4000-8000-000000000001", "Operation": "OperationTypeApply", "Who": "ci@runner", "Version": "1.11.4", "Created": "2026-11-28T08:00:00Z"}`
	if _, err := bucket.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(lifecycleBucket), Key: aws.String("movies/dev/terraform.tfstate.tflock"), Body: strings.NewReader(lock)}); err != nil {
		t.Fatal(err)
	}

	out, err := p.run("", goBinary(t, "./cmd/unlock"), "--stage", "dev", "--force")
	if err != nil || !strings.Contains(out, "Removed the lock 2f4e9c1a-0000-4000-8000-000000000001.") {
		t.Fatalf("unlock --force: %v\n%s", err, out)
	}
	if keys := p.bucketKeys(); len(keys) != 0 {
		t.Errorf("the bucket still holds %q", keys)
	}
	var sessions []string
	for _, call := range p.emulator.STSCalls("AssumeRole") {
		if call.Get("RoleArn") == role {
			sessions = append(sessions, call.Get("RoleSessionName"))
		}
	}
	if !slices.Equal(sessions, []string{"aurora-stages-state-tester"}) {
		t.Errorf("AssumeRole sessions of the state role: %q, want one, aurora-stages-state-tester", sessions)
	}
}
