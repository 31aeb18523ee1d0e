package tests

// The restore drill against the emulator (cmd/restore-drill): dev cloned
// into drill-dev with the cdktf CLI, queried through the Data API, then
// destroyed and its state deleted, leaving nothing of drill-dev and dev as
// it was. The clone's query reads the copy of dev's movies its restore
// started from (seedMovies), on its own PostgreSQL behind the emulator's
// Data API, through the clone's own parameters and secret.

import (
	"regexp"
	"strings"
	"testing"
)

// expectRestoreDrill runs the drill of dev in p's folder, whose cdktf.json
// lists dev, deployed.
func expectRestoreDrill(t *testing.T, p *project) {
	drill := goBinary(t, "./cmd/restore-drill")
	dev := p.cluster("main-movies-dev-cluster")
	devSecret := p.secretValue("movies-dev-credentials")
	callsBefore := len(p.emulator.QueryCalls(clusterChanges...))

	out, err := p.run("", drill, "--stage", "dev", "--sql", "select current_database(), count(*) as movies from movies")
	if err != nil {
		t.Errorf("restore-drill: %v\n%s", err, tail(out, 60))
	}

	// Each step with its time, in order, and dev's 42 movies.
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

	for _, left := range append(stageLeftovers(t, p, "drill-dev"), stateVersions(t, p, "movies/drill-dev/")...) {
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
