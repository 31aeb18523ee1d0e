// Package localfront is the one local address of the emulator: every AWS
// call goes through it to moto, except the Data API's, which it answers
// with real SQL on a real PostgreSQL per cluster (internal/localpg,
// internal/localdataapi). moto answers the Data API with canned results
// and never hands a master password back, so the front learns each
// cluster's password as the cluster does, from the calls that set it
// (CreateDBCluster, ModifyDBCluster), passing them on to moto; it follows
// the clusters' lives the same way: a cluster created again starts empty,
// a deleted one is dropped, a snapshot keeps a copy of the cluster's data
// and a restore starts from its source's. A consumer sets one URL
// (AWS_ENDPOINT_URL, DB_LOCAL_ENDPOINT) for every service.
package localfront

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"aurora-stages/internal/localdataapi"
	"aurora-stages/internal/localpg"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
)

// PausePath is the front's own switch for a paused database: a POST of
// {"resourceArn": "<cluster ARN>", "calls": N} makes the cluster's next N
// Data API calls answer DatabaseResumingException, as a Serverless v2
// cluster does while it resumes from zero capacity (docs/local.md).
const PausePath = "/_aurora-stages/data-api/pause"

// Front is the emulator's one address. Close it to stop every PostgreSQL
// server it started.
type Front struct {
	moto  *url.URL
	proxy *httputil.ReverseProxy
	pg    *localpg.Manager
	api   *localdataapi.Handler
	log   *log.Logger

	mu sync.Mutex
	// calls are the query-API calls (RDS, STS, IAM) sent through the front,
	// in order: what the tests read back of a deploy.
	calls []url.Values
	// clusters are what the front learned of each cluster, by its key
	// (region and identifier).
	clusters map[string]*cluster
	// snapshots are the snapshots taken through the front, by their key,
	// with the key of the data kept for them ("" when their cluster's
	// database had never been used: it was empty).
	snapshots map[string]string
	// enforced is true once moto enforces IAM (/moto-api/reset-auth): then a
	// Data API call is first shown to moto, which answers whether the
	// caller may make it.
	enforced bool
	// secrets are the secrets' values read from moto, by ARN, until a
	// Secrets Manager call that writes passes through the front, or
	// secretTTL passes (a write made on moto directly).
	secrets map[string]cachedSecret
	// generations counts the clusters ever made, for cluster.generation.
	generations int

	// pool keeps the Data API's logged-in connections between calls.
	pool *localdataapi.Pool
}

// cachedSecret is a secret's username and password as read at a time.
type cachedSecret struct {
	username, password string
	read               time.Time
}

// secretTTL bounds how long a secret's value read from moto is used
// without reading it again: a Data API call reads its secret every time on
// AWS, and two reads from moto (the cluster's and the secret's) would cost
// more than the SQL itself.
const secretTTL = 2 * time.Second

// cluster is what the front learned of one cluster from the calls that
// made and changed it.
type cluster struct {
	password     string
	httpEndpoint bool
	// data is true once the cluster's PostgreSQL holds data: it was used
	// through the Data API, or restored from data.
	data bool
	// spec is what its PostgreSQL is made with: read from moto when the
	// cluster is first used (its engine version, database name and master
	// user), kept after. A local server cannot change its major (no
	// pg_upgrade in the pinned builds): an engine upgrade keeps the data on
	// the major it was created with (docs/local.md).
	spec localpg.Spec
	// generation counts the clusters made under this identifier, so that
	// no pooled connection to an earlier one serves a later one.
	generation int
}

// Options configures a front.
type Options struct {
	// Moto is moto's own URL, behind the front.
	Moto string
	// PostgreSQL is where the clusters' servers keep their data.
	PostgreSQL localpg.Options
	// Log gets a line per cluster followed and per server; nil discards.
	Log io.Writer
}

