package tests

// The restore drill against the emulator (cmd/restore-drill): dev cloned
// into drill-dev with the cdktf CLI, queried through the Data API, then
// destroyed and its state deleted, leaving nothing of drill-dev and dev as
// it was. moto answers the Data API with a canned result: this proves the
// drill reads the clone's own parameters and secret and runs its statement,
// not what a real restore takes (only AWS shows that, and the Data API it
// turns on).

import (
	"regexp"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	secretstypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// expectRestoreDrill runs the drill of dev in p's folder, whose cdktf.json
// lists dev, deployed.
func expectRestoreDrill(t *testing.T, p *project) {
	drill := goBinary(t, "./cmd/restore-drill")
	dev := p.cluster("main-movies-dev-cluster")
	devSecret := p.secretValue("movies-dev-credentials")
	callsBefore := len(p.emulator.QueryCalls(clusterChanges...))

	p.emulator.MotoAPI(t, "/moto-api/static/rds-data/statement-results", moviesCount)
	out, err := p.run("", drill, "--stage", "dev", "--sql", "select current_database(), count(*) as movies from movies")
	if err != nil {
		t.Errorf("restore-drill: %v\n%s", err, tail(out, 60))
	}

	// Each step with its time, in order, and the canned result.
	for _, want := range []string{
		`(?m)^restore-drill: deploy/clone: done in [0-9.hms]+$`,
		`(?m)^current_database  movies\nmain              42\n\(1 row\)\nrestore-drill: query: done in [0-9.hms]+$`,
		`(?m)^restore-drill: clean-up: destroying drill-dev and deleting its state, whether or not the steps above passed$`,
		`(?m)^restore-drill: destroy: done in [0-9.hms]+$`,
		`(?m)^restore-drill: state deleted: done in [0-9.hms]+$`,
		`(?m)^restore-drill: timings\n  deploy/clone +[0-9.hms]+ +ok\n  query +[0-9.hms]+ +ok, 1 row\n  destroy +[0-9.hms]+ +ok\n  state deleted +[0-9.hms]+ +ok, [1-9][0-9]* object versions\n  total +[0-9.hms]+ +passed, nothing left$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("the drill's output does not match %s:\n%s", want, tail(out, 30))
		}
	}
	if _, timings, ok := strings.Cut(out, "restore-drill: timings\n"); ok {
		t.Logf("the drill's timings on the emulator:\n%s", timings)
	}
	if strings.Contains(out, devSecret["password"].(string)) {
		t.Error("the drill printed dev's master password")
	}

	// The clone was a copy-on-write clone of dev's cluster, and its Data
	// API switch was sent.
	restored, switched := false, false
	for _, call := range p.emulator.QueryCalls("RestoreDBClusterToPointInTime", "EnableHttpEndpoint") {
		switch {
		case call.Get("DBClusterIdentifier") == "main-movies-drill-dev-cluster":
			restored = call.Get("SourceDBClusterIdentifier") == "main-movies-dev-cluster" && call.Get("RestoreType") == "copy-on-write"
		case strings.HasSuffix(call.Get("ResourceArn"), ":cluster:main-movies-drill-dev-cluster"):
			switched = true
		}
	}
	if !restored || !switched {
		t.Errorf("drill-dev's cluster: cloned from dev copy-on-write %v, EnableHttpEndpoint sent %v; want both", restored, switched)
	}

	for _, left := range drillLeftovers(t, p, "drill-dev") {
		t.Errorf("%s is left after the drill", left)
	}

	// dev is untouched: the same cluster, secret and parameters, and no
	// call changed its cluster or writer.
	if now := p.cluster("main-movies-dev-cluster"); *now != *dev {
		t.Errorf("dev's cluster changed: %+v, was %+v", now, dev)
	}
	if secret := p.secretValue("movies-dev-credentials"); secret["password"] != devSecret["password"] || secret["host"] != devSecret["host"] {
		t.Error("dev's secret changed")
	}
	if got := p.parameter("movies-dev-resource-arn"); got != dev.arn {
		t.Errorf("dev's resource ARN parameter is %s, want %s", got, dev.arn)
	}
	for _, call := range p.emulator.QueryCalls(clusterChanges...)[callsBefore:] {
		if strings.HasPrefix(call.Get("DBClusterIdentifier")+call.Get("DBInstanceIdentifier"), "main-movies-dev-") {
			t.Errorf("%s of %s during the drill", call.Get("Action"), call.Get("DBClusterIdentifier")+call.Get("DBInstanceIdentifier"))
		}
	}
}

// clusterChanges are the RDS calls that change or end a cluster or an
// instance.
var clusterChanges = []string{"ModifyDBCluster", "DeleteDBCluster", "FailoverDBCluster", "StopDBCluster", "ModifyDBInstance", "DeleteDBInstance", "RebootDBInstance"}

// drillLeftovers names what is left of a stage: its cluster, instances,
// secret, SSM parameters, and any version of its state or lock.
func drillLeftovers(t *testing.T, p *project, stage string) []string {
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
	versions, err := p.emulator.S3().ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(lifecycleBucket), Prefix: aws.String("movies/" + stage + "/")})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions.Versions {
		left = append(left, "state object version "+aws.ToString(v.Key)+" "+aws.ToString(v.VersionId))
	}
	for _, m := range versions.DeleteMarkers {
		left = append(left, "state delete marker "+aws.ToString(m.Key)+" "+aws.ToString(m.VersionId))
	}
	return left
}
