package tests

// The database's consumers against a local AWS: the deployed access policy
// read back and linted, `cmd/query` through the Data API, and what moto's
// IAM enforcement can prove about the policy's actions.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"
	"aurora-stages/internal/testcpu"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// docs/consumers.md shows the consumer example as it is compiled.
func TestDocsShowTheCompiledConsumerExample(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(repoRootPath, "examples", "consumer", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(repoRootPath, "docs", "consumers.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```go\n"+string(example)+"```") {
		t.Error("docs/consumers.md does not show examples/consumer/main.go as it is: copy the file into it")
	}
}

// deployedAccessPolicy reads the stage's access policy from IAM: its ARN
// and its default version's document.
func (p *project) deployedAccessPolicy(stage string) (string, string) {
	p.t.Helper()
	ctx := localaws.Context(p.t)
	policies, err := p.emulator.IAM().ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"})
	if err != nil {
		p.t.Fatal(err)
	}
	for _, policy := range policies.Policies {
		if aws.ToString(policy.PolicyName) != "movies-"+stage+"-database-access" {
			continue
		}
		version, err := p.emulator.IAM().GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: policy.Arn, VersionId: policy.DefaultVersionId})
		if err != nil {
			p.t.Fatal(err)
		}
		document, err := url.QueryUnescape(aws.ToString(version.PolicyVersion.Document))
		if err != nil {
			p.t.Fatal(err)
		}
		return aws.ToString(policy.Arn), document
	}
	p.t.Fatalf("no policy movies-%s-database-access in IAM", stage)
	return "", ""
}

// A consumer's path on the deployed dev (a step of TestLocalDevLifeCycle):
// the policy as IAM holds it, cmd/query through the Data API, and a stage
// configured but not deployed.
func expectConsumerQueries(t *testing.T, p *project) {
	query := goBinary(t, "./cmd/query")

	// The policy as IAM holds it: no finding from parliament.
	_, document := p.deployedAccessPolicy("dev")
	for _, want := range []string{`"rds-data:ExecuteStatement"`, `"secretsmanager:GetSecretValue"`, `"ssm:GetParameter"`, ":cluster:main-movies-dev-cluster"} {
		if !strings.Contains(document, want) {
			t.Errorf("the deployed policy lacks %s:\n%s", want, document)
		}
	}
	lint := exec.Command(filepath.Join(repoRootPath, ".local", "parliament", "bin", "parliament"), "--json", "--string", document)
	findings, err := lint.CombinedOutput()
	testcpu.Charge(t, lint.ProcessState)
	if err != nil || len(strings.TrimSpace(string(findings))) > 0 {
		t.Errorf("parliament on the deployed policy: %v\n%s\n%s", err, findings, document)
	}

	// The repository's migrations, through dev's SSM parameters and secret:
	// the movies the consumer example reads.
	expectDevMigrated(t, p)

	// Real SQL on dev's own PostgreSQL, through the emulator's Data API,
	// as a user types it after make local.
	for _, statement := range [][]string{
		{"create table watchlist (id serial primary key, title text not null, year int, rating double precision)"},
		{"--param", "title=The Matrix", "--param", "year=1999", "--param", "rating=null", "insert into watchlist (title, year, rating) values (:title, :year, :rating)"},
		{"--param", "title=Arrival", "--param", "year=2016", "--param", "rating=7.9", "insert into watchlist (title, year, rating) values (:title, :year, :rating)"},
	} {
		if out, err := p.run("", query, append([]string{"--stage", "dev"}, statement...)...); err != nil {
			t.Fatalf("query %q: %v\n%s", statement, err, out)
		}
	}
	out, err := p.run("", query, "--stage", "dev", "select title, year, rating from watchlist order by id")
	want := "title       year  rating\nThe Matrix  1999  NULL\nArrival     2016  7.9\n(2 rows)\n"
	if err != nil || out != want {
		t.Errorf("query: %v\n got:\n%s\nwant:\n%s", err, out, want)
	}
	out, err = p.run("", query, "--stage", "dev", "select now(), current_user, current_database()")
	if err != nil || !regexp.MustCompile(`\n20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\S*\s+dbadmin\s+main\n\(1 row\)\n$`).MatchString(out) {
		t.Errorf("select now(), current_user, current_database(): %v, want the time and dbadmin on main:\n%s", err, out)
	}
	password := p.secretValue("movies-dev-credentials")["password"].(string)
	if strings.Contains(out, password) {
		t.Error("query printed the master password")
	}
	expectConsumerExampleReads(t, p)
	expectTransactionsAndSecretsAsOnAWS(t, p)

	// A stage that is configured but not deployed.
	p.setStages(`{"dev": {}, "qa": {}}`)
	defer p.setStages(`{"dev": {}}`)
	out, err = p.run("", query, "--stage", "qa", "select 1")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 ||
		out != "query: stage qa is not deployed here: SSM parameter movies-qa-credentials-arn not found (deploy it with cdktf deploy qa, or check the account and region)\n" {
		t.Errorf("query of a stage not deployed: %v\n%s", err, out)
	}
}

