package review

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"

	"aurora-stages/internal/prices"
)

// HoursPerMonth is the month the cost section prices: AWS's own 730 hours.
const HoursPerMonth = 730

// Cost notes: a change that raises the monthly ceiling by more than
// CostNoteShare of it, or by more than CostNoteUSD, is noted (not a risk).
var (
	CostNoteShare = big.NewRat(1, 4)
	CostNoteUSD   = big.NewRat(100, 1)
)

// Money is a monthly amount as a range, min to max; Unknown when a value
// it needs is known only after apply, Unpriced when the table has no price
// for it in the region.
type Money struct {
	Min, Max          *big.Rat
	Unknown, Unpriced bool
}

func exact(usd *big.Rat) Money { return Money{Min: usd, Max: usd} }

var zero = exact(new(big.Rat))

func (m Money) add(o Money) Money {
	if m.Unknown || o.Unknown {
		return Money{Unknown: true}
	}
	if m.Unpriced || o.Unpriced {
		return Money{Unpriced: true}
	}
	return Money{Min: new(big.Rat).Add(m.Min, o.Min), Max: new(big.Rat).Add(m.Max, o.Max)}
}

// String is the amount as a reader sees it: "$1.40", "0 when paused to
// $350.40", "unknown", "unpriced".
func (m Money) String() string {
	switch {
	case m.Unknown:
		return "unknown until applied"
	case m.Unpriced:
		return "unpriced"
	case m.Min.Cmp(m.Max) == 0:
		return dollars(m.Max)
	case m.Min.Sign() == 0:
		return "0 when paused to " + dollars(m.Max)
	}
	return dollars(m.Min) + " to " + dollars(m.Max)
}

func dollars(usd *big.Rat) string {
	sign := ""
	if usd.Sign() < 0 {
		sign, usd = "-", new(big.Rat).Neg(usd)
	}
	return sign + "$" + usd.FloatString(2)
}

// CostLine is one resource's monthly cost before and after the plan.
type CostLine struct {
	Address string
	// Kind is "fixed" or "capacity".
	Kind string
	// What names what is priced, and at what.
	What          string
	Before, After Money
}

// Costs is a stage's monthly cost before and after a plan, at list prices.
type Costs struct {
	Region string
	// Published is the date of the region's prices, "" for a region the
	// table does not cover.
	Published string
	Lines     []CostLine
	// Free lists the resources AWS does not charge for.
	Free []string
	// UsageBased are the unit prices of what is billed by use, not summed.
	UsageBased    []string
	Before, After Money
	// Stale is a warning when the region's prices are old.
	Stale string
	// Emulated, for a plan made against the emulator, says which storage
	// type the capacity was priced as, in place of the plan's.
	Emulated string
	// Note, if not empty, says a change raises the ceiling past the
	// threshold, and which settings did.
	Note string
}

// freeTypes are the stack's resources AWS does not charge for (standard
// SSM parameters: only the advanced tier is).
var freeTypes = []string{
	"aws_ssm_parameter", "aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule",
	"aws_iam_policy", "aws_iam_role", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment",
	"aws_db_subnet_group", "aws_rds_cluster_parameter_group", "aws_kms_alias", "aws_secretsmanager_secret_version",
	"aws_db_event_subscription", "terraform_data",
}

// fixedPrices are the resources with a flat monthly price.
var fixedPrices = map[string]struct{ name, what string }{
	"aws_kms_key":                 {prices.KMSKey, "customer-managed KMS key"},
	"aws_secretsmanager_secret":   {prices.Secret, "Secrets Manager secret"},
	"aws_cloudwatch_metric_alarm": {prices.Alarm, "CloudWatch alarm"},
}

// EstimateCosts prices every managed resource of a plan, unchanged ones
// included, from its values before and after, in the stage's region.
func EstimateCosts(plan *Plan, region string, table *prices.Table, now time.Time) *Costs {
	return estimateCosts(plan, region, "", table, now)
}