// New makes the front of the moto at opts.Moto.
func New(opts Options) (*Front, error) {
	target, err := url.Parse(opts.Moto)
	if err != nil {
		return nil, err
	}
	pg, err := localpg.New(opts.PostgreSQL)
	if err != nil {
		return nil, err
	}
	logs := opts.Log
	if logs == nil {
		logs = io.Discard
	}
	f := &Front{
		moto: target, proxy: httputil.NewSingleHostReverseProxy(target), pg: pg,
		log:      log.New(logs, "local front: ", log.LstdFlags),
		clusters: map[string]*cluster{}, snapshots: map[string]string{}, secrets: map[string]cachedSecret{},
		pool: localdataapi.NewPool(4),
	}
	f.api = localdataapi.NewHandler(backend{f})
	return f, nil
}

// Close stops the Data API's transactions, its connections and every
// PostgreSQL server.
func (f *Front) Close() error {
	f.api.Close()
	f.pool.Close()
	return f.pg.Close()
}

// DataAPI is the Data API handler, for its switches (PauseNext).
func (f *Front) DataAPI() *localdataapi.Handler { return f.api }

// Calls returns the query-API calls of the given API version (RDS
// 2014-10-31, STS 2011-06-15...) and actions received so far, in order.
func (f *Front) Calls(version string, actions ...string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var calls []url.Values
	for _, call := range f.calls {
		if call.Get("Version") == version && slices.Contains(actions, call.Get("Action")) {
			calls = append(calls, call)
		}
	}
	return calls
}

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == PausePath:
		f.pause(w, r)
	case r.Method == http.MethodPost && slices.Contains(localdataapi.Paths(), r.URL.Path) && signedFor(r) != "":
		f.dataAPI(w, r)
	default:
		f.passOn(w, r)
	}
}

// credentialScope reads the region and service a SigV4 signature names:
// Credential=<key>/<date>/<region>/<service>/aws4_request.
var credentialScope = regexp.MustCompile(`Credential=[^/,]+/\d{8}/([^/,]+)/([^/,]+)/aws4_request`)

// signedFor is the service a request is signed for when it is the Data
// API's ("rds-data"), else "": moto's own paths share the Data API's.
func signedFor(r *http.Request) string {
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[2] != "rds-data" {
		return ""
	}
	return m[2]
}

// region is the region a request is signed for; moto's default otherwise.
func region(r *http.Request) string {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return "us-east-1"
}

// dataAPI answers a Data API call, after moto said the caller may make it
// when moto enforces IAM (by action: moto knows no resource of the Data
// API).
func (f *Front) dataAPI(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	enforced := f.enforced
	f.mu.Unlock()
	if enforced {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		verdict := &statusWriter{header: http.Header{}, body: &bytes.Buffer{}}
		probe := r.Clone(r.Context())
		probe.Body = io.NopCloser(bytes.NewReader(body))
		f.proxy.ServeHTTP(verdict, probe)
		if verdict.status == http.StatusForbidden || verdict.status == http.StatusUnauthorized {
			for name, values := range verdict.header {
				w.Header()[name] = values
			}
			w.WriteHeader(verdict.status)
			w.Write(verdict.body.Bytes())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	f.api.ServeHTTP(w, r)
}

// pause is PausePath's handler.
func (f *Front) pause(w http.ResponseWriter, r *http.Request) {
	var ask struct {
		ResourceArn string `json:"resourceArn"`
		Calls       int    `json:"calls"`
	}
	if err := json.NewDecoder(r.Body).Decode(&ask); err != nil || ask.ResourceArn == "" || ask.Calls < 1 {
		http.Error(w, `want {"resourceArn": "<cluster ARN>", "calls": <1 or more>}`, http.StatusBadRequest)
		return
	}
	f.api.PauseNext(ask.ResourceArn, ask.Calls)
	fmt.Fprintf(w, "the next %d Data API calls for %s answer DatabaseResumingException\n", ask.Calls, ask.ResourceArn)
}

// passOn sends a call to moto and, once moto has answered, follows what it
// did to a cluster.
func (f *Front) passOn(w http.ResponseWriter, r *http.Request) {
	var call url.Values
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		body, err := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if values, parseErr := url.ParseQuery(string(body)); err == nil && parseErr == nil && values.Get("Action") != "" {
			call = values
			f.mu.Lock()
			f.calls = append(f.calls, values)
			f.mu.Unlock()
		}
	}
	if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "secretsmanager.") && !secretReads[strings.TrimPrefix(target, "secretsmanager.")] {
		f.mu.Lock()
		clear(f.secrets)
		f.mu.Unlock()
	}
	if r.URL.Path == "/moto-api/reset-auth" {
		f.mu.Lock()
		f.enforced = true
		f.mu.Unlock()
	}
	recorder := &statusWriter{ResponseWriter: w}
	f.proxy.ServeHTTP(recorder, r)
	if call == nil || call.Get("Version") != rdsVersion {
		return
	}
	// moto implements no EnableHttpEndpoint (a server error), which AWS
	// does: the call itself is what enables the Data API.
	if recorder.status >= 300 && call.Get("Action") != "EnableHttpEndpoint" {
		return
	}
	if err := f.follow(r.Context(), region(r), call); err != nil {
		f.log.Printf("%s: %v", call.Get("Action"), err)
	}
}

