package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"
)

// A stage can start from another's data (restoreFrom): an Aurora clone of
// another stage's cluster, a point-in-time restore of it, or a restore from
// a cluster snapshot. RDS reads the source only when the cluster is
// created; afterwards the setting changes nothing (the cluster ignores it),
// so it may stay in cdktf.json or go.
//
// Two kinds of stage are not listed in cdktf.json's stages:
//   - previews, pr-<number>, built from context.previews, for a pull
//     request's own database (.github/workflows/preview.yml);
//   - restore drills, drill-<stage>, a disposable clone of a listed stage
//     (make restore-drill).

// RestoreFrom names where a stage's first data comes from: exactly one of
// Stage (with Time for a point-in-time restore, without it a clone) and
// Snapshot.
type RestoreFrom struct {
	// Stage is a stage of cdktf.json in the same account and region.
	Stage string `json:"stage,omitempty"`
	// Time, RFC 3339, is the moment of Stage's data a point-in-time
	// restore returns to; empty clones Stage as it is now.
	Time string `json:"time,omitempty"`
	// Snapshot is a cluster snapshot's identifier.
	Snapshot string `json:"snapshot,omitempty"`
}

// UnmarshalJSON refuses keys it does not know: a misspelt "snapshot" must
// not become a clone.
func (r *RestoreFrom) UnmarshalJSON(data []byte) error {
	type plain RestoreFrom
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	var value plain
	if err := decoder.Decode(&value); err != nil {
		// encoding/json says an unknown key only in its message.
		if key, unknown := strings.CutPrefix(err.Error(), "json: unknown field "); unknown {
			return unknownKeyError{strings.Trim(key, `"`)}
		}
		return err
	}
	*r = RestoreFrom(value)
	return nil
}

// unknownKeyError is a key restoreFrom does not take.
type unknownKeyError struct{ key string }

func (e unknownKeyError) Error() string { return "unknown key " + e.key }

// restoreFromKeys are the keys restoreFrom takes.
var restoreFromKeys = []string{"snapshot", "stage", "time"}

// Kind says which of the three restores it is, in the words of the docs
// and the review.
func (r *RestoreFrom) Kind() string {
	switch {
	case r.Snapshot != "":
		return "restore of snapshot " + r.Snapshot
	case r.Time != "":
		return "point-in-time restore of stage " + r.Stage + " at " + r.Time
	}
	return "clone of stage " + r.Stage
}

// restoreFromSyntax is what restoreFrom allows, for error messages.
const restoreFromSyntax = `{"stage": "<stage>"} (a clone), {"stage": "<stage>", "time": "<RFC 3339 time>"} (a point-in-time restore) or {"snapshot": "<cluster snapshot identifier>"}`

var (
	// previewName is a pull request's stage, pr-<number>.
	previewName = regexp.MustCompile(`^pr-[1-9][0-9]*$`)
	// snapshotIdentifier is a manual snapshot's identifier, or an
	// automated one's, which RDS prefixes with rds:.
	snapshotIdentifier = regexp.MustCompile(`^(rds:)?[A-Za-z][A-Za-z0-9-]{0,254}$`)
)

// PreviewPrefix starts every preview stage's name; DrillPrefix every
// restore drill's.
const (
	PreviewPrefix = "pr-"
	DrillPrefix   = "drill-"
)

// IsPreview says whether a stage is a pull request's preview.
func IsPreview(stage string) bool { return previewName.MatchString(stage) }

