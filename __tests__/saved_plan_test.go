package tests

// Saved plans and drift against the emulator, as steps of the deploys of
// TestLocalDevLifeCycle and TestLocalProduction: a plan reviewed with
// --save is applied by cmd/apply exactly as saved, a plan made stale by a
// deploy in between is refused with nothing changed, and a change made
// with the SDK behind Terraform's back is seen by make drift, flagged by
// the review and reverted by applying the reviewed plan.

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// runApply runs cmd/apply in the project folder.
func runApply(t *testing.T, p *project, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(goBinary(t, "./cmd/apply"), args...)
	cmd.Dir, cmd.Env = p.dir, p.env()
	code, stdout, stderr := runCommand(t, cmd)
	return stdout + stderr, code
}

// expectNoSecretInFolder searches every file of a saved plan's folder for
// the stage's master password and for its secret's value as a client reads
// it.
func expectNoSecretInFolder(t *testing.T, p *project, stage, dir string) {
	t.Helper()
	out, err := p.emulator.SecretsManager().GetSecretValue(localaws.Context(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String("movies-" + stage + "-credentials")})
	if err != nil {
		t.Fatal(err)
	}
	secretString := aws.ToString(out.SecretString)
	password, sent := p.emulator.LastMasterPassword("main-movies-" + stage + "-cluster")
	if !sent || password == "" || !strings.Contains(secretString, password) {
		t.Fatalf("the cluster's password (sent: %v) is not in the secret: nothing to search for", sent)
	}
	files := 0
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if strings.Contains(string(data), password) {
			t.Errorf("%s holds the cluster's master password", path)
		}
		if strings.Contains(string(data), secretString) {
			t.Errorf("%s holds the secret's value", path)
		}
		return nil
	})
	if err != nil || files < 6 {
		t.Errorf("searched %d files of %s (%v); want the saved plan's six at least", files, dir, err)
	}
}

// savedPlanSteps are TestLocalDevLifeCycle's steps around its rotation: a
// plan saved before it, refused after it as stale, and a new one applied.
func savedPlanSteps(rotation deployStep) []deployStep {
	var stale string
	return []deployStep{
		{"a plan saved by the review", func(t *testing.T, p *project) {
			// In the project folder: a subtest's temporary folder goes with it.
			stale = filepath.Join(p.dir, "saved-plan-before-the-rotation")
			p.setStages(`{"dev": {"maxCapacity": 8}}`)
			out, exit := runReview(t, p.dir, p.env(), "--stage", "dev", "--save", stale)
			if exit != 0 || !strings.Contains(out, "Saved plan of stage dev (account 123456789012, region us-east-1), planned at ") ||
				!strings.Contains(out, "against the state's serial ") || !strings.Contains(out, "max_capacity") {
				t.Fatalf("review --save: exit %d, want 0, the saved plan's header and the capacity's change:\n%s", exit, tail(out, 30))
			}
			expectNoSecretInFolder(t, p, "dev", stale)
		}},
		rotation,
		{"the saved plan, stale after the rotation, refused", func(t *testing.T, p *project) {
			if stale == "" {
				t.Fatal("no plan was saved")
			}
			password := p.secretValue("movies-dev-credentials")["password"].(string)
			versions := p.secretVersions("movies-dev-credentials")
			out, exit := runApply(t, p, "--stage", "dev", "--plan", stale)
			if exit != 1 || !strings.Contains(out, "apply: the saved plan is stale: stage dev's state moved since the plan was made") ||
				!strings.Contains(out, "nothing was applied") || !strings.Contains(out, `make review STAGE=dev ARGS="--save <folder>"`) {
				t.Errorf("apply of a stale plan: exit %d, want 1 and the refusal saying what to do:\n%s", exit, tail(out, 20))
			}
			if strings.Contains(out, "Apply complete") {
				t.Errorf("terraform applied the stale plan:\n%s", tail(out, 20))
			}
			if c := p.cluster("main-movies-dev-cluster"); c.maxACU != 4 {
				t.Errorf("after the refused apply the cluster scales to %v ACU, want 4 as deployed", c.maxACU)
			}
			if after := p.secretValue("movies-dev-credentials")["password"].(string); after != password {
				t.Errorf("the refused apply changed the password")
			}
			if after := p.secretVersions("movies-dev-credentials"); !mapsOfSlicesEqual(after, versions) {
				t.Errorf("the refused apply changed the secret's versions: %v -> %v", versions, after)
			}
			p.expectSecretMatchesCluster("dev")
		}},
		{"a saved plan applied as reviewed, then nothing to do", func(t *testing.T, p *project) {
			dir := filepath.Join(t.TempDir(), "saved-plan")
			p.setStages(`{"dev": {"maxCapacity": 8, "credentialsVersion": 2}}`)
			review, exit := runReview(t, p.dir, p.env(), "--stage", "dev", "--save", dir)
			// The cluster alone: the access policy, whose document names
			// the cluster, is not planned again with it.
			if exit != 0 || !strings.Contains(review, "Plan for stage dev: 0 to create, 1 to update in place, 0 to replace, 0 to delete") ||
				!strings.Contains(review, "~ aws_rds_cluster.cluster (update in place)") {
				t.Fatalf("review --save: exit %d, want 0 and the cluster updated in place:\n%s", exit, tail(review, 30))
			}
			out, exit := runApply(t, p, "--stage", "dev", "--plan", dir)
			reviewAt, appliedAt := strings.Index(out, "Plan for stage dev: 0 to create, 1 to update in place"), strings.Index(out, "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.")
			if exit != 0 || reviewAt < 0 || appliedAt < reviewAt || !strings.Contains(out, "apply: stage dev: the reviewed plan is applied.") {
				t.Fatalf("apply of the saved plan: exit %d, want 0, the review printed before the apply and the cluster changed:\n%s", exit, tail(out, 40))
			}
			if strings.Contains(out, "Refreshing state") {
				t.Errorf("the apply planned again (it refreshed the state):\n%s", tail(out, 40))
			}
			if c := p.cluster("main-movies-dev-cluster"); c.maxACU != 8 {
				t.Errorf("after the apply the cluster scales to %v ACU, want 8", c.maxACU)
			}
			p.expectSecretMatchesCluster("dev")
			expectNoSecretInFolder(t, p, "dev", dir)
			p.expectCleanReplan("dev")
		}},
	}
}

