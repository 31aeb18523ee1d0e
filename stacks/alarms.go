package stacks

import (
	"maps"
	"slices"
	"strconv"

	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchmetricalarm"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dbeventsubscription"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// What the alarms watch, and for how long before they tell anyone.
// docs/stack.md ("Alarms") gives each its reason.
const (
	alarmPeriodSeconds = 300
	// Three periods in a row: a quarter of an hour, long enough to pass
	// over a batch job's spike, short enough to act on.
	alarmEvaluationPeriods = 3
	// Capacity at or above 90% of maxCapacity is the ceiling: Serverless
	// v2 cannot scale further, and queries queue.
	capacityCeilingShare = 0.9
	cpuHighPercent       = 90
)

// alarmWindow is how long a condition lasts before an alarm tells, in the
// alarms' descriptions.
var alarmWindow = strconv.Itoa(alarmPeriodSeconds*alarmEvaluationPeriods/60) + " minutes"

// newAlarms tells the stage's SNS topic (alarmTopicArn) when the database
// is in trouble: its capacity held at the ceiling, an instance's CPU high,
// and a failover. A paused database sends no metrics: missing data is not
// breaching, so a stage that scales to zero pages nobody at night.
func newAlarms(stack cdktf.TerraformStack, cfg settings.StageConfig, clusterID *string) {
	if cfg.AlarmTopicARN == "" {
		return
	}
	topic := jsii.Strings(cfg.AlarmTopicARN)
	alarm := func(id, name, description, metric, statistic, operator string, threshold float64, dimensions map[string]*string) {
		cloudwatchmetricalarm.NewCloudwatchMetricAlarm(stack, jsii.String(id), &cloudwatchmetricalarm.CloudwatchMetricAlarmConfig{
			AlarmName:          jsii.String(name),
			AlarmDescription:   jsii.String(description),
			Namespace:          jsii.String("AWS/RDS"),
			MetricName:         jsii.String(metric),
			Dimensions:         &dimensions,
			Statistic:          jsii.String(statistic),
			Period:             jsii.Number(alarmPeriodSeconds),
			EvaluationPeriods:  jsii.Number(alarmEvaluationPeriods),
			DatapointsToAlarm:  jsii.Number(alarmEvaluationPeriods),
			ComparisonOperator: jsii.String(operator),
			Threshold:          jsii.Number(threshold),
			TreatMissingData:   jsii.String("notBreaching"),
			AlarmActions:       topic,
			OkActions:          topic,
		})
	}

	ceiling := capacityCeilingShare * cfg.MaxCapacity
	alarm("capacity_at_ceiling", cfg.Prefix()+"-capacity-at-ceiling",
		"The cluster "+cfg.ClusterIdentifier()+" has run at "+strconv.FormatFloat(ceiling, 'f', -1, 64)+" ACU or more ("+strconv.Itoa(int(capacityCeilingShare*100))+"% of maxCapacity) for "+alarmWindow+": it cannot scale further; raise maxCapacity or find the load",
		"ServerlessDatabaseCapacity", "Maximum", "GreaterThanOrEqualToThreshold", ceiling,
		map[string]*string{"DBClusterIdentifier": clusterID})

	instances := map[string]string{"writer": cfg.WriterIdentifier()}
	for n := 1; n <= cfg.Readers; n++ {
		instances["reader_"+strconv.Itoa(n)] = cfg.ReaderIdentifier(n)
	}
	for _, id := range slices.Sorted(maps.Keys(instances)) {
		identifier := instances[id]
		alarm("cpu_high_"+id, identifier+"-cpu-high",
			"The instance "+identifier+" has used more than "+strconv.Itoa(cpuHighPercent)+"% of its CPU for "+alarmWindow,
			"CPUUtilization", "Average", "GreaterThanThreshold", cpuHighPercent,
			map[string]*string{"DBInstanceIdentifier": jsii.String(identifier)})
	}

	// A failover is an event, not a metric crossing a line: RDS publishes
	// it ("failover started", "completed") as a cluster event.
	dbeventsubscription.NewDbEventSubscription(stack, jsii.String("failover_events"), &dbeventsubscription.DbEventSubscriptionConfig{
		Name:            jsii.String(cfg.Prefix() + "-failover"),
		SnsTopic:        jsii.String(cfg.AlarmTopicARN),
		SourceType:      jsii.String("db-cluster"),
		SourceIds:       &[]*string{clusterID},
		EventCategories: jsii.Strings("failover"),
	})
}
