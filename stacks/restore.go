package stacks

import (
	"os"
	"path/filepath"

	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/rdscluster"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// A stage's restoreFrom (package settings, which checks it against its
// source) becomes the cluster's restore arguments here, and a provisioner
// that finishes the restored cluster.

// pointInTimeRestore is the cluster's restore_to_point_in_time for a clone
// (copy-on-write, at the latest restorable time) or a point-in-time restore
// (a full copy at the stage's Time) of another stage's cluster.
func pointInTimeRestore(cfg settings.StageConfig) *rdscluster.RdsClusterRestoreToPointInTime {
	r := cfg.RestoreFrom
	if r == nil || r.Stage == "" {
		return nil
	}
	source := settings.StageConfig{Stage: r.Stage, Account: cfg.Account}
	restore := &rdscluster.RdsClusterRestoreToPointInTime{SourceClusterIdentifier: jsii.String(source.ClusterIdentifier())}
	if r.Time == "" {
		restore.RestoreType = jsii.String("copy-on-write")
		restore.UseLatestRestorableTime = jsii.Bool(true)
	} else {
		restore.RestoreType = jsii.String("full-copy")
		restore.RestoreToTime = jsii.String(r.Time)
	}
	return restore
}

// snapshotRestore is the cluster's snapshot_identifier for a restore from a
// snapshot.
func snapshotRestore(cfg settings.StageConfig) *string {
	if cfg.RestoreFrom == nil || cfg.RestoreFrom.Snapshot == "" {
		return nil
	}
	return jsii.String(cfg.RestoreFrom.Snapshot)
}

// FinishRestoreFlag makes the app finish a stage's restored cluster instead
// of synthesizing: <app> --finish-restore <stage>.
const FinishRestoreFlag = "--finish-restore"

// restoreProvisioner finishes a restored cluster (internal/afterrestore:
// the Data API, and IAM authentication after a snapshot restore), once,
// when the cluster is created: a creation-time provisioner runs then and
// never again, and a change of it plans nothing. RDS takes no Data API
// switch in a restore, and the provider switches it only on an update.
// It runs the app itself (cdktf.json's app command) from the app's folder,
// with the deploy's environment: its credentials, its DB_* settings.
func restoreProvisioner(stack cdktf.TerraformStack, cfg settings.StageConfig) *[]interface{} {
	if cfg.RestoreFrom == nil {
		return nil
	}
	app := cfg.Account.App
	if app == "" {
		app = settings.DefaultApp
	}
	stackDir, _ := filepath.Abs(filepath.Join(*cdktf.App_Of(stack).Outdir(), "stacks", cfg.Stage))
	appDir, _ := os.Getwd()
	workDir, err := filepath.Rel(stackDir, appDir)
	if err != nil {
		workDir = appDir
	}
	return &[]interface{}{&cdktf.LocalExecProvisioner{
		Type:       jsii.String("local-exec"),
		Command:    jsii.String(app + " " + FinishRestoreFlag + " " + cfg.Stage),
		WorkingDir: jsii.String(filepath.ToSlash(workDir)),
	}}
}
