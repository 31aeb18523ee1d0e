package tests

// The life cycle against a local AWS: the real cdktf CLI, terraform and AWS
// provider deploy to moto on 127.0.0.1, and the AWS SDK reads the result
// back. Each test has an emulator and a project folder of its own and runs
// in parallel with the others; stopping its emulator at the end removes
// whatever it deployed. Slow (the provider's RDS waiters take about 30 s per
// cluster and per instance), so skipped in -short mode.
//
// A deploy is the most expensive thing a test does, so a test deploys once
// and runs its steps on that deploy in order, as subtests: first what only
// reads the stage, then what changes it, last what ends it (a destroy, or
// IAM enforcement switched on). A step a later one builds on stops the
// test when it fails.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"aurora-stages/internal/localaws"
	"aurora-stages/internal/providerdebug"
	"aurora-stages/internal/testcpu"
	"aurora-stages/stacks"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

const lifecycleBucket = "movies-terraform-state-local"

// project is a folder with a cdktf.json whose app is the built binary of
// this repository, so a test sets its own stages without touching the
// repository's configuration, and a deploy's files stay in its folder.
type project struct {
	t        *testing.T
	dir      string
	app      string
	emulator *localaws.Emulator
	// extraEnv is added to every command's environment (DB_STAGES).
	extraEnv []string
	// plugin is the AWS provider plugin the project's terraform commands
	// use, its own (startPlugin), unless plainTerraform is set: then
	// terraform starts one for each command, as on a user's machine.
	plugin         *providerdebug.Plugin
	plainTerraform bool
}

func newProject(t *testing.T, stages string) *project {
	t.Helper()
	if testing.Short() {
		t.Skip("deploys to a local AWS emulator; skipped in -short mode (make test runs it)")
	}
	// Filled once, before any project's terraform reads it: the other
	// callers wait for the first.
	warmPluginCache(t)
	t.Parallel()
	app := goBinary(t, ".")
	p := &project{t: t, dir: t.TempDir(), app: app, emulator: localaws.Start(t, repoRootPath, "us-east-1")}
	p.startPlugin()
	p.setStages(stages)
	return p
}

// startPlugin starts the AWS provider plugin the project's terraform
// commands use, and stops it when the test ends. A terraform command that
// starts the plugin itself spends 2.4 CPU-seconds on each start, one to
// three a command; the suite started 274 of them, 40 with one a folder.
// The plugin keeps one provider configuration at a time, the last
// command's: a project's commands run one after another, or configure it
// alike (two deploys of one stage), and a sibling, which deploys another
// stage at the same time, has a plugin of its own.
func (p *project) startPlugin() {
	p.t.Helper()
	binary, err := providerdebug.Binary(pluginCache.dir)
	if err != nil {
		p.t.Fatal(err)
	}
	// Without AWS_CA_BUNDLE, which the emulator's plain HTTP does not need:
	// with it, the provider configured a second time in one process fails
	// ("unable to add custom RootCAs HTTPClient, has no
	// WithTransportOptions"), as its first configuration replaced the HTTP
	// client the second would add the bundle to. And with Go's default
	// garbage collection, not terraform's GOGC (terraformEnv): a plugin
	// lives as long as its test, and holds 0.6 GB with the default, about
	// 1.5 GB without a collection until 1 GiB, once per test running.
	env := slices.DeleteFunc(p.env(), func(v string) bool {
		return strings.HasPrefix(v, "AWS_CA_BUNDLE=") || strings.HasPrefix(v, "GOGC=")
	})
	plugin, err := providerdebug.Start(binary, env)
	if err != nil {
		p.t.Fatal(err)
	}
	t := p.t
	t.Cleanup(func() { testcpu.Charge(t, plugin.Stop()) })
	p.plugin = plugin
}

// setStages writes the project's cdktf.json with the given stages.
func (p *project) setStages(stages string) {
	p.setContext(stages, "")
}