// validateRestore checks a stage's restoreFrom against its source, resolved
// from the same settings: what the new cluster inherits from it must be
// what the stage configures, or every later plan would replace the
// cluster.
func (s *Settings) validateRestore(c StageConfig) []string {
	r := c.RestoreFrom
	if r == nil {
		return nil
	}
	var problems []string
	report := func(rule string) {
		problems = append(problems, fmt.Sprintf("stage %q: restoreFrom = %s: %s", c.Stage, asJSON(r), rule))
	}
	switch {
	case (r.Stage == "") == (r.Snapshot == ""):
		report("must be exactly one of " + restoreFromSyntax)
		return problems
	case r.Snapshot != "" && r.Time != "":
		report("time goes with stage, not with snapshot (a snapshot is a moment already)")
		return problems
	case r.Snapshot != "" && !snapshotIdentifier.MatchString(r.Snapshot):
		report("snapshot must be a cluster snapshot's identifier: a letter, then up to 254 letters, digits and hyphens (rds: first for an automated snapshot), not its ARN")
		return problems
	}
	if r.Time != "" {
		at, err := time.Parse(time.RFC3339, r.Time)
		switch {
		case err != nil:
			report("time must be an RFC 3339 time such as 2026-11-30T10:00:00Z")
		case at.After(s.now()):
			report(fmt.Sprintf("time is in the future (it is %s now): a point-in-time restore returns to a moment that has passed", s.now().UTC().Format(time.RFC3339)))
		}
	}

	source, sourceName := s.restoreSource(c)
	switch {
	case r.Stage == c.Stage:
		report("a stage cannot be made from its own data: name another stage")
		return problems
	case r.Stage != "" && source == nil:
		report(fmt.Sprintf("stage %q is not a stage of cdktf.json (configured: %s)", r.Stage, strings.Join(s.StageNames(), ", ")))
		return problems
	case source == nil:
		// A snapshot of no stage the app knows: what it holds is checked
		// at deploy time, by RDS.
		return problems
	}
	inherited := func(key string, mine, theirs any) {
		if mine != theirs {
			problems = append(problems, fmt.Sprintf("stage %q: %s = %v, but %s inherits %v from %s, whose %s that is: set %s to %v in stage %q (a restored cluster takes it from its source, and a different value would replace the cluster on the next deploy)",
				c.Stage, key, asJSON(mine), r.Kind(), asJSON(theirs), sourceName, key, key, asJSON(theirs), c.Stage))
		}
	}
	inherited("masterUsername", c.MasterUsername, source.MasterUsername)
	inherited("databaseName", c.DatabaseName, source.DatabaseName)
	if r.Stage != "" {
		// A clone or a point-in-time restore runs the source's version.
		inherited("engineVersion", c.EngineVersion, source.EngineVersion)
		if c.Region != source.Region {
			report(fmt.Sprintf("stage %q is in region %s, stage %q in %s: a clone or point-in-time restore stays in its source's region", r.Stage, source.Region, c.Stage, c.Region))
		}
		if c.AccountID != "" && source.AccountID != "" && c.AccountID != source.AccountID {
			report(fmt.Sprintf("stage %q is in account %s, stage %q in %s: a clone or point-in-time restore stays in its source's account", r.Stage, source.AccountID, c.Stage, c.AccountID))
		}
	}
	if source.Profile == ProductionProfile && c.Profile != ProductionProfile && !c.AllowProductionData {
		report(fmt.Sprintf("%s holds a production-profile stage's data, and stage %q has the %s profile: set \"allowProductionData\": true in stage %q's entry if that data may go there", sourceName, c.Stage, c.Profile, c.Stage))
	}
	return problems
}

// restoreSource resolves the stage a restore reads: the named stage, or the
// stage whose final snapshot it is. It returns nil for a snapshot of no
// configured stage, or a source that is not configured.
func (s *Settings) restoreSource(c StageConfig) (*StageConfig, string) {
	r := c.RestoreFrom
	for _, name := range s.StageNames() {
		source, problems := resolveStage(name, s.Stages[name], s.Account)
		if len(problems) > 0 {
			// Reported where that stage is resolved itself.
			continue
		}
		if name == r.Stage {
			return &source, fmt.Sprintf("stage %q", name)
		}
		if r.Snapshot != "" && source.FinalSnapshot && r.Snapshot == source.FinalSnapshotName() {
			return &source, fmt.Sprintf("snapshot %s (stage %q's final snapshot)", r.Snapshot, name)
		}
	}
	return nil, ""
}

// drillStage is a disposable clone of a listed stage for a restore drill:
// the source's place (account, region, network), the dev profile's
// disposal (no deletion protection, no final snapshot, the secret deleted
// at once), no readers, no consumers and no alarms.
func (s *Settings) drillStage(name string) (StageConfig, []string) {
	// Resolve lets a drill's name through only when its stage is listed.
	sourceName := strings.TrimPrefix(name, DrillPrefix)
	cfg, problems := resolveStage(sourceName, s.Stages[sourceName], s.Account)
	dev := devProfile()
	cfg.Stage, cfg.Profile = name, DevProfile
	cfg.RestoreFrom = &RestoreFrom{Stage: sourceName}
	cfg.AllowProductionData = true
	cfg.Readers = 0
	cfg.MinCapacity, cfg.AutoPauseSeconds = 0, dev.AutoPauseSeconds
	cfg.DeletionProtection, cfg.PreventDestroy = false, false
	cfg.FinalSnapshot, cfg.FinalSnapshotIdentifier, cfg.KeepAutomatedBackups = false, "", false
	cfg.SecretRecoveryWindowDays = 0
	// The clone stays encrypted with its source's key: a key of its own
	// would outlive the drill, pending deletion for at least 7 days.
	cfg.KMSKey = KMSKeyAWSManaged
	cfg.ConsumerRoleNames = []string{}
	cfg.AlarmTopicARN = ""
	cfg.Tags = maps.Clone(cfg.Tags)
	cfg.Tags["restore-drill"] = sourceName
	return cfg, problems
}

// now is the time restore times are checked against: Settings.Clock, or
// the machine's.
func (s *Settings) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}
