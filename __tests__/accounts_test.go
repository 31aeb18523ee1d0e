package tests

// Stages in accounts of their own, against a local AWS. moto accepts any
// role for AssumeRole and reports the account 123456789012.

import (
	"slices"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A stage whose provider assumes a role, held to moto's account, deploys;
// the role was assumed under a session that names the stage and deployer.
func TestLocalStageDeploysThroughItsRole(t *testing.T) {
	p := newProject(t, `{"dev": {"accountId": "123456789012", "assumeRoleArn": "arn:aws:iam::123456789012:role/deploy/aurora-stages"}}`)
	p.deploy("bootstrap")
	p.deploy("dev")
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
	p.deploy("bootstrap")
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
