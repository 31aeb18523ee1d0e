// Package prices is the list-price table the review's cost section reads
// (review/cost.go): AWS's prices per region, each with its unit, AWS's
// usage type and where it came from. The review never touches the
// network; the table is embedded (prices.json).
//
// cmd/prices regenerates the table from AWS's Price List offer files. The
// machines this project is built on cannot download them, so the first
// table was transcribed from public sources, one per entry, marked as
// transcribed with the date of its source; a price no source gave is left
// out, and the review shows it as unpriced.
package prices

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

// Names of the prices the review uses.
const (
	// ACUHourStandard and ACUHourIOOptimized are a Serverless v2
	// instance's capacity, per ACU-hour, on Standard and I/O-Optimized
	// storage.
	ACUHourStandard    = "aurora-serverless-v2-acu-hour"
	ACUHourIOOptimized = "aurora-serverless-v2-io-optimized-acu-hour"
	// StorageStandard and StorageIOOptimized are the cluster's storage,
	// per GB-month.
	StorageStandard    = "aurora-storage-gb-month"
	StorageIOOptimized = "aurora-io-optimized-storage-gb-month"
	// IORequests is Standard storage's I/O, per million requests.
	IORequests = "aurora-io-million-requests"
	// Backup is backup storage beyond the free amount (the cluster's size
	// within the retention period), per GB-month.
	Backup = "aurora-backup-gb-month"
	// PerformanceInsights is Performance Insights' retention beyond the
	// free 7 days for Serverless v2, per ACU-month.
	PerformanceInsights = "aurora-performance-insights-acu-month"
	// DataAPI is the Data API, per million requests.
	DataAPI = "rds-data-api-million-requests"
	// DatabaseInsightsAdvanced is CloudWatch Database Insights' advanced
	// mode, per ACU-hour. Not in Names: no offer file this project could
	// read had its usage type, so cmd/prices does not source it yet, and
	// the review says it is unpriced rather than guess.
	DatabaseInsightsAdvanced = "aurora-database-insights-advanced-acu-hour"
	// KMSKey is a customer-managed KMS key, per month.
	KMSKey = "kms-key-month"
	// Secret is a Secrets Manager secret, per month.
	Secret = "secretsmanager-secret-month"
	// LogsIngestion is CloudWatch Logs ingestion, per GB: log exports and
	// Enhanced Monitoring.
	LogsIngestion = "cloudwatch-logs-ingestion-gb"
	// Alarm is a standard-resolution CloudWatch alarm, per month.
	Alarm = "cloudwatch-alarm-month"
)

// Names are the names above, in the order the table lists them in each
// region (cmd/prices writes it so).
var Names = []string{
	ACUHourStandard, ACUHourIOOptimized, StorageStandard, StorageIOOptimized,
	IORequests, Backup, PerformanceInsights, DataAPI,
	KMSKey, Secret, LogsIngestion, Alarm,
}

// Price is one entry of the table.
type Price struct {
	Name    string `json:"name"`
	Region  string `json:"region"`
	Service string `json:"service"`
	// UsageType is AWS's usage type, as the Price List names it in this
	// region (other regions than us-east-1 prefix it: EU-, USW2-...).
	UsageType string `json:"usageType"`
	Unit      string `json:"unit"`
	// USD is the price of one unit, in US dollars, as a decimal.
	USD string `json:"usd"`
	// Published is the date of the price list (or, for a transcribed
	// entry, of its source) the price came from, YYYY-MM-DD.
	Published string `json:"published"`
	// Source says where the price came from: an offer file's URL, or the
	// page or file it was transcribed from.
	Source string `json:"source"`
	// Transcribed is true for an entry copied by hand from Source rather
	// than generated from an offer file.
	Transcribed bool `json:"transcribed,omitempty"`
	// Note says what a reader of the source should know: how the price
	// was read from it, what it does not confirm.
	Note string `json:"note,omitempty"`
}

// Amount is the price as an exact number.
func (p Price) Amount() *big.Rat {
	r, _ := new(big.Rat).SetString(p.USD)
	return r
}

// Table is every price, for every region it covers.
type Table struct {
	Prices []Price `json:"prices"`
}

//go:embed prices.json
var embedded []byte

// Load reads the embedded table and checks every entry.
func Load() (*Table, error) {
	return Parse(embedded)
}

// Parse reads a table and checks every entry: a name of Names, region,
// unit, usage type, source, a price and a publication date each; one entry
// per name and region.
func Parse(data []byte) (*Table, error) {
	var t Table
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("the price table is not valid JSON: %w", err)
	}
	seen := map[[2]string]bool{}
	for i, p := range t.Prices {
		where := fmt.Sprintf("price %d (%s, %s)", i, p.Name, p.Region)
		switch {
		case p.Name == "" || p.Region == "" || p.Service == "" || p.UsageType == "" || p.Unit == "" || p.Source == "":
			return nil, fmt.Errorf("%s: name, region, service, usage type, unit and source are required", where)
		case !slices.Contains(Names, p.Name):
			return nil, fmt.Errorf("%s: no price of the review is named %q; the names are %s", where, p.Name, strings.Join(Names, ", "))
		case p.Amount() == nil || p.Amount().Sign() < 0:
			return nil, fmt.Errorf("%s: usd %q is not a price", where, p.USD)
		case seen[[2]string{p.Name, p.Region}]:
			return nil, fmt.Errorf("%s: a second price of that name in that region", where)
		}
		if _, err := time.Parse(time.DateOnly, p.Published); err != nil {
			return nil, fmt.Errorf("%s: published %q is not a date (YYYY-MM-DD)", where, p.Published)
		}
		seen[[2]string{p.Name, p.Region}] = true
	}
	return &t, nil
}

// Find returns the price of a name in a region; false when the table has
// none there (the region's or that price's): never another region's.
func (t *Table) Find(region, name string) (Price, bool) {
	for _, p := range t.Prices {
		if p.Region == region && p.Name == name {
			return p, true
		}
	}
	return Price{}, false
}

// Published is the date of a region's oldest price, "" for a region the
// table does not cover: what the review says its figures are as of.
func (t *Table) Published(region string) string {
	var dates []string
	for _, p := range t.Prices {
		if p.Region == region {
			dates = append(dates, p.Published)
		}
	}
	if len(dates) == 0 {
		return ""
	}
	return slices.Min(dates)
}

// MaxAge is how old a region's prices may be before the review warns that
// they are stale.
const MaxAge = 365 * 24 * time.Hour

// Stale says, for a region whose oldest price is older than MaxAge at now,
// one line to print; "" otherwise.
func (t *Table) Stale(region string, now time.Time) string {
	published, err := time.Parse(time.DateOnly, t.Published(region))
	if err != nil || now.Sub(published) <= MaxAge {
		return ""
	}
	return fmt.Sprintf("warning: the %s prices date from %s, more than a year ago: regenerate the table with go run ./cmd/prices", region, published.Format(time.DateOnly))
}