// setContext writes the project's cdktf.json with the given stages and, if
// not empty, previews entry.
func (p *project) setContext(stages, previews string) {
	if previews != "" {
		stages += `, "previews": ` + previews
	}
	config := `{"language": "go", "app": "` + p.app + `", "sendCrashReports": "false",
	  "context": {"service": "movies", "region": "us-east-1", "stateBucket": "` + lifecycleBucket + `", "stages": ` + stages + `}}`
	if err := os.WriteFile(filepath.Join(p.dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// pluginCache is the provider cache every project's terraform shares.
// cdktf points terraform at ~/.terraform.d/plugin-cache unless
// TF_PLUGIN_CACHE_DIR is set, and terraform's cache is not safe for
// concurrent installs: parallel inits installing into it fail with
// "failed to create directory ... file exists". So one init fills it
// first, and the projects' inits take the provider from it although their
// stacks have no lock file yet (TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE):
// without that, terraform 1.4 and later ignore the cache for a provider
// the lock file does not list and install it again, into the cache,
// concurrently.
var pluginCache struct {
	sync.Once
	dir string
	err error
}

func warmPluginCache(t *testing.T) {
	t.Helper()
	pluginCache.Do(func() {
		if pluginCache.dir, pluginCache.err = newTempDir("aurora-stages-plugin-cache-"); pluginCache.err != nil {
			return
		}
		scratch := t.TempDir()
		config := `{"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "` + stacks.AWSProviderConstraint + `"}}}}`
		if pluginCache.err = os.WriteFile(filepath.Join(scratch, "main.tf.json"), []byte(config), 0o644); pluginCache.err != nil {
			return
		}
		init := exec.Command("terraform", "init", "-input=false", "-no-color", "-backend=false")
		init.Dir, init.Env = scratch, append(terraformEnv(), pluginCacheEnv()...)
		if out, err := init.CombinedOutput(); err != nil {
			pluginCache.err = fmt.Errorf("terraform init to fill the plugin cache: %v\n%s", err, out)
		}
	})
	if pluginCache.err != nil {
		t.Fatal(pluginCache.err)
	}
}

// pluginCacheEnv points terraform at the shared cache, for the init that
// fills it and for the projects' inits that read it.
func pluginCacheEnv() []string {
	return []string{"TF_PLUGIN_CACHE_DIR=" + pluginCache.dir, "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE=true"}
}

// newDeployedDev is a project whose dev stage is deployed the way a team
// ships a change: planned, the plan checked (planAndCheck), that plan
// applied. Its state bucket is made with the SDK (createStateBucket).
// stages is the stages' entries, dev with its defaults if empty.
func newDeployedDev(t *testing.T, stages string) *project {
	t.Helper()
	if stages == "" {
		stages = `{"dev": {}}`
	}
	p := newProject(t, stages)
	p.createStateBucket()
	p.planAndCheck("dev")
	p.applyCheckedPlan("dev")
	return p
}

// deployStep is one check a test runs on its deploy, as a subtest.
type deployStep struct {
	name  string
	check func(*testing.T, *project)
}

// runSteps runs the steps in order on the project's deploy, each as a
// subtest.
func (p *project) runSteps(t *testing.T, steps []deployStep) {
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) { step.check(t, p.in(t)) })
	}
}

// sibling is another project folder on the same emulator and state bucket,
// for a subtest that runs in parallel with others: it synthesizes, plans
// and edits its configuration in a folder of its own. dbStages, if not
// empty, is its DB_STAGES.
func (p *project) sibling(t *testing.T, stages, previews, dbStages string) *project {
	sib := &project{t: t, dir: t.TempDir(), app: p.app, emulator: p.emulator}
	if dbStages != "" {
		sib.extraEnv = []string{"DB_STAGES=" + dbStages}
	}
	sib.startPlugin()
	sib.setContext(stages, previews)
	return sib
}

// in is the project as a subtest sees it: its failures are the subtest's.
func (p *project) in(t *testing.T) *project {
	sub := *p
	sub.t = t
	return &sub
}

// createStateBucket makes the state bucket with the SDK, versioned as
// bootstrap makes it. Deploying bootstrap costs a minute of waiting: the
// provider reads a new S3 lifecycle configuration back ten times in a row,
// 5 s apart, before it calls it created (waitLifecycleConfigEquals), on moto
// as on AWS. TestLocalDevLifeCycle deploys bootstrap as a user does; the
// other tests only need its bucket.
func (p *project) createStateBucket() {
	p.t.Helper()
	ctx := localaws.Context(p.t)
	if _, err := p.emulator.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(lifecycleBucket)}); err != nil {
		p.t.Fatalf("creating the state bucket: %v", err)
	}
	if _, err := p.emulator.S3().PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket: aws.String(lifecycleBucket), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
	}); err != nil {
		p.t.Fatalf("versioning the state bucket: %v", err)
	}
}