// EstimateEmulatedCosts prices a plan made against the emulator, whose
// cluster's storage type is moto's gp2 (known only after apply before the
// first deploy; stacks/target.go), as if the cluster had the stage's
// configured storageType on both sides of the plan, and says so.
func EstimateEmulatedCosts(plan *Plan, region, storageType string, table *prices.Table, now time.Time) *Costs {
	return estimateCosts(plan, region, storageType, table, now)
}

func estimateCosts(plan *Plan, region, emulatedStorage string, table *prices.Table, now time.Time) *Costs {
	c := &Costs{Region: region, Published: table.Published(region), Stale: table.Stale(region, now), Before: zero, After: zero}
	price := func(name string) (prices.Price, bool) { return table.Find(region, name) }
	var cluster sides
	for _, rc := range plan.ResourceChanges {
		if rc.Address == clusterAddress {
			cluster = sidesOf(rc.Change)
		}
	}
	if emulatedStorage != "" {
		c.Emulated = cluster.withStorage(emulatedStorage)
	}
	for _, rc := range plan.ResourceChanges {
		if rc.Mode != "" && rc.Mode != "managed" {
			continue
		}
		s := sidesOf(rc.Change)
		var line *CostLine
		switch {
		case slices.Contains(freeTypes, rc.Type):
			c.Free = append(c.Free, rc.Address)
			continue
		case rc.Type == "aws_rds_cluster_instance":
			line = capacityLine(rc.Address, s, cluster, price)
		case fixedPrices[rc.Type].name != "":
			f := fixedPrices[rc.Type]
			p, ok := price(f.name)
			line = &CostLine{Address: rc.Address, Kind: "fixed", What: f.what + priceText(p, ok)}
			each := func(present bool) Money {
				switch {
				case !present:
					return zero
				case !ok:
					return Money{Unpriced: true}
				}
				return exact(p.Amount())
			}
			line.Before, line.After = each(s.before != nil), each(s.after != nil)
		default:
			continue
		}
		c.Lines = append(c.Lines, *line)
		c.Before, c.After = c.Before.add(line.Before), c.After.add(line.After)
	}
	if region == "" || c.Published == "" {
		c.Before, c.After = Money{Unpriced: true}, Money{Unpriced: true}
	}
	c.UsageBased = usageBased(cluster, plan, price)
	c.Note = costNote(c, plan)
	return c
}

// sides are a resource's values before and after; nil where it does not
// exist. unknown is after_unknown.
type sides struct {
	before, after map[string]any
	unknown       map[string]any
}

// withStorage sets the cluster's storage type on each side of the plan
// where the cluster exists, and returns the cost section's line saying
// so; "" when the plan already had that storage type.
func (s *sides) withStorage(storageType string) string {
	var planned []string
	for _, values := range []*map[string]any{&s.before, &s.after} {
		if *values == nil {
			continue
		}
		was, known := (*values)["storage_type"].(string)
		switch {
		case !known || was == "":
			planned = append(planned, "known only after apply")
		case was != storageType:
			planned = append(planned, was)
		}
		*values = maps.Clone(*values)
		(*values)["storage_type"] = storageType
	}
	if s.unknown != nil {
		s.unknown = maps.Clone(s.unknown)
		delete(s.unknown, "storage_type")
	}
	if planned = slices.Compact(planned); len(planned) == 0 {
		return ""
	}
	return fmt.Sprintf("emulator: moto knows no Aurora storage type (the plan says %s), so the capacity is priced as the stage's storageType, %s, as AWS would bill it", strings.Join(planned, ", then "), storageType)
}

func sidesOf(change Change) sides {
	before, _ := change.Before.(map[string]any)
	after, _ := change.After.(map[string]any)
	unknown, _ := change.AfterUnknown.(map[string]any)
	if slices.Equal(change.Actions, []string{"delete"}) {
		after = nil
	}
	if slices.Equal(change.Actions, []string{"create"}) {
		before = nil
	}
	return sides{before: before, after: after, unknown: unknown}
}