const rdsVersion = "2014-10-31"

// secretReads are the Secrets Manager calls that change no secret.
var secretReads = map[string]bool{
	"GetSecretValue": true, "BatchGetSecretValue": true, "DescribeSecret": true, "ListSecrets": true,
	"ListSecretVersionIds": true, "GetResourcePolicy": true, "GetRandomPassword": true, "ValidateResourcePolicy": true,
}

// clusterKey names a cluster of a region for the front and its PostgreSQL.
func clusterKey(region, identifier string) string {
	return region + "/" + strings.ToLower(identifier)
}

// identifier reads a cluster's or snapshot's identifier from an argument
// that may hold it or its ARN.
func identifier(value string) string {
	if parsed, err := arn.Parse(value); err == nil {
		_, id, _ := strings.Cut(parsed.Resource, ":")
		return id
	}
	return value
}

// follow keeps the front's clusters in step with a call moto accepted.
func (f *Front) follow(ctx context.Context, region string, call url.Values) error {
	key := clusterKey(region, identifier(call.Get("DBClusterIdentifier")))
	f.mu.Lock()
	defer f.mu.Unlock()
	switch call.Get("Action") {
	case "CreateDBCluster":
		// A cluster made again under a known identifier is a new,
		// empty one.
		if old := f.clusters[key]; old != nil && old.data {
			if err := f.pg.Drop(ctx, key); err != nil {
				return err
			}
		}
		f.generations++
		f.clusters[key] = &cluster{password: call.Get("MasterUserPassword"), httpEndpoint: call.Get("EnableHttpEndpoint") == "true", generation: f.generations}
		return nil
	case "ModifyDBCluster":
		c := f.known(key)
		// Its engine version may have changed: read again at next use.
		if !c.data {
			c.spec = localpg.Spec{}
		}
		if call.Has("EnableHttpEndpoint") {
			c.httpEndpoint = call.Get("EnableHttpEndpoint") == "true"
		}
		if password := call.Get("MasterUserPassword"); password != "" {
			c.password = password
			return f.pg.SetPassword(ctx, key, password)
		}
		return nil
	case "EnableHttpEndpoint", "DisableHttpEndpoint":
		resource, err := arn.Parse(call.Get("ResourceArn"))
		if err != nil {
			return err
		}
		f.known(clusterKey(resource.Region, identifier(call.Get("ResourceArn")))).httpEndpoint = call.Get("Action") == "EnableHttpEndpoint"
		return nil
	case "DeleteDBCluster":
		delete(f.clusters, key)
		return f.pg.Drop(ctx, key)
	case "CreateDBClusterSnapshot":
		snapshot := "snapshot:" + clusterKey(region, identifier(call.Get("DBClusterSnapshotIdentifier")))
		f.snapshots[snapshot] = ""
		if c := f.clusters[key]; c != nil && c.data {
			if err := f.pg.Clone(ctx, key, snapshot, localpg.Spec{}); err != nil {
				return err
			}
			f.snapshots[snapshot] = snapshot
			f.clusters[snapshot] = &cluster{data: true, spec: c.spec}
		}
		return nil
	case "RestoreDBClusterFromSnapshot":
		snapshot := "snapshot:" + clusterKey(region, identifier(call.Get("SnapshotIdentifier")))
		source, taken := f.snapshots[snapshot]
		if !taken {
			// A snapshot taken behind the front (by AWS's own backups, or
			// a test's SDK): its cluster's data as it is now is the best
			// there is.
			source = f.snapshotSource(ctx, region, call.Get("SnapshotIdentifier"))
		}
		return f.restore(ctx, key, source)
	case "RestoreDBClusterToPointInTime":
		source := clusterKey(region, identifier(call.Get("SourceDBClusterIdentifier")))
		if c := f.clusters[source]; c == nil || !c.data {
			source = ""
		}
		return f.restore(ctx, key, source)
	}
	return nil
}

