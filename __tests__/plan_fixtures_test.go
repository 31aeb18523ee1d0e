package tests

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"
	"aurora-stages/review"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

var regenPlans = flag.Bool("regen-plans", false, "regenerate __tests__/testdata/plans/ from real plans against a local AWS emulator (make plan-fixtures)")

// planFixtures are real plans, made by terraform against moto, that the
// review tests read. Each is `terraform show -json` of a saved plan.
var planFixtures = []string{
	"no-changes", "scaling", "capacity-change", "rotation", "master-username", "engine-major-refused", "engine-major-allowed",
	"open-to-the-internet", "moved-to-a-vpc",
	"production-deletion-protection-off", "stage-removed",
	"reader-added", "production-last-reader-removed",
	"drift", "drift-refresh-only",
	// Made before the fix, kept as the negative case: the cluster replaced
	// create-before-destroy and the credentials left as they were.
	"master-username-create-before-destroy",
}

func planFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "plans", name+".json"))
	if err != nil {
		t.Fatalf("%v (regenerate with make plan-fixtures)", err)
	}
	return data
}

// TestRegeneratePlanFixtures deploys dev and production to a fresh emulator,
// changes their settings one at a time and saves each plan. It runs only
// with -regen-plans; the review tests read what it saved.
func TestRegeneratePlanFixtures(t *testing.T) {
	if !*regenPlans {
		t.Skip("regenerates the plan fixtures only with -regen-plans (make plan-fixtures)")
	}
	p := newProject(t, `{"dev": {}, "production": {}}`)
	p.deploy("bootstrap")
	p.deploy("dev")
	p.deploy("production")
	password := p.secretValue("movies-dev-credentials")["password"].(string)
	dir := filepath.Join(repoRootPath, "__tests__", "testdata", "plans")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	save := func(name, stage string, planArgs ...string) {
		t.Helper()
		if out, err := p.cdktf("synth"); err != nil {
			t.Fatalf("%s: cdktf synth: %v\n%s", name, err, out)
		}
		args := append([]string{"plan", "-input=false", "-no-color", "-out=fixture.tfplan"}, planArgs...)
		if out, err := p.terraform(stage, args...); err != nil {
			t.Fatalf("%s: terraform plan: %v\n%s", name, err, out)
		}
		planJSON, err := p.terraform(stage, "show", "-json", "fixture.tfplan")
		if err != nil {
			t.Fatalf("%s: terraform show: %v\n%s", name, err, planJSON)
		}
		if strings.Contains(planJSON, password) {
			t.Fatalf("%s: the plan holds the deployed master password; not saved", name)
		}
		if _, err := review.ParsePlan([]byte(planJSON)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(planJSON), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	save("no-changes", "dev")
	p.setStages(`{"dev": {"maxCapacity": 8}, "production": {}}`)
	save("scaling", "dev")
	writeCostFixture(t)
	// A capacity change with today's access policy, whose document names
	// the cluster by the ARN AWS builds: the policy is not planned again.
	p.setStages(`{"dev": {"maxCapacity": 16}, "production": {}}`)
	save("capacity-change", "dev")
	p.setStages(`{"dev": {"credentialsVersion": 2}, "production": {}}`)
	save("rotation", "dev")
	p.setStages(`{"dev": {"masterUsername": "dbowner"}, "production": {}}`)
	save("master-username", "dev")
	p.setStages(`{"dev": {"engineVersion": "17.4"}, "production": {}}`)
	save("engine-major-refused", "dev")
	p.setStages(`{"dev": {"engineVersion": "17.4", "allowMajorVersionUpgrade": true}, "production": {}}`)
	save("engine-major-allowed", "dev")
	p.setStages(`{"dev": {"allowedCidrs": ["0.0.0.0/0"]}, "production": {}}`)
	save("open-to-the-internet", "dev")
	n := newTeamNetwork(t, p.emulator)
	p.setStages(`{"dev": {"vpcId": "` + n.vpc + `", "subnetIds": ["` + n.subnetA + `", "` + n.subnetB + `"]}, "production": {}}`)
	save("moved-to-a-vpc", "dev")
	p.setStages(`{"dev": {}, "production": {"deletionProtection": false}}`)
	save("production-deletion-protection-off", "production")
	p.setStages(`{"dev": {"readers": 1}, "production": {}}`)
	save("reader-added", "dev")
	p.setStages(`{"dev": {}, "production": {"readers": 0}}`)
	save("production-last-reader-removed", "production")
	// A stage removed from cdktf.json is no longer synthesized; what remains
	// for it is its state, and the plan that matters is its destruction.
	p.setStages(`{"dev": {}, "production": {}}`)
	save("stage-removed", "dev", "-destroy")

	// Last, so that no plan above carries it: drift, made with the SDK
	// behind Terraform's back on a dev deployed with a week of backups (a
	// day, dev's default, cannot be shortened). The deploy also saves the
	// refreshed state, as every deploy after the first does in real use.
	p.setStages(`{"dev": {"backupRetentionDays": 7}, "production": {}}`)
	p.deploy("dev")
	makeDrift(t, p)
	save("drift", "dev")
	save("drift-refresh-only", "dev", "-refresh-only")
}

// makeDrift changes dev outside Terraform: what the risks guard (the
// backups shortened, a parameter consumers read deleted) and what they do
// not (a tag added), then reads each back, so a fixture without the drift
// fails here rather than in the review tests.
func makeDrift(t *testing.T, p *project) {
	ctx := localaws.Context(t)
	const clusterID, parameter = "main-movies-dev-cluster", "movies-dev-reader-endpoint"
	if _, err := p.emulator.RDS().ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{
		DBClusterIdentifier: aws.String(clusterID), BackupRetentionPeriod: aws.Int32(1), ApplyImmediately: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	cluster := p.cluster(clusterID)
	if _, err := p.emulator.RDS().AddTagsToResource(ctx, &rds.AddTagsToResourceInput{
		ResourceName: aws.String(cluster.arn), Tags: []rdstypes.Tag{{Key: aws.String("owner"), Value: aws.String("data-team")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.emulator.SSM().DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(parameter)}); err != nil {
		t.Fatal(err)
	}

	if cluster.backupDays != 1 {
		t.Fatalf("after ModifyDBCluster the cluster keeps backups %d days, want 1", cluster.backupDays)
	}
	tags, err := p.emulator.RDS().ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(cluster.arn)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tags.TagList, func(tag rdstypes.Tag) bool { return aws.ToString(tag.Key) == "owner" }) {
		t.Fatalf("after AddTagsToResource the cluster's tags are %v, without owner", tags.TagList)
	}
	var notFound *ssmtypes.ParameterNotFound
	if _, err := p.emulator.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(parameter)}); !errors.As(err, &notFound) {
		t.Fatalf("after DeleteParameter reading %s gives %v, want ParameterNotFound", parameter, err)
	}
}

// Every real plan holds what every plan must: a created cluster has its
// credentials written in the same plan, and nothing with a fixed name is
// replaced create-before-destroy. The plan made before the fix breaks both.
func TestPlanFixturesKeepTheCredentialsWithTheCluster(t *testing.T) {
	const beforeTheFix = "master-username-create-before-destroy"
	for _, name := range planFixtures {
		plan, err := review.ParsePlan(planFixture(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		problems := planInvariantProblems(plan)
		if name == beforeTheFix {
			want := []string{
				"aws_rds_cluster.cluster is created but the credentials are not written: no-op",
				`aws_rds_cluster.cluster: replaced create-before-destroy under the same cluster_identifier "main-movies-dev-cluster": AWS refuses a second object of that name while the first exists, so the apply fails halfway`,
				"aws_rds_cluster.cluster: created anew while aws_secretsmanager_secret_version.credentials_value is not written in the same plan: the secret would keep another cluster's endpoint and password, and every client that reads it is locked out",
			}
			if !slices.Equal(problems, want) {
				t.Errorf("%s: problems\n got %q\nwant %q", name, problems, want)
			}
			continue
		}
		if len(problems) > 0 {
			t.Errorf("%s: %q", name, problems)
		}
	}
}
