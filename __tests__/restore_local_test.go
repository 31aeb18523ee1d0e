package tests

// Stages made from dev's data on the emulator: a preview cloned from dev,
// a stage restored from a snapshot of dev, each in one deploy, and a
// restore drill of dev. The three run in parallel on one deployed dev, each
// from a project folder of its own (sibling).
//
// What only AWS can show: moto reports the Data API off on every Serverless
// v2 cluster and implements no EnableHttpEndpoint, so here the test reads
// from the recorded requests that the switch was sent for the new cluster
// after its restore; and moto keeps no real passwords, so "the source's
// password does not open the new cluster" is shown by the passwords sent,
// not by a login.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	secretstypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// devSnapshot is the manual snapshot of dev the restored stage starts from.
const devSnapshot = "dev-before-migration"

// moviesCount is what the preview's, the restored stage's and the restore
// drill's query prints: dev's 42 movies (seedMovies), copied by their
// restores from dev's database.
const moviesCount = "current_database  movies\nmain              42\n(1 row)\n"

// seedMovies migrates dev with the repository's migrations, as its deploy
// does, and tops its movies up to 42, before anything is restored from it.
func seedMovies(t *testing.T, p *project) {
	out, err := p.run("", goBinary(t, "./cmd/migrate"), "--stage", "dev", "--dir", filepath.Join(repoRootPath, "migrations"))
	if err != nil {
		t.Fatalf("migrating dev: %v\n%s", err, out)
	}
	sql := "insert into movies (title, year) select 'Movie ' || n, 2000 + n from generate_series(1, 42 - (select count(*) from movies)) as n"
	if out, err := p.run("", goBinary(t, "./cmd/query"), "--stage", "dev", sql); err != nil {
		t.Fatalf("seeding dev: %v\n%s", err, out)
	}
}

// expectMoviesOf checks, with make query's command, that a stage restored
// from dev holds dev's movies.
func expectMoviesOf(t *testing.T, p *project, stage string) {
	out, err := p.run("", goBinary(t, "./cmd/query"), "--stage", stage, "select current_database(), count(*) as movies from movies")
	if err != nil || out != moviesCount {
		t.Errorf("query of %s: %v\n got:\n%s\nwant:\n%s", stage, err, out, moviesCount)
	}
}