// known is the front's record of a cluster, made empty for one it never
// saw created (created before the front, or directly on moto).
func (f *Front) known(key string) *cluster {
	c := f.clusters[key]
	if c == nil {
		c = &cluster{}
		f.clusters[key] = c
	}
	return c
}

// restore makes the restored cluster key start from source's data ("" when
// the source's database was never used: then it starts empty, as its
// source was). AWS enables no Data API on a restored cluster, and the
// master password of record is the source's until a ModifyDBCluster
// sets another.
func (f *Front) restore(ctx context.Context, key, source string) error {
	if old := f.clusters[key]; old != nil && old.data {
		if err := f.pg.Drop(ctx, key); err != nil {
			return err
		}
	}
	f.generations++
	c := &cluster{generation: f.generations}
	f.clusters[key] = c
	if source == "" {
		return nil
	}
	if err := f.pg.Clone(ctx, source, key, localpg.Spec{}); err != nil {
		return err
	}
	c.data, c.spec = true, f.clusters[source].spec
	return nil
}

// snapshotSource is the key of the cluster a snapshot the front did not
// see taken was taken of, if its database holds data; "" otherwise.
func (f *Front) snapshotSource(ctx context.Context, region, snapshot string) string {
	out, err := f.rds(region).DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(snapshot)})
	if err != nil || len(out.DBClusterSnapshots) == 0 {
		return ""
	}
	key := clusterKey(region, aws.ToString(out.DBClusterSnapshots[0].DBClusterIdentifier))
	if c := f.clusters[key]; c == nil || !c.data {
		return ""
	}
	return key
}

// The front's own calls to moto, with moto's test credentials.
func (f *Front) config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(f.moto.String()),
	}
}

func (f *Front) rds(region string) *rds.Client { return rds.NewFromConfig(f.config(region)) }

// statusWriter passes a response on (or keeps it, without a
// ResponseWriter) and remembers its status.
type statusWriter struct {
	http.ResponseWriter
	status int
	header http.Header
	body   *bytes.Buffer
}

func (s *statusWriter) Header() http.Header {
	if s.ResponseWriter == nil {
		return s.header
	}
	return s.ResponseWriter.Header()
}

func (s *statusWriter) WriteHeader(status int) {
	s.status = status
	if s.ResponseWriter != nil {
		s.ResponseWriter.WriteHeader(status)
	}
}

func (s *statusWriter) Write(data []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if s.ResponseWriter == nil {
		return s.body.Write(data)
	}
	return s.ResponseWriter.Write(data)
}

// backend is the front as the Data API's backend: it checks the cluster
// and the secret as AWS does, and logs into the cluster's PostgreSQL as
// the secret's user.
type backend struct{ f *Front }