// capacityLine prices a db.serverless instance from its cluster's scaling
// configuration and storage type on the same side of the plan.
func capacityLine(address string, instance, cluster sides, price func(string) (prices.Price, bool)) *CostLine {
	line := &CostLine{Address: address, Kind: "capacity"}
	var whats []string
	side := func(values, clusterValues, unknownCluster map[string]any) Money {
		if values == nil {
			return zero
		}
		if str(values, "instance_class") != "db.serverless" {
			whats = append(whats, "instance class "+str(values, "instance_class")+" is not priced here")
			return Money{Unpriced: true}
		}
		scaling := nested(clusterValues, "serverlessv2_scaling_configuration")
		minACU, okMin := number(scaling, "min_capacity")
		maxACU, okMax := number(scaling, "max_capacity")
		storage, storageKnown := clusterValues["storage_type"].(string)
		if unknownCluster["storage_type"] == true || unknownCluster["serverlessv2_scaling_configuration"] == true || !okMin || !okMax {
			return Money{Unknown: true}
		}
		name, label := prices.ACUHourStandard, "Standard"
		switch {
		case storageKnown && storage == "aurora-iopt1":
			name, label = prices.ACUHourIOOptimized, "I/O-Optimized"
		case storage != "" && storage != "aurora":
			whats = append(whats, "storage type "+storage+" is not priced here")
			return Money{Unpriced: true}
		}
		p, ok := price(name)
		whats = append(whats, fmt.Sprintf("db.serverless, %s to %s ACU, %s storage%s", ratText(minACU), ratText(maxACU), label, priceText(p, ok)))
		if !ok {
			return Money{Unpriced: true}
		}
		perACU := new(big.Rat).Mul(p.Amount(), big.NewRat(HoursPerMonth, 1))
		return Money{Min: new(big.Rat).Mul(perACU, rat(minACU)), Max: new(big.Rat).Mul(perACU, rat(maxACU))}
	}
	line.Before = side(instance.before, cluster.before, nil)
	line.After = side(instance.after, cluster.after, cluster.unknown)
	whats = slices.Compact(whats)
	line.What = strings.Join(whats, "; then ")
	return line
}

// usageBased lists the unit prices of what the stage is billed for by use,
// as it is after the plan (before it, for a stage the plan destroys).
func usageBased(cluster sides, plan *Plan, price func(string) (prices.Price, bool)) []string {
	values := cluster.after
	if values == nil {
		values = cluster.before
	}
	if values == nil {
		return nil
	}
	ioOptimized := str(values, "storage_type") == "aurora-iopt1"
	var lines []string
	add := func(what, name string) {
		p, ok := price(name)
		if !ok {
			lines = append(lines, what+": unpriced (no sourced price in the table)")
			return
		}
		lines = append(lines, fmt.Sprintf("%s: $%s per %s", what, p.USD, unitText(p.Unit)))
	}
	if ioOptimized {
		add("storage (I/O-Optimized)", prices.StorageIOOptimized)
		lines = append(lines, "I/O: none on I/O-Optimized storage")
	} else {
		add("storage", prices.StorageStandard)
		add("I/O", prices.IORequests)
	}
	add("backup storage beyond the cluster's size within the retention period", prices.Backup)
	retention, logs := 0.0, len(list(values, "enabled_cloudwatch_logs_exports")) > 0
	for _, rc := range plan.ResourceChanges {
		if rc.Type != "aws_rds_cluster_instance" {
			continue
		}
		s := sidesOf(rc.Change)
		instance := s.after
		if instance == nil {
			instance = s.before
		}
		if days, ok := number(instance, "performance_insights_retention_period"); ok && days > retention {
			retention = days
		}
		if interval, ok := number(instance, "monitoring_interval"); ok && interval > 0 {
			logs = true
		}
	}
	if retention > 7 {
		add(fmt.Sprintf("Performance Insights kept %s days (7 are free)", ratText(retention)), prices.PerformanceInsights)
	}
	if logs {
		add("CloudWatch Logs ingestion of the log exports and Enhanced Monitoring", prices.LogsIngestion)
	}
	add("Data API requests", prices.DataAPI)
	if str(values, "database_insights_mode") == "advanced" {
		add("Database Insights in advanced mode, on every ACU-hour of the instances", prices.DatabaseInsightsAdvanced)
	}
	return lines
}