func (p *project) env() []string {
	root := repoRootPath
	env := append(terraformEnv(),
		"PATH="+filepath.Join(root, "node_modules", ".bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"DB_LOCAL_ENDPOINT="+p.emulator.Endpoint,
		"CI=1",
		// Who deploys, in the session name of an assumed role.
		"DB_DEPLOYER=tester",
	)
	if p.plugin != nil && !p.plainTerraform {
		env = append(env, p.plugin.Env())
	}
	return append(append(env, pluginCacheEnv()...), p.extraEnv...)
}

// run runs a command in the project folder (or in dir below it) and
// returns its combined output and error.
func (p *project) run(dir string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = filepath.Join(p.dir, dir)
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	testcpu.Charge(p.t, cmd.ProcessState)
	return stripANSI(string(out)), err
}

// cdktf runs the project's cdktf CLI.
func (p *project) cdktf(args ...string) (string, error) {
	return p.run("", filepath.Join(repoRootPath, "node_modules", ".bin", "cdktf"), args...)
}

// deploy runs cdktf deploy, as a user does: synthesis, init, plan and apply.
func (p *project) deploy(stack string) string {
	p.t.Helper()
	out, err := p.cdktf("deploy", stack, "--auto-approve")
	if err != nil {
		p.t.Fatalf("cdktf deploy %s: %v\n%s", stack, err, out)
	}
	return out
}

// synth runs the app in the project folder as cdktf synth does (the
// cdktf.json app, writing cdktf.out), without the CLI's own start-up.
func (p *project) synth() {
	p.t.Helper()
	cmd := exec.Command(p.app)
	cmd.Dir = p.dir
	cmd.Env = append(p.env(), "CDKTF_OUTDIR="+filepath.Join(p.dir, "cdktf.out"))
	out, err := cmd.CombinedOutput()
	testcpu.Charge(p.t, cmd.ProcessState)
	if err != nil {
		p.t.Fatalf("synthesizing: %v\n%s", err, out)
	}
}

// applyCheckedPlan applies the plan planAndCheck saved and checked, so the
// plan applied is the one checked; a cdktf deploy would synthesize, init
// and plan again first.
func (p *project) applyCheckedPlan(stage string) string {
	p.t.Helper()
	out, err := p.terraform(stage, "apply", "-input=false", "-no-color", "check.tfplan")
	if err != nil {
		p.t.Fatalf("terraform apply of the checked plan of %s: %v\n%s", stage, err, tail(out, 40))
	}
	return out
}

// terraform runs terraform in a stack's synthesized folder.
func (p *project) terraform(stack string, args ...string) (string, error) {
	return p.run(filepath.Join("cdktf.out", "stacks", stack), "terraform", args...)
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")

func stripANSI(s string) string { return ansiEscape.ReplaceAllString(s, "") }

// The emulator, read back with the SDK.

func (p *project) secretValue(name string) map[string]any {
	p.t.Helper()
	out, err := p.emulator.SecretsManager().GetSecretValue(localaws.Context(p.t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		p.t.Fatalf("reading secret %s: %v", name, err)
	}
	var value map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &value); err != nil {
		p.t.Fatalf("secret %s is not JSON: %v", name, err)
	}
	return value
}

func (p *project) cluster(id string) *rdsCluster {
	p.t.Helper()
	out, err := p.emulator.RDS().DescribeDBClusters(localaws.Context(p.t), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil || len(out.DBClusters) != 1 {
		p.t.Fatalf("describing cluster %s: %v", id, err)
	}
	c := out.DBClusters[0]
	return &rdsCluster{
		arn: aws.ToString(c.DBClusterArn), resourceID: aws.ToString(c.DbClusterResourceId),
		engine: aws.ToString(c.Engine), engineVersion: aws.ToString(c.EngineVersion), engineMode: aws.ToString(c.EngineMode),
		minACU: aws.ToFloat64(c.ServerlessV2ScalingConfiguration.MinCapacity), maxACU: aws.ToFloat64(c.ServerlessV2ScalingConfiguration.MaxCapacity),
		autoPause:  aws.ToInt32(c.ServerlessV2ScalingConfiguration.SecondsUntilAutoPause),
		backupDays: aws.ToInt32(c.BackupRetentionPeriod), deletionProtection: aws.ToBool(c.DeletionProtection),
		storageEncrypted: aws.ToBool(c.StorageEncrypted), databaseName: aws.ToString(c.DatabaseName), masterUsername: aws.ToString(c.MasterUsername),
		iamAuth: aws.ToBool(c.IAMDatabaseAuthenticationEnabled), parameterGroup: aws.ToString(c.DBClusterParameterGroup),
		kmsKeyID: aws.ToString(c.KmsKeyId),
	}
}

type rdsCluster struct {
	arn, resourceID, engine, engineVersion, engineMode, databaseName, masterUsername, parameterGroup, kmsKeyID string
	minACU, maxACU                                                                                             float64
	autoPause, backupDays                                                                                      int32
	deletionProtection, storageEncrypted, iamAuth                                                              bool
}

func (p *project) parameter(name string) string {
	p.t.Helper()
	out, err := p.emulator.SSM().GetParameter(localaws.Context(p.t), &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		p.t.Fatalf("reading parameter %s: %v", name, err)
	}
	return aws.ToString(out.Parameter.Value)
}

func (p *project) stateObject(stage string) []byte {
	p.t.Helper()
	out, err := p.emulator.S3().GetObject(localaws.Context(p.t), &s3.GetObjectInput{Bucket: aws.String(lifecycleBucket), Key: aws.String("movies/" + stage + "/terraform.tfstate")})
	if err != nil {
		p.t.Fatalf("reading the %s state from the bucket: %v", stage, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(out.Body); err != nil {
		p.t.Fatal(err)
	}
	return buf.Bytes()
}

// The life of a dev stage on one deploy: bootstrap and dev deployed with
// cdktf as a user deploys them, read back; the checks that only read it; a
// plan saved by the review, a rotation that makes it stale, and another
// saved plan applied; last, moto's IAM enforcement switched on, after which
// nothing else deploys here.
func TestLocalDevLifeCycle(t *testing.T) {
	p := newProject(t, `{"dev": {}}`)
	// Deployed as on a user's machine: terraform installs the provider from
	// the mirror, writes the lock file and starts the plugin itself.
	p.plainTerraform = true
	p.deploy("bootstrap")
	p.planAndCheck("dev")
	p.deploy("dev")
	p.plainTerraform = false

	steps := []deployStep{
		{"dev deployed", expectDeployedDev},
		{"no password in the state or a saved plan, nothing to do", expectNoPasswordAndNothingToDo},
		{"a consumer queries through the Data API", expectConsumerQueries},
	}
	steps = append(steps, savedPlanSteps(deployStep{"rotation in place", expectRotationInPlace})...)
	p.runSteps(t, append(steps, deployStep{"the access policy's actions under IAM enforcement", expectAccessPolicyActionsUnderIAMEnforcement}))
}

// A deploy of dev creates the stage's database, credentials and parameters.
func expectDeployedDev(t *testing.T, p *project) {

	secret := p.secretValue("movies-dev-credentials")
	for _, key := range []string{"username", "password", "host", "port", "dbname", "engine", "dbClusterIdentifier"} {
		if _, ok := secret[key]; !ok {
			t.Errorf("secret lacks %q: keys %v", key, mapKeysOf(secret))
		}
	}
	c := p.cluster("main-movies-dev-cluster")
	if secret["username"] != "dbadmin" || secret["dbname"] != "main" || secret["engine"] != "postgres" ||
		secret["dbClusterIdentifier"] != "main-movies-dev-cluster" || secret["port"] != 5432.0 || secret["host"] == "" {
		t.Errorf("secret = %v without its password; want dbadmin, main, postgres, main-movies-dev-cluster, 5432 and a host", withoutPassword(secret))
	}
	if password, _ := secret["password"].(string); !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(password) {
		t.Errorf("password has %d characters or holds punctuation or spaces; want 32 letters and digits", len(password))
	}
	// The password of record and the credentials clients read.
	if versions := p.secretVersions("movies-dev-credentials"); len(versions) != 2 || len(versionsLabelled(versions, "AWSCURRENT")) != 1 {
		t.Errorf("secret versions: %v, want two, one of them AWSCURRENT", versions)
	}
	p.expectSecretMatchesCluster("dev")

	want := rdsCluster{arn: c.arn, resourceID: c.resourceID, kmsKeyID: c.kmsKeyID, engine: "aurora-postgresql", engineVersion: "16.6", engineMode: "provisioned",
		databaseName: "main", masterUsername: "dbadmin", minACU: 0, maxACU: 4, autoPause: 3600, backupDays: 1, deletionProtection: false, storageEncrypted: true,
		iamAuth: true, parameterGroup: "movies-dev-aurora-postgresql16"}
	if *c != want {
		t.Errorf("cluster = %+v\nwant      %+v", *c, want)
	}
	instances, err := p.emulator.RDS().DescribeDBInstances(localaws.Context(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("main-movies-dev-writer")})
	if err != nil || len(instances.DBInstances) != 1 {
		t.Fatalf("describing the writer: %v", err)
	}
	writer := instances.DBInstances[0]
	if aws.ToString(writer.DBInstanceClass) != "db.serverless" || aws.ToString(writer.DBClusterIdentifier) != "main-movies-dev-cluster" || aws.ToBool(writer.PubliclyAccessible) {
		t.Errorf("writer: class %s, cluster %s, public %v; want db.serverless in main-movies-dev-cluster, not public",
			aws.ToString(writer.DBInstanceClass), aws.ToString(writer.DBClusterIdentifier), aws.ToBool(writer.PubliclyAccessible))
	}

	secretInfo, err := p.emulator.SecretsManager().DescribeSecret(localaws.Context(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("movies-dev-credentials")})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.parameter("movies-dev-credentials-arn"); got != aws.ToString(secretInfo.ARN) {
		t.Errorf("movies-dev-credentials-arn = %q, want the secret's ARN %q", got, aws.ToString(secretInfo.ARN))
	}
	if got := p.parameter("movies-dev-resource-arn"); got != c.arn {
		t.Errorf("movies-dev-resource-arn = %q, want the cluster's ARN %q", got, c.arn)
	}
}

// The state is in the bucket under the dev key without the password, a
// saved plan does not hold it either, and a re-plan right after the deploy
// has nothing to do.
func expectNoPasswordAndNothingToDo(t *testing.T, p *project) {
	password := p.secretValue("movies-dev-credentials")["password"].(string)

	state := p.stateObject("dev")
	if !bytes.Contains(state, []byte(`"main-movies-dev-cluster"`)) {
		t.Fatalf("the state under movies/dev/terraform.tfstate does not describe the dev cluster:\n%.500s", state)
	}
	if bytes.Contains(state, []byte(password)) {
		t.Errorf("the dev state holds the master password")
	}

	if out, err := p.terraform("dev", "plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=saved.tfplan"); err != nil {
		t.Errorf("re-plan right after deploy: %v (exit 2 means changes)\n%s", err, out)
	}
	planJSON, err := p.terraform("dev", "show", "-json", "saved.tfplan")
	if err != nil {
		t.Fatalf("terraform show -json: %v\n%s", err, planJSON)
	}
	if !strings.Contains(planJSON, `"format_version"`) {
		t.Fatalf("terraform show -json printed no plan:\n%.500s", planJSON)
	}
	if strings.Contains(planJSON, password) {
		t.Errorf("the saved plan holds the master password")
	}
}

// The state lock, on one stage: two deploys at once, one refused; then a
// deploy killed halfway, its lock shown and removed, and the next deploy
// converging.
func TestLocalStateLock(t *testing.T) {
	p := newProject(t, `{"dev": {}}`)
	p.createStateBucket()
	if !t.Run("two deploys at once, one refused", func(t *testing.T) { expectConcurrentDeploysLocked(t, p.in(t)) }) {
		return
	}
	t.Run("a deploy killed halfway, unlocked, converged", func(t *testing.T) { expectInterruptedDeployRecovers(t, p.in(t)) })
}

// Two deploys of one stage at once: the state lock refuses one, and the
// state stays whole.
func expectConcurrentDeploysLocked(t *testing.T, p *project) {

	type result struct {
		out string
		err error
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Two output folders: two people deploying from two checkouts.
			out, err := p.cdktf("deploy", "dev", "--auto-approve", "--output", "out"+string(rune('a'+i)))
			results[i] = result{out, err}
		}()
	}
	wg.Wait()

	var refused, succeeded int
	for _, r := range results {
		switch {
		case r.err == nil:
			succeeded++
		case strings.Contains(r.out, "Error acquiring the state lock"):
			refused++
		default:
			t.Errorf("a deploy failed for another reason than the lock: %v\n%s", r.err, r.out)
		}
	}
	if succeeded != 1 || refused != 1 {
		t.Fatalf("%d deploys succeeded and %d were refused by the lock; want one of each", succeeded, refused)
	}

	var state struct {
		Resources []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(p.stateObject("dev"), &state); err != nil {
		t.Fatalf("the dev state does not parse after the concurrent deploys: %v", err)
	}
	// Thirteen resources and five data sources: the deployed cluster's
	// lookup, the default VPC, the access policy's document and the
	// account and partition of the cluster's ARN it names.
	if len(state.Resources) != 18 {
		t.Errorf("the dev state holds %d resources, want 18: %+v", len(state.Resources), state.Resources)
	}
	for _, dir := range []string{"outa", "outb"} {
		if _, err := os.Stat(filepath.Join(p.dir, dir, "stacks", "dev", ".terraform")); err != nil {
			continue
		}
		out, err := p.run(filepath.Join(dir, "stacks", "dev"), "terraform", "plan", "-input=false", "-no-color", "-detailed-exitcode")
		if err != nil {
			t.Errorf("re-plan in %s after the concurrent deploys: %v (exit 2 means changes)\n%s", dir, err, out)
		}
	}
}

// Raising credentialsVersion rotates the password in place.
func expectRotationInPlace(t *testing.T, p *project) {
	before := p.secretValue("movies-dev-credentials")["password"].(string)
	clusterBefore := p.cluster("main-movies-dev-cluster")

	currentBefore := versionsLabelled(p.secretVersions("movies-dev-credentials"), "AWSCURRENT")

	p.setStages(`{"dev": {"credentialsVersion": 2}}`)
	p.planAndCheck("dev")
	out := p.deploy("dev")
	// The cluster is modified in place; the password of record and the
	// credentials are replaced.
	if !strings.Contains(out, "Apply complete! Resources: 2 added, 1 changed, 2 destroyed.") ||
		!strings.Contains(out, "aws_rds_cluster.cluster: Modifying...") || strings.Contains(out, "aws_rds_cluster.cluster: Destroying...") {
		t.Errorf("rotation deploy: want the cluster modified in place and only the secret's versions replaced:\n%s", tail(out, 40))
	}
	// The old credentials were current until the new ones were put:
	// AWSPREVIOUS moves only onto the version that held AWSCURRENT.
	versions := p.secretVersions("movies-dev-credentials")
	if previous := versionsLabelled(versions, "AWSPREVIOUS"); len(currentBefore) != 1 || !slices.Equal(previous, currentBefore) {
		t.Errorf("after rotation AWSPREVIOUS is on %v, want the version that was current before, %v", previous, currentBefore)
	}
	p.expectSecretMatchesCluster("dev")
	// What the consumer step wrote is there for the new password.
	if out, err := p.run("", goBinary(t, "./cmd/query"), "--stage", "dev", "select count(*) as titles from watchlist"); err != nil || !strings.HasSuffix(out, "\n2\n(1 row)\n") {
		t.Errorf("counting the watchlist after the rotation: %v, want the 2 titles written before it:\n%s", err, out)
	}

	after := p.secretValue("movies-dev-credentials")["password"].(string)
	if after == before {
		t.Errorf("the password did not change")
	}
	if clusterAfter := p.cluster("main-movies-dev-cluster"); clusterAfter.resourceID != clusterBefore.resourceID {
		t.Errorf("cluster resource ID %s -> %s: the cluster was replaced", clusterBefore.resourceID, clusterAfter.resourceID)
	}
	state := p.stateObject("dev")
	if bytes.Contains(state, []byte(after)) || bytes.Contains(state, []byte(before)) {
		t.Errorf("the dev state holds a master password")
	}
}

// Production on one deploy: a first diff only creates; once deployed with
// its own KMS key and Enhanced Monitoring, the review finds nothing to do,
// flags deletion protection turned off, refuses a change that would replace
// the cluster, and a destroy is refused.
func TestLocalProduction(t *testing.T) {
	// moto's account and a topic for the alarms: a production without
	// either is itself a risk.
	p := newProject(t, `{"production": {"accountId": "123456789012", "alarmTopicArn": "`+alarmTopic+`"}}`)
	p.createStateBucket()

	diff, err := p.cdktf("diff", "production")
	if err != nil {
		t.Fatalf("cdktf diff production: %v\n%s", err, diff)
	}
	if !strings.Contains(diff, "Plan: 22 to add, 0 to change, 0 to destroy.") {
		t.Errorf("cdktf diff production: want only 22 creations:\n%s", tail(diff, 40))
	}
	p.deploy("production")

	p.runSteps(t, []deployStep{
		{"production deployed", expectDeployedProduction},
		{"the review of the deployed stage", expectProductionReviewed},
		{"drift seen, flagged and reverted by the reviewed plan", expectProductionDriftSeenAndReverted},
		{"a replacing change refused", expectProductionRefusesReplacement},
		{"destroy refused", expectProductionRefusesDestroy},
	})
}

func expectDeployedProduction(t *testing.T, p *project) {
	if c := p.cluster("main-movies-production-cluster"); !c.deletionProtection || c.backupDays != 30 || c.maxACU != 256 || c.autoPause != 10800 || !c.iamAuth || c.parameterGroup != "movies-production-aurora-postgresql16" {
		t.Errorf("production cluster = %+v; want deletion protection, 30 days of backups, 256 ACU, pause after 10800 s, IAM authentication, its parameter group", *c)
	}
	ctx := localaws.Context(t)
	clusters, err := p.emulator.RDS().DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("main-movies-production-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := p.emulator.SecretsManager().DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("movies-production-credentials")})
	if err != nil {
		t.Fatal(err)
	}
	clusterKey, secretKey := aws.ToString(clusters.DBClusters[0].KmsKeyId), aws.ToString(secret.KmsKeyId)
	if !strings.Contains(clusterKey, ":key/") || secretKey != clusterKey {
		t.Errorf("KMS keys: cluster %q, secret %q; want the same key of the stack", clusterKey, secretKey)
	}
	instances, err := p.emulator.RDS().DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("main-movies-production-writer")})
	if err != nil {
		t.Fatal(err)
	}
	if w := instances.DBInstances[0]; aws.ToInt32(w.MonitoringInterval) != 60 || !strings.HasSuffix(aws.ToString(w.MonitoringRoleArn), ":role/movies-production-rds-monitoring") || !aws.ToBool(w.AutoMinorVersionUpgrade) {
		t.Errorf("production writer: monitoring every %d s with %q, minor upgrades %v; want 60 s, the stack's role, true",
			aws.ToInt32(w.MonitoringInterval), aws.ToString(w.MonitoringRoleArn), aws.ToBool(w.AutoMinorVersionUpgrade))
	}
	// Its reader: the writer's settings, in the tier that scales with it.
	readers, err := p.emulator.RDS().DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("main-movies-production-reader-1")})
	if err != nil {
		t.Fatal(err)
	}
	if r := readers.DBInstances[0]; aws.ToString(r.DBInstanceClass) != "db.serverless" || aws.ToString(r.DBClusterIdentifier) != "main-movies-production-cluster" ||
		aws.ToInt32(r.PromotionTier) != 1 || aws.ToInt32(r.MonitoringInterval) != 60 || !aws.ToBool(r.AutoMinorVersionUpgrade) {
		t.Errorf("production reader: class %s, cluster %s, promotion tier %d, monitoring every %d s, minor upgrades %v; want db.serverless in main-movies-production-cluster, tier 1, 60 s, true",
			aws.ToString(r.DBInstanceClass), aws.ToString(r.DBClusterIdentifier), aws.ToInt32(r.PromotionTier), aws.ToInt32(r.MonitoringInterval), aws.ToBool(r.AutoMinorVersionUpgrade))
	}
	if got, want := p.parameter("movies-production-reader-endpoint"), aws.ToString(clusters.DBClusters[0].ReaderEndpoint); got != want || got == "" {
		t.Errorf("movies-production-reader-endpoint = %q, want the cluster's reader endpoint %q", got, want)
	}
	// The storage type is not sent to moto (stacks/target.go).
	if c := clusters.DBClusters[0]; aws.ToString(c.PreferredBackupWindow) != "03:00-04:00" || aws.ToString(c.PreferredMaintenanceWindow) != "sun:04:30-sun:05:30" {
		t.Errorf("production cluster: backups %s, maintenance %s; want 03:00-04:00, sun:04:30-sun:05:30",
			aws.ToString(c.PreferredBackupWindow), aws.ToString(c.PreferredMaintenanceWindow))
	}
}

// The review end to end: a deployed production has nothing to do, and
// deletion protection turned off is flagged.
func expectProductionReviewed(t *testing.T, p *project) {
	out, exit := runReview(t, p.dir, p.env(), "--stage", "production")
	if exit != 0 || !strings.Contains(out, "Plan for stage production: 0 to create, 0 to update in place, 0 to replace, 0 to delete") {
		t.Errorf("review of a deployed production: exit %d, want 0 and no changes:\n%s", exit, tail(out, 30))
	}
	p.setStages(`{"production": {"accountId": "123456789012", "alarmTopicArn": "` + alarmTopic + `", "deletionProtection": false}}`)
	defer p.setStages(`{"production": {"accountId": "123456789012", "alarmTopicArn": "` + alarmTopic + `"}}`)
	out, exit = runReview(t, p.dir, p.env(), "--stage", "production", "--format", "markdown")
	if exit != 2 || !strings.Contains(out, "deletion protection turned off") {
		t.Errorf("review with deletion protection off: exit %d, want 2 and the risk flagged:\n%s", exit, tail(out, 30))
	}
}

// A change that would replace the cluster is refused before anything is
// touched, and the review names what forces the replacement.
func expectProductionRefusesReplacement(t *testing.T, p *project) {
	before := p.cluster("main-movies-production-cluster")
	p.setStages(`{"production": {"accountId": "123456789012", "alarmTopicArn": "` + alarmTopic + `", "masterUsername": "dbowner"}}`)
	defer p.setStages(`{"production": {"accountId": "123456789012", "alarmTopicArn": "` + alarmTopic + `"}}`)
	out, err := p.run("", goBinary(t, "./cmd/review"), "--stage", "production")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 ||
		!strings.Contains(out, "aws_rds_cluster.cluster: replaced (destroyed and created anew), forced by master_username") ||
		!strings.Contains(out, "refused by prevent_destroy (the stage's preventDestroy)") {
		t.Errorf("review of a replacing change on production: %v; want exit 2, the refusal and the attribute that forces it:\n%s", err, tail(out, 40))
	}
	if out, err := p.cdktf("deploy", "production", "--auto-approve"); err == nil {
		t.Errorf("deploying a new master user to production succeeded; want it refused:\n%s", tail(out, 30))
	}
	if after := p.cluster("main-movies-production-cluster"); after.resourceID != before.resourceID || after.masterUsername != "dbadmin" {
		t.Errorf("production's cluster changed although the deploy was refused: %+v", *after)
	}
}

func expectProductionRefusesDestroy(t *testing.T, p *project) {
	p.synth()
	out, err := p.cdktf("destroy", "production", "--auto-approve")
	if err == nil {
		t.Fatalf("cdktf destroy production succeeded; want it refused:\n%s", tail(out, 40))
	}
	// cdktf cuts terraform's output short once the plan is long, before the
	// error; terraform itself says why.
	out, err = p.terraform("production", "plan", "-destroy", "-input=false", "-no-color")
	if err == nil || !strings.Contains(out, "Resource aws_rds_cluster.cluster has lifecycle.prevent_destroy set") {
		t.Errorf("terraform plan -destroy of production: %v, want it refused on the cluster's prevent_destroy:\n%s", err, tail(out, 40))
	}
	p.cluster("main-movies-production-cluster")
}

// Destroying dev leaves nothing of it behind.
func expectDestroyLeavesNothing(t *testing.T, p *project) {
	if out, err := p.cdktf("destroy", "dev", "--auto-approve"); err != nil {
		t.Fatalf("cdktf destroy dev: %v\n%s", err, tail(out, 40))
	}
	ctx := localaws.Context(t)
	if secrets, err := p.emulator.SecretsManager().ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); err != nil || len(secrets.SecretList) != 0 {
		t.Errorf("secrets after destroy: %v (err %v), want none", secrets, err)
	}
	if clusters, err := p.emulator.RDS().DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{}); err != nil || len(clusters.DBClusters) != 0 {
		t.Errorf("clusters after destroy: %d (err %v), want none", len(clusters.DBClusters), err)
	}
	if instances, err := p.emulator.RDS().DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}); err != nil || len(instances.DBInstances) != 0 {
		t.Errorf("instances after destroy: %d (err %v), want none", len(instances.DBInstances), err)
	}
	if parameters, err := p.emulator.SSM().DescribeParameters(ctx, &ssm.DescribeParametersInput{}); err != nil || len(parameters.Parameters) != 0 {
		t.Errorf("SSM parameters after destroy: %d (err %v), want none", len(parameters.Parameters), err)
	}
	groups, err := p.emulator.RDS().DescribeDBClusterParameterGroups(ctx, &rds.DescribeDBClusterParameterGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, group := range groups.DBClusterParameterGroups {
		if name := aws.ToString(group.DBClusterParameterGroupName); strings.HasPrefix(name, "movies-dev-") {
			t.Errorf("the parameter group %s is still there after destroy", name)
		}
	}
}

func withoutPassword(secret map[string]any) map[string]any {
	copy := map[string]any{}
	for k, v := range secret {
		if k != "password" {
			copy[k] = v
		}
	}
	return copy
}

// tail keeps the last n lines of a long command output for a failure message.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
