package tests

// Day 2 against a local AWS: the changes a team makes to a deployed stage
// weeks later (a new master user, database or key, engine upgrades, a
// deploy killed halfway), each applied with the real cdktf CLI and read
// back with the AWS SDK. Like the life-cycle tests, each test has an
// emulator of its own, runs its steps on one deploy, and is skipped in
// -short mode.

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"aurora-stages/internal/localaws"
	"aurora-stages/internal/testcpu"
	"aurora-stages/review"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Changing a setting that forces a new cluster applies in one deploy on a
// dev-profile stage: the writer and the cluster go, then come back, and
// the secret follows the new cluster.
func TestLocalReplaceDevCluster(t *testing.T) {
	// Parallel with the other tests too, not only its cases with one
	// another: a test that is not waits for its cases before any parallel
	// test starts.
	t.Parallel()
	keyOfTheStack := func(p *project, c *rdsCluster) {
		if key := p.stackOutput("dev", "kms_key_arn"); !strings.Contains(key, ":key/") || c.kmsKeyID != key {
			p.t.Errorf("with kmsKey create the cluster uses %q, want the stack's key %q", c.kmsKeyID, key)
		}
	}
	// The key's two ways each have a deploy of their own, in parallel: one
	// after the other on one deploy, they made the suite's longest test.
	cases := []struct {
		name string
		// deployed is the stages' entries deployed first (dev's defaults if
		// empty), and deployedCheck what that deploy must hold.
		deployed      string
		deployedCheck func(p *project, c *rdsCluster)
		// changed is the entries deployed next, and check reads the
		// cluster before and after that deploy.
		changed string
		check   func(p *project, before, after *rdsCluster)
	}{
		{"masterUsername", "", nil, `{"dev": {"masterUsername": "dbowner"}}`, func(p *project, _, c *rdsCluster) {
			if c.masterUsername != "dbowner" {
				p.t.Errorf("master user %q, want dbowner", c.masterUsername)
			}
		}},
		{"databaseName", "", nil, `{"dev": {"databaseName": "movies"}}`, func(p *project, _, c *rdsCluster) {
			if c.databaseName != "movies" {
				p.t.Errorf("database %q, want movies", c.databaseName)
			}
		}},
		{"kmsKey aws-managed to create", "", nil, `{"dev": {"kmsKey": "create"}}`, func(p *project, _, c *rdsCluster) { keyOfTheStack(p, c) }},
		{"kmsKey create to aws-managed", `{"dev": {"kmsKey": "create"}}`, keyOfTheStack, `{"dev": {}}`, func(p *project, before, after *rdsCluster) {
			if after.kmsKeyID == before.kmsKeyID {
				p.t.Errorf("back on aws-managed, the cluster still uses the stack's key %s", before.kmsKeyID)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newDeployedDev(t, c.deployed)
			before := p.cluster("main-movies-dev-cluster")
			if c.deployedCheck != nil {
				c.deployedCheck(p, before)
			}
			p.setStages(c.changed)
			p.planAndCheck("dev")
			out := p.applyCheckedPlan("dev")
			if !strings.Contains(out, "aws_rds_cluster.cluster: Destroying...") {
				t.Errorf("deploying %s: the cluster was not replaced:\n%s", c.changed, tail(out, 30))
			}
			p.expectOneDatabase("dev")
			p.expectSecretMatchesCluster("dev")
			c.check(p, before, p.cluster("main-movies-dev-cluster"))
			p.expectSettled("dev")
		})
	}
}

// Engine upgrades on a deployed dev, then its destroy leaving nothing.
func TestLocalUpgradeThenDestroy(t *testing.T) {
	p := newDeployedDev(t, "")
	p.runSteps(t, []deployStep{
		{"engine upgrades", expectEngineUpgrades},
		{"destroy leaves nothing", expectDestroyLeavesNothing},
	})
}

// Engine versions: a minor upgrade applies at deploy time, a minor upgrade
// AWS makes on its own leaves plans clean, and a major one is flagged
// until allowMajorVersionUpgrade lets it through, in place.
func expectEngineUpgrades(t *testing.T, p *project) {
	p.setStages(`{"dev": {"engineVersion": "16.8"}}`)
	p.planAndCheck("dev")
	out := p.applyCheckedPlan("dev")
	if strings.Contains(out, "Destroying...") {
		t.Errorf("minor upgrade replaced something:\n%s", tail(out, 30))
	}
	if c := p.cluster("main-movies-dev-cluster"); c.engineVersion != "16.8" {
		t.Errorf("after the minor upgrade the cluster runs %s, want 16.8", c.engineVersion)
	}
	modify := p.lastModify("main-movies-dev-cluster")
	if modify.Get("EngineVersion") != "16.8" || modify.Get("ApplyImmediately") != "true" {
		t.Errorf("minor upgrade sent %v; want EngineVersion 16.8 and ApplyImmediately true", withoutMasterPassword(modify))
	}
	p.expectCleanReplan("dev")

	// AWS applies 16.9 in a maintenance window.
	if _, err := p.emulator.RDS().ModifyDBCluster(localaws.Context(t), &rds.ModifyDBClusterInput{
		DBClusterIdentifier: aws.String("main-movies-dev-cluster"), EngineVersion: aws.String("16.9"), ApplyImmediately: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	p.expectCleanReplan("dev")

	p.setStages(`{"dev": {"engineVersion": "17.4"}}`)
	risks := p.planAndCheck("dev")
	for _, want := range []string{
		"aws_rds_cluster.cluster: engine major version changes from 16.9 to 17.4: a major upgrade, with downtime and no way back",
		`aws_rds_cluster.cluster: AWS will refuse this major version upgrade: allow_major_version_upgrade is not set; set "allowMajorVersionUpgrade": true in the stage's entry to upgrade in place`,
	} {
		if !slices.Contains(risks, want) {
			t.Errorf("major upgrade without allowMajorVersionUpgrade: risks %q lack %q", risks, want)
		}
	}

	p.setStages(`{"dev": {"engineVersion": "17.4", "allowMajorVersionUpgrade": true}}`)
	risks = p.planAndCheck("dev")
	if !slices.Contains(risks, "aws_rds_cluster.cluster: engine major version changes from 16.9 to 17.4: a major upgrade, with downtime and no way back") || len(risks) != 1 {
		t.Errorf("major upgrade with allowMajorVersionUpgrade: risks %q, want only the major upgrade", risks)
	}
	out = p.applyCheckedPlan("dev")
	if strings.Contains(out, "aws_rds_cluster.cluster: Destroying...") || strings.Contains(out, "aws_rds_cluster_instance.writer: Destroying...") {
		t.Errorf("major upgrade replaced the cluster or the writer:\n%s", tail(out, 30))
	}
	c := p.cluster("main-movies-dev-cluster")
	if c.engineVersion != "17.4" || c.parameterGroup != "movies-dev-aurora-postgresql17" {
		t.Errorf("after the major upgrade: version %s, parameter group %s; want 17.4 and movies-dev-aurora-postgresql17", c.engineVersion, c.parameterGroup)
	}
	// moto does not enforce the flag; what was sent is the evidence.
	modify = p.lastModify("main-movies-dev-cluster")
	if modify.Get("EngineVersion") != "17.4" || modify.Get("AllowMajorVersionUpgrade") != "true" || modify.Get("ApplyImmediately") != "true" ||
		modify.Get("DBClusterParameterGroupName") != "movies-dev-aurora-postgresql17" {
		t.Errorf("major upgrade sent %v; want EngineVersion 17.4, AllowMajorVersionUpgrade and ApplyImmediately true, the new parameter group", withoutMasterPassword(modify))
	}
	if _, err := p.emulator.RDS().DescribeDBClusterParameterGroups(localaws.Context(t), &rds.DescribeDBClusterParameterGroupsInput{DBClusterParameterGroupName: aws.String("movies-dev-aurora-postgresql16")}); err == nil {
		t.Errorf("the parameter group of family 16 is still there after the upgrade")
	}
	created := strings.Index(out, "aws_rds_cluster_parameter_group.parameters: Creation complete")
	destroyed := strings.Index(out, "aws_rds_cluster_parameter_group.parameters (deposed object")
	if created < 0 || destroyed < created {
		t.Errorf("the new parameter group must exist before the old one goes (created at %d, destroyed at %d):\n%s", created, destroyed, tail(out, 30))
	}
	p.expectSecretMatchesCluster("dev")
	p.expectCleanReplan("dev")
}

// A deploy killed halfway leaves its lock; unlock shows and removes it,
// and the next deploy converges with the secret matching the cluster (a
// step of TestLocalStateLock, on the stage its concurrent deploys made).
func expectInterruptedDeployRecovers(t *testing.T, p *project) {
	unlock := goBinary(t, "./cmd/unlock")

	p.setStages(`{"dev": {"credentialsVersion": 2}}`)
	deploy := exec.Command(filepath.Join(repoRootPath, "node_modules", ".bin", "cdktf"), "deploy", "dev", "--auto-approve")
	deploy.Dir, deploy.Env = p.dir, p.env()
	deploy.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var output lockedBuffer
	deploy.Stdout, deploy.Stderr = &output, &output
	if err := deploy.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed while the cluster takes its new password: the apply has
	// written the new password of record and holds the lock.
	deadline := time.Now().Add(5 * time.Minute)
	for !strings.Contains(output.String(), "aws_rds_cluster.cluster: Modifying...") {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-deploy.Process.Pid, syscall.SIGKILL)
			t.Fatalf("the deploy never started modifying the cluster:\n%s", tail(output.String(), 40))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := syscall.Kill(-deploy.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = deploy.Wait()
	testcpu.Charge(t, deploy.ProcessState)

	out, err := p.cdktf("deploy", "dev", "--auto-approve")
	if err == nil || !strings.Contains(out, "Error acquiring the state lock") {
		t.Fatalf("a deploy after the kill: %v; want it stopped by the lock:\n%s", err, tail(out, 30))
	}
	// No terminal, no --force: the lock is shown and kept.
	out, err = p.run("", unlock, "--stage", "dev")
	if err == nil || !strings.Contains(out, "Stage dev is locked (s3://"+lifecycleBucket+"/movies/dev/terraform.tfstate.tflock):") ||
		!strings.Contains(out, "operation  apply") || !strings.Contains(out, "held by    ") || !strings.Contains(out, " ago)") ||
		!strings.Contains(out, "Not removed: make sure nobody is deploying stage dev, then rerun with --force.") {
		t.Errorf("unlock without --force: %v; want the lock described and kept:\n%s", err, out)
	}
	out, err = p.run("", unlock, "--stage", "dev", "--force")
	if err != nil || !strings.Contains(out, "Removed the lock ") {
		t.Fatalf("unlock --force: %v\n%s", err, out)
	}
	out, err = p.run("", unlock, "--stage", "dev")
	if err != nil || strings.TrimSpace(out) != "Stage dev is not locked (no s3://"+lifecycleBucket+"/movies/dev/terraform.tfstate.tflock)." {
		t.Errorf("unlock with no lock: %v; want exit 0 and one line:\n%s", err, out)
	}

	p.planAndCheck("dev")
	p.applyCheckedPlan("dev")
	p.expectOneDatabase("dev")
	p.expectSecretMatchesCluster("dev")
	p.expectCleanReplan("dev")
}

// lockedBuffer collects a running command's output for another goroutine
// to read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(data)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return stripANSI(b.buf.String())
}

// planAndCheck synthesizes, saves a plan of the stage as a deploy would
// make it, checks what must hold in every plan, and returns the review's
// risks ("address: reason").
func (p *project) planAndCheck(stage string) []string {
	p.t.Helper()
	p.synth()
	if out, err := p.terraform(stage, "init", "-input=false", "-no-color"); err != nil {
		p.t.Fatalf("terraform init: %v\n%s", err, out)
	}
	if out, err := p.terraform(stage, "plan", "-input=false", "-no-color", "-lock=false", "-out=check.tfplan"); err != nil {
		p.t.Fatalf("terraform plan: %v\n%s", err, tail(out, 30))
	}
	plan := p.savedPlan(stage)
	if problems := planInvariantProblems(plan); len(problems) > 0 {
		p.t.Errorf("the plan of stage %s breaks what every plan must hold:\n  %s", stage, strings.Join(problems, "\n  "))
	}
	var risks []string
	for _, risk := range review.FindRisks(plan) {
		risks = append(risks, risk.Address+": "+risk.Reason)
	}
	return risks
}

// savedPlan reads the plan planAndCheck saved.
func (p *project) savedPlan(stage string) *review.Plan {
	p.t.Helper()
	planJSON, err := p.terraform(stage, "show", "-json", "check.tfplan")
	if err != nil {
		p.t.Fatalf("terraform show: %v\n%s", err, planJSON)
	}
	plan, err := review.ParsePlan([]byte(planJSON))
	if err != nil {
		p.t.Fatal(err)
	}
	return plan
}

// planInvariantProblems checks what must hold in every plan: a cluster
// created or replaced has its credentials written in the same plan, and no
// resource with a fixed name is replaced create-before-destroy.
func planInvariantProblems(plan *review.Plan) []string {
	var problems []string
	actions := map[string][]string{}
	for _, rc := range plan.ResourceChanges {
		actions[rc.Address] = rc.Change.Actions
	}
	creates := func(address string) bool { return slices.Contains(actions[address], "create") }
	if creates("aws_rds_cluster.cluster") && !creates("aws_secretsmanager_secret_version.credentials_value") {
		problems = append(problems, "aws_rds_cluster.cluster is created but the credentials are not written: "+strings.Join(actions["aws_secretsmanager_secret_version.credentials_value"], ","))
	}
	for _, risk := range review.FindRisks(plan) {
		if strings.Contains(risk.Reason, "create-before-destroy") || strings.Contains(risk.Reason, "is not written in the same plan") {
			problems = append(problems, risk.Address+": "+risk.Reason)
		}
	}
	return problems
}

// expectOneDatabase checks that exactly one cluster, one writer, one secret
// and the stage's four parameters exist: nothing deposed, nothing doubled.
func (p *project) expectOneDatabase(stage string) {
	p.t.Helper()
	ctx := localaws.Context(p.t)
	clusters, err := p.emulator.RDS().DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{})
	if err != nil || len(clusters.DBClusters) != 1 || aws.ToString(clusters.DBClusters[0].DBClusterIdentifier) != "main-movies-"+stage+"-cluster" {
		p.t.Errorf("clusters: %d (err %v), want main-movies-%s-cluster alone", len(clusters.DBClusters), err, stage)
	}
	instances, err := p.emulator.RDS().DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil || len(instances.DBInstances) != 1 || aws.ToString(instances.DBInstances[0].DBInstanceIdentifier) != "main-movies-"+stage+"-writer" {
		p.t.Errorf("instances: %d (err %v), want main-movies-%s-writer alone", len(instances.DBInstances), err, stage)
	}
	secrets, err := p.emulator.SecretsManager().ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	if err != nil || len(secrets.SecretList) != 1 {
		p.t.Errorf("secrets: %d (err %v), want one", len(secrets.SecretList), err)
	}
	parameters, err := p.emulator.SSM().DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	if err != nil || len(parameters.Parameters) != 4 {
		p.t.Errorf("SSM parameters: %d (err %v), want the stage's four", len(parameters.Parameters), err)
	}
}

// expectSecretMatchesCluster checks the secret's current value against the
// cluster: its user, database, endpoint, port and identifier as AWS
// reports them, and the password the cluster was last sent.
func (p *project) expectSecretMatchesCluster(stage string) {
	p.t.Helper()
	id := "main-movies-" + stage + "-cluster"
	out, err := p.emulator.RDS().DescribeDBClusters(localaws.Context(p.t), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil || len(out.DBClusters) != 1 {
		p.t.Fatalf("describing cluster %s: %v", id, err)
	}
	c := out.DBClusters[0]
	secret := p.secretValue("movies-" + stage + "-credentials")
	want := map[string]any{
		"username": aws.ToString(c.MasterUsername), "dbname": aws.ToString(c.DatabaseName), "host": aws.ToString(c.Endpoint),
		"port": float64(aws.ToInt32(c.Port)), "dbClusterIdentifier": aws.ToString(c.DBClusterIdentifier), "engine": "postgres",
	}
	for key, value := range want {
		if secret[key] != value {
			p.t.Errorf("secret %s = %v, the cluster's is %v", key, secret[key], value)
		}
	}
	sent, ok := p.emulator.LastMasterPassword(id)
	if !ok || secret["password"] != sent {
		p.t.Errorf("the secret's password is not the one the cluster was last given (one sent: %v)", ok)
	}
	// And the secret opens the database: a real login on the cluster's
	// PostgreSQL, through the Data API, by the stage's parameters, as a
	// consumer makes it.
	login, err := p.emulator.DataAPI().ExecuteStatement(localaws.Context(p.t), &rdsdata.ExecuteStatementInput{
		ResourceArn: aws.String(p.parameter("movies-" + stage + "-resource-arn")), SecretArn: aws.String(p.parameter("movies-" + stage + "-credentials-arn")),
		Sql: aws.String("select current_user, current_database()"),
	})
	if err != nil || len(login.Records) != 1 {
		p.t.Errorf("the %s secret does not open its cluster's database through the Data API: %v", stage, err)
		return
	}
	user, _ := login.Records[0][0].(*rdstypes.FieldMemberStringValue)
	database, _ := login.Records[0][1].(*rdstypes.FieldMemberStringValue)
	if user == nil || database == nil || user.Value != secret["username"] || database.Value != secret["dbname"] {
		p.t.Errorf("logged in through the Data API as %v on %v, want the secret's %v on %v", login.Records[0][0], login.Records[0][1], secret["username"], secret["dbname"])
	}
}

// expectSettled checks a stage after a deploy: the current password is
// neither in the state object nor in a saved plan, and that plan has
// nothing to do.
func (p *project) expectSettled(stage string) {
	p.t.Helper()
	password := p.secretValue("movies-" + stage + "-credentials")["password"].(string)
	if bytes.Contains(p.stateObject(stage), []byte(password)) {
		p.t.Errorf("the %s state holds the master password", stage)
	}
	if out, err := p.terraform(stage, "plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=settled.tfplan"); err != nil {
		p.t.Errorf("re-plan of %s: %v (exit 2 means changes)\n%s", stage, err, tail(out, 40))
	}
	planJSON, err := p.terraform(stage, "show", "-json", "settled.tfplan")
	if err != nil || !strings.Contains(planJSON, `"format_version"`) || strings.Contains(planJSON, password) {
		p.t.Errorf("terraform show -json of a saved plan: %v, or it holds the master password, or it is no plan:\n%.300s", err, planJSON)
	}
}

// expectCleanReplan checks that a plan right after a deploy has nothing to do.
func (p *project) expectCleanReplan(stage string) {
	p.t.Helper()
	if out, err := p.terraform(stage, "plan", "-input=false", "-no-color", "-detailed-exitcode"); err != nil {
		p.t.Errorf("re-plan of %s: %v (exit 2 means changes)\n%s", stage, err, tail(out, 40))
	}
}

// lastModify is the last ModifyDBCluster the deploys sent for a cluster.
func (p *project) lastModify(id string) localaws.QueryCall {
	p.t.Helper()
	var last localaws.QueryCall
	for _, call := range p.emulator.QueryCalls("ModifyDBCluster") {
		if call.Get("DBClusterIdentifier") == id {
			last = call
		}
	}
	if last == nil {
		p.t.Fatalf("no ModifyDBCluster was sent for %s", id)
	}
	return last
}

func withoutMasterPassword(call localaws.QueryCall) localaws.QueryCall {
	copy := localaws.QueryCall{}
	for k, v := range call {
		if k != "MasterUserPassword" {
			copy[k] = v
		}
	}
	return copy
}

// secretVersions maps each version ID of a secret to its labels.
func (p *project) secretVersions(name string) map[string][]string {
	p.t.Helper()
	out, err := p.emulator.SecretsManager().ListSecretVersionIds(localaws.Context(p.t), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(name), IncludeDeprecated: aws.Bool(true)})
	if err != nil {
		p.t.Fatalf("listing the versions of %s: %v", name, err)
	}
	versions := map[string][]string{}
	for _, v := range out.Versions {
		versions[aws.ToString(v.VersionId)] = v.VersionStages
	}
	return versions
}

// versionsLabelled lists the versions that carry a label, sorted.
func versionsLabelled(versions map[string][]string, label string) []string {
	var ids []string
	for id, labels := range versions {
		if slices.Contains(labels, label) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// stackOutput reads one of a deployed stack's outputs.
func (p *project) stackOutput(stage, name string) string {
	p.t.Helper()
	out, err := p.terraform(stage, "output", "-raw", name)
	if err != nil {
		p.t.Fatalf("terraform output %s: %v\n%s", name, err, out)
	}
	return strings.TrimSpace(out)
}