func (b backend) Connect(ctx context.Context, resourceARN, secretARN, database string) (*pgx.Conn, error) {
	f := b.f
	notEnabled := &localdataapi.Error{Name: "HttpEndpointNotEnabledException", Status: http.StatusBadRequest, Message: "HttpEndpoint is not enabled for resource " + resourceARN}
	resource, err := arn.Parse(resourceARN)
	if err != nil || resource.Service != "rds" || !strings.HasPrefix(resource.Resource, "cluster:") {
		return nil, notEnabled
	}
	key := clusterKey(resource.Region, identifier(resourceARN))
	// The front follows every cluster made, changed and deleted through
	// it: one it does not know, or whose Data API was never enabled, has
	// none.
	f.mu.Lock()
	c := f.clusters[key]
	var known cluster
	if c != nil {
		known = *c
	}
	f.mu.Unlock()
	if c == nil || !known.httpEndpoint {
		return nil, notEnabled
	}
	username, password, err := f.secret(ctx, secretARN)
	if err != nil {
		return nil, err
	}
	if known.password == "" {
		return nil, fmt.Errorf("the emulator's front never saw a master password for cluster %s: it learns it from the CreateDBCluster or ModifyDBCluster sent through it (deploy the stage with DB_LOCAL_ENDPOINT set to the front's URL)", identifier(resourceARN))
	}
	spec := known.spec
	if spec.Major == "" {
		if spec, err = f.describe(ctx, resource.Region, identifier(resourceARN)); err != nil {
			return nil, notEnabled
		}
	}
	spec.Password = known.password
	if database == "" {
		database = spec.DatabaseName
	}
	// A login proves the secret against the cluster's password now: a
	// connection made under another cluster password, or to an earlier
	// cluster of the identifier, is never reused.
	poolKey := localdataapi.PoolKey{
		ResourceARN: fmt.Sprintf("%s#%d#%x", resourceARN, known.generation, sha256.Sum256([]byte(known.password))),
		User:        username, Password: password, Database: database,
	}
	return f.pool.Connect(ctx, poolKey, func(ctx context.Context) (*pgx.Conn, error) {
		server, err := f.pg.Ensure(ctx, key, spec)
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		if c := f.clusters[key]; c != nil && c.generation == known.generation {
			c.data, c.spec = true, localpg.Spec{Major: spec.Major, DatabaseName: spec.DatabaseName, MasterUsername: spec.MasterUsername}
		}
		f.mu.Unlock()
		return pgx.Connect(ctx, server.ConnString(username, password, database))
	})
}

// Release keeps a connection for the next call, as the Data API's own
// pool does.
func (b backend) Release(conn *pgx.Conn, reusable bool) { b.f.pool.Release(conn, reusable) }

// describe reads what a cluster's PostgreSQL is made with from moto.
func (f *Front) describe(ctx context.Context, region, id string) (localpg.Spec, error) {
	out, err := f.rds(region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(id)})
	if err != nil {
		return localpg.Spec{}, err
	}
	if len(out.DBClusters) != 1 {
		return localpg.Spec{}, fmt.Errorf("cluster %s: %d found", id, len(out.DBClusters))
	}
	described := out.DBClusters[0]
	return localpg.Spec{
		Major:          settings.EngineMajor(aws.ToString(described.EngineVersion)),
		DatabaseName:   aws.ToString(described.DatabaseName),
		MasterUsername: aws.ToString(described.MasterUsername),
	}, nil
}

// secret reads the username and password of a Data API call's secret from
// moto's Secrets Manager, as the Data API reads them from AWS's.
func (f *Front) secret(ctx context.Context, secretARN string) (string, string, error) {
	parsed, err := arn.Parse(secretARN)
	if err != nil || parsed.Service != "secretsmanager" {
		return "", "", &localdataapi.Error{Name: "SecretsErrorException", Status: http.StatusBadRequest, Message: fmt.Sprintf("%q is not the ARN of a Secrets Manager secret", secretARN)}
	}
	f.mu.Lock()
	cached, found := f.secrets[secretARN]
	f.mu.Unlock()
	if found && time.Since(cached.read) < secretTTL {
		return cached.username, cached.password, nil
	}
	out, err := secretsmanager.NewFromConfig(f.config(parsed.Region)).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	if err != nil {
		return "", "", &localdataapi.Error{Name: "SecretsErrorException", Status: http.StatusBadRequest, Message: "Error fetching secret " + secretARN + ": " + err.Error()}
	}
	var value struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &value); err != nil || value.Username == "" || value.Password == "" {
		return "", "", &localdataapi.Error{Name: "InvalidSecretException", Status: http.StatusBadRequest, Message: "The secret " + secretARN + " does not hold a JSON object with username and password"}
	}
	f.mu.Lock()
	f.secrets[secretARN] = cachedSecret{username: value.Username, password: value.Password, read: time.Now()}
	f.mu.Unlock()
	return value.Username, value.Password, nil
}