// costNote says when the plan raises the monthly ceiling past the
// threshold, naming the stage settings that did it and, in brackets, what
// in the plan changed.
func costNote(c *Costs, plan *Plan) string {
	before, after := c.Before, c.After
	if before.Unknown || before.Unpriced || after.Unknown || after.Unpriced {
		return ""
	}
	rise := new(big.Rat).Sub(after.Max, before.Max)
	threshold := new(big.Rat).Mul(before.Max, CostNoteShare)
	if rise.Sign() <= 0 || rise.Cmp(CostNoteUSD) <= 0 && (before.Max.Sign() == 0 || rise.Cmp(threshold) <= 0) {
		return ""
	}
	// Each setting, with what in the plan it changed.
	changed := map[string][]string{}
	for _, rc := range plan.ResourceChanges {
		// The priced resources, and the cluster, whose scaling and storage
		// type price its instances.
		if rc.Type != "aws_rds_cluster_instance" && fixedPrices[rc.Type].name == "" && rc.Address != clusterAddress {
			continue
		}
		switch action := rc.Change.action(); action {
		case Create, Delete:
			setting := settingAdded(rc)
			changed[setting] = append(changed[setting], rc.Address+" "+map[Action]string{Create: "added", Delete: "removed"}[action])
		case Update, Replace:
			s := sidesOf(rc.Change)
			for _, a := range rc.Change.attributeChanges() {
				if slices.Contains([]string{"serverlessv2_scaling_configuration", "storage_type", "instance_class"}, a.Name) {
					setting := settingChanged(a.Name, s)
					changed[setting] = append(changed[setting], rc.Address+"."+a.Name)
				}
			}
		}
	}
	var causes []string
	for _, setting := range slices.Sorted(maps.Keys(changed)) {
		what := changed[setting]
		sort.Strings(what)
		causes = append(causes, setting+" ("+strings.Join(what, ", ")+")")
	}
	share := ""
	if before.Max.Sign() > 0 {
		share = fmt.Sprintf(" (+%s%%)", new(big.Rat).Mul(new(big.Rat).Quo(rise, before.Max), big.NewRat(100, 1)).FloatString(0))
	}
	return fmt.Sprintf("the monthly ceiling rises by %s%s, to %s: %s", dollars(rise), share, dollars(after.Max), strings.Join(causes, ", "))
}

// settingAdded is the stage setting (docs/settings.md) that adds or
// removes a priced resource of the stack.
func settingAdded(rc ResourceChange) string {
	switch {
	case rc.Address == clusterAddress || rc.Address == writerAddress || rc.Type == "aws_secretsmanager_secret":
		return "the stage itself"
	// A reader's CPU alarm (cpu_high_reader_<n>) comes and goes with it.
	case rc.Type == "aws_rds_cluster_instance" || rc.Type == "aws_cloudwatch_metric_alarm" && strings.Contains(rc.Address, "_reader_"):
		return "readers"
	case rc.Type == "aws_kms_key":
		return "kmsKey"
	case rc.Type == "aws_cloudwatch_metric_alarm":
		return "alarmTopicArn"
	}
	return rc.Type
}

// settingChanged is the stage setting behind a priced attribute of the
// cluster or an instance: for the scaling configuration, whichever of
// minCapacity and maxCapacity differs.
func settingChanged(attribute string, s sides) string {
	switch attribute {
	case "storage_type":
		return "storageType"
	case "serverlessv2_scaling_configuration":
		before, after := nested(s.before, attribute), nested(s.after, attribute)
		var settings []string
		for _, b := range []struct{ key, setting string }{{"min_capacity", "minCapacity"}, {"max_capacity", "maxCapacity"}} {
			was, _ := number(before, b.key)
			is, ok := number(after, b.key)
			if !ok || was != is {
				settings = append(settings, b.setting)
			}
		}
		if len(settings) > 0 {
			return strings.Join(settings, " and ")
		}
		return "the capacity range"
	}
	return "no stage setting: " + attribute
}