// expectPreviewMigrated applies the pull request's migrations (the
// repository's and one more) to the preview cloned from dev: only the
// extra file runs there, and dev stays without it.
func expectPreviewMigrated(t *testing.T, p *project) {
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(repoRootPath, "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the repository's migrations: %v %v", files, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(file)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	extra := "create table pull_request_notes (id serial primary key, note text not null);\ninsert into pull_request_notes (note) values ('from the pull request');\n"
	if err := os.WriteFile(filepath.Join(dir, "0900_pull_request_notes.sql"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	migrate := goBinary(t, "./cmd/migrate")
	out, err := p.run("", migrate, "--stage", "pr-7", "--dir", dir)
	if err != nil || !strings.Contains(out, "migrate: stage pr-7: 1 applied") {
		t.Errorf("migrating the preview with the pull request's extra file: %v, want it alone applied:\n%s", err, out)
	}
	out, err = p.run("", goBinary(t, "./cmd/query"), "--stage", "pr-7", "select note from pull_request_notes")
	if err != nil || out != "note\nfrom the pull request\n(1 row)\n" {
		t.Errorf("the preview's new table: %v\n%s", err, out)
	}
	out, err = p.run("", migrate, "--stage", "dev", "--dir", dir, "--status")
	if err != nil || !strings.Contains(out, "1 pending") || !strings.Contains(out, "pull_request_notes") {
		t.Errorf("dev's status with the pull request's files: %v, want the extra file pending there:\n%s", err, out)
	}
}

func TestLocalStagesFromDevsData(t *testing.T) {
	p := newDeployedDev(t, "")
	dev := p.cluster("main-movies-dev-cluster")
	devSecret := p.secretValue("movies-dev-credentials")
	seedMovies(t, p)

	t.Run("a preview cloned from dev", func(t *testing.T) {
		t.Parallel()
		preview := p.sibling(t, `{"dev": {}}`, `{"restoreFrom": {"stage": "dev"}}`, "pr-7")
		preview.runSteps(t, []deployStep{
			{"deployed in one cdktf deploy", func(t *testing.T, p *project) { p.deploy("pr-7") }},
			{"restored, then given a password of its own and the Data API", func(t *testing.T, p *project) {
				expectRestoredThenSwitched(t, p, "pr-7", "RestoreDBClusterToPointInTime", "EnableHttpEndpoint")
			}},
			{"its secret opens it, not dev", func(t *testing.T, p *project) { expectSecretOfItsOwn(t, p, "pr-7", devSecret) }},
			{"make query works on it", expectPreviewQueries},
			{"migrated with the pull request's extra file, dev without it", expectPreviewMigrated},
			{"a re-plan is clean", func(t *testing.T, p *project) { p.expectCleanReplan("pr-7") }},
			{"removing restoreFrom plans no change", func(t *testing.T, p *project) {
				p.setContext(`{"dev": {}}`, `{}`)
				p.synth()
				p.expectCleanReplan("pr-7")
			}},
			{"found by its tags", expectPreviewFoundByTags},
			{"destroyed, nothing of it is left", func(t *testing.T, p *project) {
				p.destroy("pr-7")
				expectNothingOf(t, p, "pr-7")
			}},
			{"its state deleted", expectPreviewStateDeleted},
		})
	})

	t.Run("a stage restored from a snapshot of dev", func(t *testing.T) {
		t.Parallel()
		ctx := localaws.Context(t)
		if _, err := p.emulator.RDS().CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{
			DBClusterIdentifier: aws.String("main-movies-dev-cluster"), DBClusterSnapshotIdentifier: aws.String(devSnapshot),
		}); err != nil {
			t.Fatalf("snapshot of dev: %v", err)
		}
		stages := `{"dev": {}, "restored": {"restoreFrom": {"snapshot": "` + devSnapshot + `"}}}`
		restored := p.sibling(t, stages, "", "restored")
		restored.runSteps(t, []deployStep{
			{"deployed in one deploy", func(t *testing.T, p *project) {
				p.planAndCheck("restored")
				p.applyCheckedPlan("restored")
			}},
			{"restored, then given a password of its own and the Data API", func(t *testing.T, p *project) {
				expectRestoredThenSwitched(t, p, "restored", "RestoreDBClusterFromSnapshot", "ModifyDBCluster IAM authentication on", "EnableHttpEndpoint")
			}},
			{"its secret opens it, not dev", func(t *testing.T, p *project) { expectSecretOfItsOwn(t, p, "restored", devSecret) }},
			{"it holds dev's data", func(t *testing.T, p *project) { expectMoviesOf(t, p, "restored") }},
			{"a re-plan is clean", func(t *testing.T, p *project) { p.expectCleanReplan("restored") }},
			{"removing restoreFrom plans no change", func(t *testing.T, p *project) {
				p.setStages(`{"dev": {}, "restored": {}}`)
				p.synth()
				p.expectCleanReplan("restored")
			}},
			{"destroyed, nothing of it is left", func(t *testing.T, p *project) {
				p.destroy("restored")
				expectNothingOf(t, p, "restored")
			}},
		})
	})

	t.Run("a restore drill of dev", func(t *testing.T) {
		t.Parallel()
		expectRestoreDrill(t, p.sibling(t, `{"dev": {}}`, "", ""))
	})

	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		// dev is untouched: the same cluster, the same credentials.
		if now := p.cluster("main-movies-dev-cluster"); now.resourceID != dev.resourceID || now.masterUsername != dev.masterUsername {
			t.Errorf("dev's cluster changed: %+v, was %+v", now, dev)
		}
		if secret := p.secretValue("movies-dev-credentials"); secret["password"] != devSecret["password"] || secret["host"] != devSecret["host"] {
			t.Error("dev's secret changed")
		}
	})
}

// expectRestoredThenSwitched checks the calls that made a stage's cluster,
// in order: the restore, a ModifyDBCluster with the new master password,
// then the finishing calls (internal/afterrestore): IAM authentication
// turned on after a restore from a snapshot, which takes none, and the
// Data API; and no CreateDBCluster.
func expectRestoredThenSwitched(t *testing.T, p *project, stage, restore string, finishing ...string) {
	id := "main-movies-" + stage + "-cluster"
	arn := p.cluster(id).arn
	var order []string
	for _, call := range p.emulator.QueryCalls("CreateDBCluster", restore, "ModifyDBCluster", "EnableHttpEndpoint") {
		switch {
		case call.Get("DBClusterIdentifier") == id && call.Get("MasterUserPassword") != "":
			order = append(order, call.Get("Action")+" with the password")
		case call.Get("DBClusterIdentifier") == id && call.Get("Action") == "ModifyDBCluster" && call.Get("EnableIAMDatabaseAuthentication") == "true":
			order = append(order, call.Get("Action")+" IAM authentication on")
		case call.Get("DBClusterIdentifier") == id, call.Get("ResourceArn") == arn:
			order = append(order, call.Get("Action"))
		}
	}
	// The provider's ModifyDBCluster after the restore carries the password
	// and the settings a restore takes none of (backups, capacity).
	want := append([]string{restore, "ModifyDBCluster with the password"}, finishing...)
	if !slices.Equal(order, want) {
		t.Errorf("calls for %s: %v, want %v", id, order, want)
	}
}