// mapsOfSlicesEqual compares two secrets' versions and their labels.
func mapsOfSlicesEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for key, value := range a {
		if !slices.Equal(value, b[key]) {
			return false
		}
	}
	return true
}

// Production's backups shortened and its reader endpoint's parameter
// deleted with the SDK: make drift exits 2 naming both, the review flags
// the shortened backups as changed outside Terraform, and applying the
// reviewed plan reverts both, after which make drift finds nothing.
func expectProductionDriftSeenAndReverted(t *testing.T, p *project) {
	ctx := localaws.Context(t)
	if _, err := p.emulator.RDS().ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{
		DBClusterIdentifier: aws.String("main-movies-production-cluster"), BackupRetentionPeriod: aws.Int32(7), ApplyImmediately: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.emulator.SSM().DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("movies-production-reader-endpoint")}); err != nil {
		t.Fatal(err)
	}
	if c := p.cluster("main-movies-production-cluster"); c.backupDays != 7 {
		t.Fatalf("the emulator keeps %d days of backups after they were shortened to 7", c.backupDays)
	}

	out, exit := runReview(t, p.dir, p.env(), "--stage", "production", "--drift")
	if exit != 2 || !strings.Contains(out, "aws_rds_cluster.cluster") || !strings.Contains(out, "backup_retention_period") ||
		!strings.Contains(out, "aws_ssm_parameter.reader_endpoint") {
		t.Errorf("make drift after changes outside Terraform: exit %d, want 2 naming the backups and the parameter:\n%s", exit, tail(out, 40))
	}

	dir := filepath.Join(t.TempDir(), "saved-plan")
	out, exit = runReview(t, p.dir, p.env(), "--stage", "production", "--save", dir)
	if exit != 2 || !strings.Contains(out, "changed outside Terraform") || !strings.Contains(out, "backup_retention_period") {
		t.Errorf("review after the drift: exit %d, want 2 and the shortened backups flagged as changed outside Terraform:\n%s", exit, tail(out, 40))
	}
	out, exit = runApply(t, p, "--stage", "production", "--plan", dir)
	if exit != 0 || !strings.Contains(out, "applying this plan accepts them") {
		t.Fatalf("apply of the reviewed plan: exit %d, want 0, its risks said to be accepted by applying it:\n%s", exit, tail(out, 40))
	}
	clusters, err := p.emulator.RDS().DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("main-movies-production-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if c := clusters.DBClusters[0]; aws.ToInt32(c.BackupRetentionPeriod) != 30 {
		t.Errorf("after the apply the cluster keeps %d days of backups, want 30 again", aws.ToInt32(c.BackupRetentionPeriod))
	}
	if got, want := p.parameter("movies-production-reader-endpoint"), aws.ToString(clusters.DBClusters[0].ReaderEndpoint); got != want {
		t.Errorf("movies-production-reader-endpoint = %q after the apply, want the reader endpoint %q", got, want)
	}
	out, exit = runReview(t, p.dir, p.env(), "--stage", "production", "--drift")
	if exit != 0 {
		t.Errorf("make drift after the apply: exit %d, want 0:\n%s", exit, tail(out, 30))
	}
}