// moto enforces IAM by action only: it matches every request against the
// resource "*", so only a statement on "*" grants anything there. The user
// below holds the deployed policy's actions on "*": this proves that the
// policy's actions are enough for the consumer's path and that they grant
// none of the writes below, not that its resources are scoped (the
// synthesis tests pin those, resource by resource). The last step of
// TestLocalDevLifeCycle: once moto enforces IAM, the deploys' own keys are
// refused.
func expectAccessPolicyActionsUnderIAMEnforcement(t *testing.T, p *project) {
	ctx := localaws.Context(t)
	_, document := p.deployedAccessPolicy("dev")
	var deployed struct {
		Statement []struct {
			Action any
		}
	}
	if err := json.Unmarshal([]byte(document), &deployed); err != nil {
		t.Fatalf("the deployed policy is not JSON: %v\n%s", err, document)
	}
	var actions []string
	for _, statement := range deployed.Statement {
		switch a := statement.Action.(type) {
		case string:
			actions = append(actions, a)
		case []any:
			for _, action := range a {
				actions = append(actions, action.(string))
			}
		}
	}
	onlyTheActions, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})

	admin := p.emulator.IAM()
	policy, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("consumer-actions"), PolicyDocument: aws.String(string(onlyTheActions))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("consumer")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("consumer"), PolicyArn: policy.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("consumer")})
	if err != nil {
		t.Fatal(err)
	}
	clusterARN := p.parameter("movies-dev-resource-arn")
	secretARN := p.parameter("movies-dev-credentials-arn")

	// From here on moto checks every request against IAM.
	p.emulator.MotoAPI(t, "/moto-api/reset-auth", "0")
	consumer := p.emulator.ConfigAs(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))

	allowed := map[string]error{}
	_, allowed["ssm:GetParameter"] = ssm.NewFromConfig(consumer).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("movies-dev-resource-arn")})
	_, allowed["ssm:GetParameters"] = ssm.NewFromConfig(consumer).GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"movies-dev-resource-arn", "movies-dev-credentials-arn"}})
	_, allowed["secretsmanager:GetSecretValue"] = secretsmanager.NewFromConfig(consumer).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	_, allowed["secretsmanager:DescribeSecret"] = secretsmanager.NewFromConfig(consumer).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretARN)})
	_, allowed["rds-data:ExecuteStatement"] = rdsdata.NewFromConfig(consumer).ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
		ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), Sql: aws.String("select 1"),
	})
	for action, err := range allowed {
		if err != nil {
			t.Errorf("%s with the access policy's actions: %v, want it allowed", action, err)
		}
	}

	denied := map[string]error{}
	_, denied["secretsmanager:PutSecretValue"] = secretsmanager.NewFromConfig(consumer).PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(secretARN), SecretString: aws.String("{}")})
	_, denied["rds:DeleteDBCluster"] = rds.NewFromConfig(consumer).DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("main-movies-dev-cluster"), SkipFinalSnapshot: aws.Bool(true)})
	// moto answers a denial in XML, which the JSON services' clients cannot
	// decode; the status says it. The allowed calls above prove the
	// signature is good, so a 403 here is the authorization.
	for action, err := range denied {
		var response *awshttp.ResponseError
		if !errors.As(err, &response) || response.HTTPStatusCode() != http.StatusForbidden {
			t.Errorf("%s with the access policy's actions: %v, want 403 access denied", action, err)
		}
	}
}