// expectSecretOfItsOwn checks a restored stage's secret against its own
// cluster, and that it shares neither password nor host with dev's.
func expectSecretOfItsOwn(t *testing.T, p *project, stage string, devSecret map[string]any) {
	p.expectSecretMatchesCluster(stage)
	secret := p.secretValue("movies-" + stage + "-credentials")
	if secret["password"] == devSecret["password"] || secret["host"] == devSecret["host"] || secret["dbClusterIdentifier"] == devSecret["dbClusterIdentifier"] {
		t.Errorf("the %s secret shares dev's password, host or cluster", stage)
	}
	if sent, _ := p.emulator.LastMasterPassword("main-movies-dev-cluster"); sent == secret["password"] {
		t.Errorf("dev's cluster was given %s's password", stage)
	}
	if secret["username"] != "dbadmin" || secret["dbname"] != "main" {
		t.Errorf("the %s secret: user %v, database %v; want dev's, dbadmin and main", stage, secret["username"], secret["dbname"])
	}
}

// expectPreviewQueries runs make query's command on the preview: its secret
// and cluster from its parameters, through the Data API, on the copy of
// dev's data the clone started from.
func expectPreviewQueries(t *testing.T, p *project) {
	expectMoviesOf(t, p, "pr-7")
}

// destroy runs cdktf destroy, as a user does.
func (p *project) destroy(stage string) {
	p.t.Helper()
	if out, err := p.cdktf("destroy", stage, "--auto-approve"); err != nil {
		p.t.Fatalf("cdktf destroy %s: %v\n%s", stage, err, tail(out, 40))
	}
}

// expectNothingOf checks that nothing of a stage is left in AWS
// (stageLeftovers) and that its state holds no resource.
func expectNothingOf(t *testing.T, p *project, stage string) {
	for _, left := range stageLeftovers(t, p, stage) {
		t.Errorf("%s is left after the destroy", left)
	}
	if out, err := p.terraform(stage, "state", "list"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("the %s state after destroy: %v\n%s", stage, err, out)
	}
}

// stageLeftovers names what is left of a stage in AWS: its cluster,
// instances, secret, SSM parameters and security group.
func stageLeftovers(t *testing.T, p *project, stage string) []string {
	ctx := localaws.Context(t)
	var left []string
	clusters, err := p.emulator.RDS().DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clusters.DBClusters {
		if id := aws.ToString(c.DBClusterIdentifier); strings.HasPrefix(id, "main-movies-"+stage+"-") {
			left = append(left, "cluster "+id)
		}
	}
	instances, err := p.emulator.RDS().DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range instances.DBInstances {
		if id := aws.ToString(i.DBInstanceIdentifier); strings.HasPrefix(id, "main-movies-"+stage+"-") {
			left = append(left, "instance "+id)
		}
	}
	secrets, err := p.emulator.SecretsManager().ListSecrets(ctx, &secretsmanager.ListSecretsInput{
		Filters: []secretstypes.Filter{{Key: secretstypes.FilterNameStringTypeName, Values: []string{"movies-" + stage + "-"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.SecretList {
		left = append(left, "secret "+aws.ToString(s.Name))
	}
	parameters := ssm.NewDescribeParametersPaginator(p.emulator.SSM(), &ssm.DescribeParametersInput{
		ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{"movies-" + stage + "-"}}},
	})
	for parameters.HasMorePages() {
		page, err := parameters.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, parameter := range page.Parameters {
			left = append(left, "SSM parameter "+aws.ToString(parameter.Name))
		}
	}
	groups, err := p.emulator.EC2().DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"movies-" + stage + "-database"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.SecurityGroups {
		left = append(left, "security group "+aws.ToString(g.GroupName))
	}
	return left
}
