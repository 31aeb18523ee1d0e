package settings

import "maps"

// StackOwnTags are the tags the stacks set themselves: the team's tags
// cannot take these keys.
var StackOwnTags = []string{"service", "stage", "managed-by", "Name"}

// DefaultTags are a stack's default_tags, which the provider puts on every
// resource it creates: the account's tags, the stage's over them, and the
// stack's own (each resource adds its Name).
func DefaultTags(account AccountSettings, stage string, stageTags map[string]string) map[string]string {
	tags := maps.Clone(account.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	maps.Copy(tags, stageTags)
	tags["service"], tags["stage"], tags["managed-by"] = account.Service, stage, "cdktf"
	return tags
}