func priceText(p prices.Price, ok bool) string {
	if !ok {
		return " (unpriced)"
	}
	return fmt.Sprintf(" at $%s per %s", p.USD, unitText(p.Unit))
}

// unitText is a unit in words, the table's transcribed ones and the Price
// List's (which cmd/prices keeps as AWS writes them) alike.
func unitText(unit string) string {
	switch unit {
	case "ACU-Hr":
		return "ACU-hour"
	case "GB-Mo":
		return "GB-month"
	case "1M requests":
		return "million requests"
	case "Keys":
		return "key-month"
	case "Secrets":
		return "secret-month"
	case "Alarms":
		return "alarm-month"
	case "ACU-Months", "ACU-Month", "ACU-Mo":
		return "ACU-month"
	}
	return unit
}

func rat(f float64) *big.Rat { return new(big.Rat).SetFloat64(f) }

func ratText(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", f), "0"), ".")
}

func list(values map[string]any, name string) []any {
	l, _ := values[name].([]any)
	return l
}

// write renders the cost section, the report's last.
func (c *Costs) write(b *strings.Builder, markdown bool) {
	heading := fmt.Sprintf("Monthly cost at list prices of %s, %s (%d hours a month)", c.Published, c.Region, HoursPerMonth)
	if c.Published == "" {
		heading = fmt.Sprintf("Monthly cost: unpriced, the price table has no prices for region %q (never another region's)", c.Region)
	}
	if markdown {
		fmt.Fprintf(b, "\n#### %s\n\n", heading)
	} else {
		fmt.Fprintf(b, "\n%s:\n", heading)
	}
	for _, line := range []string{c.Stale, c.Emulated} {
		if line != "" && markdown {
			fmt.Fprintf(b, "> %s\n\n", line)
		} else if line != "" {
			fmt.Fprintf(b, "%s\n", line)
		}
	}
	if markdown {
		b.WriteString("| resource | priced | before | after |\n| --- | --- | --- | --- |\n")
		for _, l := range c.Lines {
			fmt.Fprintf(b, "| `%s` | %s: %s | %s | %s |\n", l.Address, l.Kind, strings.ReplaceAll(l.What, "|", `\|`), l.Before, l.After)
		}
		fmt.Fprintf(b, "| **total** | fixed and capacity | **%s** | **%s** |\n", c.Before, c.After)
	} else {
		for _, l := range c.Lines {
			fmt.Fprintf(b, "  %s (%s: %s)\n    before %s, after %s\n", l.Address, l.Kind, l.What, l.Before, l.After)
		}
		fmt.Fprintf(b, "  total: before %s, after %s\n", c.Before, c.After)
	}
	if d := difference(c.Before, c.After); d != "" {
		fmt.Fprintf(b, "%sdifference: %s a month\n", map[bool]string{true: "\n", false: "  "}[markdown], d)
	}
	if len(c.Free) > 0 {
		fmt.Fprintf(b, "%sfree: %s\n", map[bool]string{true: "\n", false: "  "}[markdown], strings.Join(c.Free, ", "))
	}
	if len(c.UsageBased) > 0 {
		if markdown {
			b.WriteString("\nBilled by use, not in the totals:\n\n")
			for _, u := range c.UsageBased {
				fmt.Fprintf(b, "- %s\n", u)
			}
		} else {
			b.WriteString("  billed by use, not in the totals:\n")
			for _, u := range c.UsageBased {
				fmt.Fprintf(b, "    %s\n", u)
			}
		}
	}
}

// difference is after minus before, floor and ceiling; "" when either is
// not a number.
func difference(before, after Money) string {
	if before.Unknown || before.Unpriced || after.Unknown || after.Unpriced {
		return ""
	}
	signed := func(r *big.Rat) string {
		if r.Sign() >= 0 {
			return "+" + dollars(r)
		}
		return dollars(r)
	}
	low, high := new(big.Rat).Sub(after.Min, before.Min), new(big.Rat).Sub(after.Max, before.Max)
	if low.Cmp(high) == 0 {
		return signed(high)
	}
	return signed(low) + " to " + signed(high)
}
