package review

import "aurora-stages/settings"

// RestoreFindings says what a stage's restoreFrom does in a plan. Where the
// plan creates the cluster, the restore acts: a risk, naming the source,
// for whoever reads the review must know whose data the stage will hold.
// Where the cluster exists and stays, the setting does nothing: a note.
func RestoreFindings(cfg settings.StageConfig, plan *Plan) ([]Risk, []string) {
	r := cfg.RestoreFrom
	if r == nil {
		return nil, nil
	}
	for _, rc := range plan.ResourceChanges {
		if rc.Address != clusterAddress || (rc.Mode != "" && rc.Mode != "managed") {
			continue
		}
		if action := rc.Change.action(); action == Create || action == Replace {
			reason := "created from another stage's data, as the " + r.Kind() + ": the new cluster starts with its source's data and users, with a master password of its own"
			if cfg.AllowProductionData {
				reason += "; allowProductionData is set, so the data may be production's"
			}
			return []Risk{{Address: clusterAddress, Reason: reason}}, nil
		}
	}
	return nil, []string{"restoreFrom (" + r.Kind() + ") acts only when the cluster is created: this plan does not create it, so the setting changes nothing, and changing or removing it later changes nothing either"}
}
