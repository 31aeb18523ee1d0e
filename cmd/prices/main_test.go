package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"aurora-stages/internal/prices"
	"aurora-stages/review"
)

// fixture is the hand-written offer files in the Price List's published
// format (testdata/README.md): AmazonRDS, AWSSecretsManager and
// AmazonCloudWatch in us-east-1 and eu-west-1, awskms in us-east-1 only,
// and all four in ap-southeast-2, a region the price table has never had.
const fixture = "testdata/offers"

func fixtureFile(service, region string) string {
	return filepath.Join(fixture, service, "current", region, "index.json")
}

// generate runs the command and returns its exit status, stdout and
// stderr.
func generate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, http.DefaultClient)
	return code, stdout.String(), stderr.String()
}

func readGenerated(t *testing.T, path string) *prices.Table {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	table, err := prices.Parse(data)
	if err != nil {
		t.Fatalf("the generated table does not pass prices.Parse: %v", err)
	}
	return table
}

func TestGeneratesTheFixturesPrices(t *testing.T) {
	out := filepath.Join(t.TempDir(), "prices.json")
	code, _, stderr := generate(t, "--offers", fixture, "--regions", "us-east-1,eu-west-1", "-o", out)
	if code != written {
		t.Fatalf("exit %d, expected %d; stderr:\n%s", code, written, stderr)
	}
	rds := func(region string) (string, string) { return fixtureFile("AmazonRDS", region), "2026-11-20" }
	cloudWatch := func(region string) (string, string) { return fixtureFile("AmazonCloudWatch", region), "2026-11-05" }
	secrets := func(region string) (string, string) { return fixtureFile("AWSSecretsManager", region), "2026-09-15" }
	kms := func(region string) (string, string) { return fixtureFile("awskms", region), "2026-10-02" }
	entry := func(name, region, service, usageType, unit, usd string, from func(string) (string, string)) prices.Price {
		source, published := from(region)
		return prices.Price{Name: name, Region: region, Service: service, UsageType: usageType, Unit: unit, USD: usd, Published: published, Source: source}
	}
	// Sorted by region, then in internal/prices' order of names. eu-west-1
	// has no KMS offer file, so no KMS price; storage there is priced for
	// Any engine; its log ingestion is tiered.
	want := []prices.Price{
		entry(prices.ACUHourStandard, "eu-west-1", "AmazonRDS", "EU-Aurora:ServerlessV2Usage", "ACU-Hr", "0.13", rds),
		entry(prices.ACUHourIOOptimized, "eu-west-1", "AmazonRDS", "EU-Aurora:ServerlessV2IOOptimizedUsage", "ACU-Hr", "0.169", rds),
		entry(prices.StorageStandard, "eu-west-1", "AmazonRDS", "EU-Aurora:StorageUsage", "GB-Mo", "0.11", rds),
		entry(prices.StorageIOOptimized, "eu-west-1", "AmazonRDS", "EU-Aurora:IO-OptimizedStorageUsage", "GB-Mo", "0.248", rds),
		entry(prices.IORequests, "eu-west-1", "AmazonRDS", "EU-Aurora:StorageIOUsage", "1M requests", "0.22", rds),
		// Aurora PostgreSQL's backup price (0.021), not Any engine's (0.023).
		entry(prices.Backup, "eu-west-1", "AmazonRDS", "EU-Aurora:BackupUsage", "GB-Mo", "0.021", rds),
		entry(prices.PerformanceInsights, "eu-west-1", "AmazonRDS", "EU-PI_LTR_FMR:Serverless", "ACU-Months", "0.099", rds),
		entry(prices.Secret, "eu-west-1", "AWSSecretsManager", "EU-AWSSecretsManager-Secrets", "Secrets", "0.4", secrets),
		entry(prices.LogsIngestion, "eu-west-1", "AmazonCloudWatch", "EU-DataProcessing-Bytes", "GB", "0.57", cloudWatch),
		entry(prices.Alarm, "eu-west-1", "AmazonCloudWatch", "EU-CW:AlarmMonitorUsage", "Alarms", "0.1", cloudWatch),
		entry(prices.ACUHourStandard, "us-east-1", "AmazonRDS", "Aurora:ServerlessV2Usage", "ACU-Hr", "0.12", rds),
		entry(prices.ACUHourIOOptimized, "us-east-1", "AmazonRDS", "Aurora:ServerlessV2IOOptimizedUsage", "ACU-Hr", "0.156", rds),
		entry(prices.StorageStandard, "us-east-1", "AmazonRDS", "Aurora:StorageUsage", "GB-Mo", "0.1", rds),
		entry(prices.StorageIOOptimized, "us-east-1", "AmazonRDS", "Aurora:IO-OptimizedStorageUsage", "GB-Mo", "0.225", rds),
		entry(prices.IORequests, "us-east-1", "AmazonRDS", "Aurora:StorageIOUsage", "1M requests", "0.2", rds),
		entry(prices.Backup, "us-east-1", "AmazonRDS", "Aurora:BackupUsage", "GB-Mo", "0.021", rds),
		entry(prices.PerformanceInsights, "us-east-1", "AmazonRDS", "PI_LTR_FMR:Serverless", "ACU-Months", "0.09", rds),
		entry(prices.KMSKey, "us-east-1", "awskms", "KMS-Keys", "Keys", "1", kms),
		entry(prices.Secret, "us-east-1", "AWSSecretsManager", "USE1-AWSSecretsManager-Secrets", "Secrets", "0.4", secrets),
		entry(prices.LogsIngestion, "us-east-1", "AmazonCloudWatch", "DataProcessing-Bytes", "GB", "0.5", cloudWatch),
		// Not CW:HighResAlarmMonitorUsage, nor the Global- product that has
		// no region.
		entry(prices.Alarm, "us-east-1", "AmazonCloudWatch", "CW:AlarmMonitorUsage", "Alarms", "0.1", cloudWatch),
	}
	got := readGenerated(t, out).Prices
	notes := map[[2]string]string{}
	for i := range got {
		notes[[2]string{got[i].Name, got[i].Region}] = got[i].Note
		got[i].Note = ""
	}
	if len(got) != len(want) {
		t.Errorf("%d prices, expected %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("price %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}

	for _, note := range []struct{ name, region, says string }{
		{prices.IORequests, "us-east-1", "AWS's unit is IOs, at 0.0000002000 USD; multiplied by 1000000 exactly for the table's 1M requests."},
		{prices.LogsIngestion, "eu-west-1", "Tiered: the first of 2 tiers is taken (beginRange 0, endRange 10240 GB)."},
		{prices.StorageStandard, "eu-west-1", "SKU EUSTORAGEANYSTAND (usagetype EU-Aurora:StorageUsage, productFamily Database Storage, databaseEngine Any, volumeType General Purpose-Aurora)."},
	} {
		if got := notes[[2]string{note.name, note.region}]; !strings.Contains(got, note.says) {
			t.Errorf("%s in %s: note %q does not say %q", note.name, note.region, got, note.says)
		}
	}
	for _, line := range []string{
		"prices: left out in eu-west-1: kms-key-month (" + fixtureFile("awskms", "eu-west-1") + ": no offer file)",
		"prices: " + dataAPINote,
	} {
		if !strings.Contains(stderr, line+"\n") {
			t.Errorf("stderr does not say %q:\n%s", line, stderr)
		}
	}
}

// offersWith copies the fixture into a temporary folder and changes one
// offer file there.
func offersWith(t *testing.T, service, region string, change func(o map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, service, "current", region, "index.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	change(o)
	if data, err = json.Marshal(o); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func attributesOf(o map[string]any, sku string) map[string]any {
	return o["products"].(map[string]any)[sku].(map[string]any)["attributes"].(map[string]any)
}

// twin adds a copy of a product under another SKU, with the same price.
func twin(o map[string]any, sku, twinSKU string) map[string]any {
	products := o["products"].(map[string]any)
	data, _ := json.Marshal(products[sku])
	var copied map[string]any
	json.Unmarshal(data, &copied)
	copied["sku"] = twinSKU
	products[twinSKU] = copied
	onDemand := o["terms"].(map[string]any)["OnDemand"].(map[string]any)
	onDemand[twinSKU] = onDemand[sku]
	return copied["attributes"].(map[string]any)
}

func TestRefusesAnAmbiguousOrMissingPrice(t *testing.T) {
	for _, test := range []struct {
		name            string
		service, region string
		change          func(o map[string]any)
		says            string
	}{
		{
			name:    "two Standard storage products for Aurora PostgreSQL",
			service: "AmazonRDS", region: "us-east-1",
			change: func(o map[string]any) { twin(o, "STORAGEPGSTANDARD", "STORAGEPGSTANDAR2") },
			says:   `aurora-storage-gb-month in us-east-1: 2 products have a usage type ending Aurora:StorageUsage and databaseEngine "Aurora PostgreSQL" or "Any", volumeType "General Purpose-Aurora", expected one: SKU STORAGEPGSTANDAR2 (usagetype Aurora:StorageUsage, productFamily Database Storage, databaseEngine Aurora PostgreSQL, volumeType General Purpose-Aurora); SKU STORAGEPGSTANDARD (usagetype Aurora:StorageUsage, productFamily Database Storage, databaseEngine Aurora PostgreSQL, volumeType General Purpose-Aurora)`,
		},
		{
			name:    "a twin that differs only by usage type's region prefix",
			service: "AmazonCloudWatch", region: "eu-west-1",
			change: func(o map[string]any) {
				twin(o, "ALARMSTDEUWEST001", "ALARMSTDEUWEST002")["usagetype"] = "EUW1-CW:AlarmMonitorUsage"
			},
			says: "cloudwatch-alarm-month in eu-west-1: 2 products have a usage type ending CW:AlarmMonitorUsage and no other condition, expected one: SKU ALARMSTDEUWEST001 (usagetype EU-CW:AlarmMonitorUsage, productFamily Alarm); SKU ALARMSTDEUWEST002 (usagetype EUW1-CW:AlarmMonitorUsage, productFamily Alarm)",
		},
		{
			name:    "I/O-Optimized storage's volume type renamed",
			service: "AmazonRDS", region: "eu-west-1",
			change: func(o map[string]any) { attributesOf(o, "EUSTORAGEANYIOOPT")["volumeType"] = "IO Optimized-Aurora v2" },
			says:   `aurora-io-optimized-storage-gb-month in eu-west-1: none of the products with a usage type ending Aurora:IO-OptimizedStorageUsage has databaseEngine "Aurora PostgreSQL" or "Any", volumeType "IO Optimized-Aurora"; candidates: SKU EUSTORAGEANYIOOPT (usagetype EU-Aurora:IO-OptimizedStorageUsage, productFamily Database Storage, databaseEngine Any, volumeType IO Optimized-Aurora v2)`,
		},
		{
			name:    "no product of the usage type",
			service: "AmazonRDS", region: "us-east-1",
			change: func(o map[string]any) { delete(o["products"].(map[string]any), "PIPGSERVERLESS001") },
			says:   "aurora-performance-insights-acu-month in us-east-1: no product of %s has a usage type ending PI_LTR_FMR:Serverless",
		},
		{
			name:    "I/O priced in a unit the conversion does not know",
			service: "AmazonRDS", region: "us-east-1",
			change: func(o map[string]any) {
				term := o["terms"].(map[string]any)["OnDemand"].(map[string]any)["IOPGSTANDARD00001"].(map[string]any)["IOPGSTANDARD00001.JRTCKXETXF"].(map[string]any)
				term["priceDimensions"].(map[string]any)["IOPGSTANDARD00001.JRTCKXETXF.6YS6EN2CT7"].(map[string]any)["unit"] = "1M IOs"
			},
			says: `aurora-io-million-requests in us-east-1: SKU IOPGSTANDARD00001: unit "1M IOs", expected "IOs"`,
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			offers := offersWith(t, test.service, test.region, test.change)
			out := filepath.Join(t.TempDir(), "prices.json")
			code, _, stderr := generate(t, "--offers", offers, "--regions", "us-east-1,eu-west-1", "-o", out)
			if code != failed {
				t.Errorf("exit %d, expected %d", code, failed)
			}
			says := test.says
			if strings.Contains(says, "%s") {
				says = strings.Replace(says, "%s", filepath.Join(offers, test.service, "current", test.region, "index.json"), 1)
			}
			if !strings.Contains(stderr, "prices: "+out+" not written; 1 failed:\n  "+says+"\n") {
				t.Errorf("stderr does not say:\n  %s\nit says:\n%s", says, stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s was written", out)
			}
		})
	}
}

// alarmTiers replaces us-east-1's standard alarm price by tiers: each is
// beginRange, endRange and USD.
func alarmTiers(tiers ...[3]string) func(o map[string]any) {
	return func(o map[string]any) {
		term := o["terms"].(map[string]any)["OnDemand"].(map[string]any)["ALARMSTDUSEAST001"].(map[string]any)["ALARMSTDUSEAST001.JRTCKXETXF"].(map[string]any)
		dimensions := map[string]any{}
		for i, tier := range tiers {
			code := fmt.Sprintf("ALARMSTDUSEAST001.JRTCKXETXF.TIER%d", i)
			dimensions[code] = map[string]any{
				"rateCode": code, "description": "alarm tier " + tier[0] + "-" + tier[1], "unit": "Alarms",
				"beginRange": tier[0], "endRange": tier[1], "pricePerUnit": map[string]any{"USD": tier[2]},
			}
		}
		term["priceDimensions"] = dimensions
	}
}

// A free allowance listed as a first tier at $0 is not the price: the
// tier after it is.
func TestSkipsAFreeFirstTier(t *testing.T) {
	offers := offersWith(t, "AmazonCloudWatch", "us-east-1", alarmTiers([3]string{"0", "10", "0.0000000000"}, [3]string{"10", "Inf", "0.1000000000"}))
	out := filepath.Join(t.TempDir(), "prices.json")
	if code, _, stderr := generate(t, "--offers", offers, "--regions", "us-east-1", "-o", out); code != written {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	p, _ := readGenerated(t, out).Find("us-east-1", prices.Alarm)
	if says := "Tiered: the first 10 Alarms are free (AWS's tier at 0 USD, not counted); the next of 2 tiers is taken (beginRange 10, endRange Inf)."; p.USD != "0.1" || !strings.Contains(p.Note, says) {
		t.Errorf("alarm price %s, note %q; expected 0.1 and a note saying %q", p.USD, p.Note, says)
	}
}

func TestRefusesAFreePrice(t *testing.T) {
	for _, test := range []struct {
		name  string
		tiers [][3]string
		says  string
	}{
		{"one price at 0 USD", [][3]string{{"0", "Inf", "0.0000000000"}}, `cloudwatch-alarm-month in us-east-1: SKU ALARMSTDUSEAST001 is priced at 0 USD with no paid tier ("alarm tier 0-Inf")`},
		{"two free tiers", [][3]string{{"0", "10", "0"}, {"10", "20", "0"}, {"20", "Inf", "0.1"}}, "cloudwatch-alarm-month in us-east-1: SKU ALARMSTDUSEAST001 is priced at 0 USD in its first two tiers"},
		{"no tier after the free one", [][3]string{{"0", "10", "0"}, {"11", "Inf", "0.1"}}, "cloudwatch-alarm-month in us-east-1: SKU ALARMSTDUSEAST001 has 2 on-demand prices and 0 of them begin at 10, expected one"},
		{"two first tiers", [][3]string{{"0", "10", "0.1"}, {"0", "Inf", "0.2"}}, "cloudwatch-alarm-month in us-east-1: SKU ALARMSTDUSEAST001 has 2 on-demand prices and 2 of them begin at 0, expected one"},
	} {
		t.Run(test.name, func(t *testing.T) {
			offers := offersWith(t, "AmazonCloudWatch", "us-east-1", alarmTiers(test.tiers...))
			out := filepath.Join(t.TempDir(), "prices.json")
			code, _, stderr := generate(t, "--offers", offers, "--regions", "us-east-1", "-o", out)
			if code != failed || !strings.Contains(stderr, "\n  "+test.says) {
				t.Errorf("exit %d, stderr:\n%s\nexpected %d and %q", code, stderr, failed, test.says)
			}
		})
	}
}

func TestMultiplyIsExact(t *testing.T) {
	for _, test := range []struct {
		price  string
		factor int64
		want   string
	}{
		{"0.0000002000", 1_000_000, "0.2"},
		{"0.0000002200", 1_000_000, "0.22"},
		// More digits than a float64 holds.
		{"0.00000012345678901234567", 1_000_000, "0.12345678901234567"},
		{"0.0000000000000000000001", 1_000_000, "0.0000000000000001"},
		{"1.0000000000", 1, "1"},
		{"0.1200000000", 1, "0.12"},
		{"0.0000000000", 1_000_000, "0"},
		{"3", 1_000_000, "3000000"},
	} {
		got, err := multiply(test.price, test.factor)
		if err != nil || got != test.want {
			t.Errorf("multiply(%q, %d) = %q, %v; expected %q", test.price, test.factor, got, err, test.want)
		}
	}
	for _, price := range []string{"2e-7", "-0.1", "1/5", "", "USD 0.2"} {
		if got, err := multiply(price, 1_000_000); err == nil {
			t.Errorf("multiply(%q) = %q, expected an error", price, got)
		}
	}
}

func TestReplacesTheTablesPricesAndKeepsTheOthers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "prices.json")
	transcribed := func(name, region, usd string) prices.Price {
		return prices.Price{Name: name, Region: region, Service: "AmazonRDS", UsageType: "x", Unit: "x", USD: usd, Published: "2025-03-05", Source: "a page", Transcribed: true}
	}
	existing, err := encode(&prices.Table{Prices: []prices.Price{
		transcribed(prices.ACUHourStandard, "us-east-1", "0.11"),
		transcribed(prices.Backup, "sa-east-1", "0.037"),
		transcribed(prices.DataAPI, "us-east-1", "0.35"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, existing, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := generate(t, "--offers", fixture, "--regions", "us-east-1", "-o", out)
	if code != written {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	table := readGenerated(t, out)
	if p, _ := table.Find("us-east-1", prices.ACUHourStandard); p.Transcribed || p.USD != "0.12" {
		t.Errorf("us-east-1's transcribed ACU-hour price was not replaced: %+v", p)
	}
	for _, kept := range []prices.Price{transcribed(prices.Backup, "sa-east-1", "0.037"), transcribed(prices.DataAPI, "us-east-1", "0.35")} {
		if p, _ := table.Find(kept.Region, kept.Name); p != kept {
			t.Errorf("%s in %s: %+v, expected it kept: %+v", kept.Name, kept.Region, p, kept)
		}
		line := "prices: kept " + kept.Name + " in " + kept.Region + " (transcribed, published 2025-03-05): the offers read did not price it\n"
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr does not say %q:\n%s", line, stderr)
		}
	}
	if len(table.Prices) != 11+2 {
		t.Errorf("%d prices, expected the 11 of us-east-1 and the 2 kept", len(table.Prices))
	}
}

// The bulk API's layout, served over HTTP, gives the same prices as the
// folder; a file the server does not have leaves its region out.
func TestReadsOffersOverHTTP(t *testing.T) {
	server := httptest.NewServer(http.FileServer(http.Dir(fixture)))
	defer server.Close()
	out := filepath.Join(t.TempDir(), "prices.json")
	code, _, stderr := generate(t, "--offers", server.URL+"/", "--regions", "eu-west-1", "-o", out)
	if code != written {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	table := readGenerated(t, out)
	p, _ := table.Find("eu-west-1", prices.IORequests)
	if want := server.URL + "/AmazonRDS/current/eu-west-1/index.json"; p.Source != want || p.USD != "0.22" {
		t.Errorf("I/O price read over HTTP: %+v, expected 0.22 from %s", p, want)
	}
	if len(table.Prices) != 10 {
		t.Errorf("%d prices, expected eu-west-1's 10", len(table.Prices))
	}
	if line := "prices: left out in eu-west-1: kms-key-month (" + server.URL + "/awskms/current/eu-west-1/index.json: 404 Not Found: no offer file)\n"; !strings.Contains(stderr, line) {
		t.Errorf("stderr does not say %q:\n%s", line, stderr)
	}
}

func TestCommandLine(t *testing.T) {
	for _, help := range []string{"-h", "--help"} {
		code, stdout, _ := generate(t, help)
		if code != written || !strings.HasPrefix(stdout, "prices regenerates the price table (internal/prices/prices.json) from AWS's Price List offer files.\n") || !strings.Contains(stdout, "-regions") {
			t.Errorf("%s: exit %d, stdout:\n%s", help, code, stdout)
		}
	}
	for _, test := range []struct {
		args []string
		says string
	}{
		{nil, "prices: --regions is required"},
		{[]string{"--regions", "us-east-1,Ireland"}, `prices: --regions: "Ireland" is not a region's name`},
		{[]string{"--regions", "us-east-1,us-east-1"}, "prices: --regions: us-east-1 is named twice"},
		{[]string{"--regions", "us-east-1", "--region", "x"}, "prices: flag provided but not defined: -region"},
		{[]string{"--regions", "us-east-1", "extra"}, `prices: unexpected argument "extra"`},
	} {
		code, _, stderr := generate(t, test.args...)
		if code != usage || !strings.HasPrefix(stderr, test.says) {
			t.Errorf("%q: exit %d, stderr %q; expected %d and %q", test.args, code, stderr, usage, test.says)
		}
	}
}

// A region the table has never had is priced from its offer files alone,
// the table's other entries kept as they were, and the review, which
// called that region unpriced, prices a stage there.
func TestPricesARegionTheTableHasNeverSeen(t *testing.T) {
	const region = "ap-southeast-2"
	// The committed table, without the region should a regenerated one
	// (the monthly workflow's) have it.
	before := readGenerated(t, filepath.Join("..", "..", "internal", "prices", "prices.json"))
	before.Prices = slices.DeleteFunc(before.Prices, func(p prices.Price) bool { return p.Region == region })
	table, err := encode(before)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(out, table, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := generate(t, "--offers", fixture, "--regions", region, "-o", out)
	if code != written {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	after := readGenerated(t, out)

	rds, kms := fixtureFile("AmazonRDS", region), fixtureFile("awskms", region)
	secrets, cloudWatch := fixtureFile("AWSSecretsManager", region), fixtureFile("AmazonCloudWatch", region)
	for _, want := range []struct{ name, source, published, usageType, unit, usd string }{
		{prices.ACUHourStandard, rds, "2026-11-20", "APS2-Aurora:ServerlessV2Usage", "ACU-Hr", "0.14"},
		{prices.ACUHourIOOptimized, rds, "2026-11-20", "APS2-Aurora:ServerlessV2IOOptimizedUsage", "ACU-Hr", "0.182"},
		{prices.StorageStandard, rds, "2026-11-20", "APS2-Aurora:StorageUsage", "GB-Mo", "0.11"},
		{prices.StorageIOOptimized, rds, "2026-11-20", "APS2-Aurora:IO-OptimizedStorageUsage", "GB-Mo", "0.248"},
		{prices.IORequests, rds, "2026-11-20", "APS2-Aurora:StorageIOUsage", "1M requests", "0.22"},
		{prices.Backup, rds, "2026-11-20", "APS2-Aurora:BackupUsage", "GB-Mo", "0.022"},
		{prices.PerformanceInsights, rds, "2026-11-20", "APS2-PI_LTR_FMR:Serverless", "ACU-Months", "0.099"},
		{prices.KMSKey, kms, "2026-10-02", "APS2-KMS-Keys", "Keys", "1"},
		{prices.Secret, secrets, "2026-09-15", "APS2-AWSSecretsManager-Secrets", "Secrets", "0.4"},
		{prices.LogsIngestion, cloudWatch, "2026-11-05", "APS2-DataProcessing-Bytes", "GB", "0.57"},
		{prices.Alarm, cloudWatch, "2026-11-05", "APS2-CW:AlarmMonitorUsage", "Alarms", "0.1"},
	} {
		p, ok := after.Find(region, want.name)
		got := fmt.Sprintf("%s %s %s %s %s", p.Source, p.Published, p.UsageType, p.Unit, p.USD)
		if expected := fmt.Sprintf("%s %s %s %s %s", want.source, want.published, want.usageType, want.unit, want.usd); !ok || p.Transcribed || got != expected {
			t.Errorf("%s in %s: found %v, %q; want %q", want.name, region, ok, got, expected)
		}
	}
	if _, ok := after.Find(region, prices.DataAPI); ok {
		t.Errorf("%s in %s is priced: no offer gives it", prices.DataAPI, region)
	}
	for _, kept := range before.Prices {
		if p, _ := after.Find(kept.Region, kept.Name); p != kept {
			t.Errorf("%s in %s changed:\n got  %+v\n want %+v", kept.Name, kept.Region, p, kept)
		}
	}
	if len(after.Prices) != len(before.Prices)+11 {
		t.Errorf("%d prices, want the table's %d and %s's 11", len(after.Prices), len(before.Prices), region)
	}

	// dev in ap-southeast-2: 0 to 4 ACU at $0.14 (4 x 730 x 0.14 =
	// $408.80), and its secret.
	plan, err := review.ParsePlan([]byte(`{"format_version": "1.2", "resource_changes": [
	  {"address": "aws_rds_cluster.cluster", "mode": "managed", "type": "aws_rds_cluster", "change": {"actions": ["create"], "before": null,
	   "after": {"storage_type": "aurora", "serverlessv2_scaling_configuration": [{"min_capacity": 0, "max_capacity": 4}]}, "after_unknown": {}}},
	  {"address": "aws_rds_cluster_instance.writer", "mode": "managed", "type": "aws_rds_cluster_instance", "change": {"actions": ["create"], "before": null,
	   "after": {"instance_class": "db.serverless"}, "after_unknown": {}}},
	  {"address": "aws_secretsmanager_secret.credentials", "mode": "managed", "type": "aws_secretsmanager_secret", "change": {"actions": ["create"], "before": null,
	   "after": {}, "after_unknown": {}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if unpriced := review.EstimateCosts(plan, region, before, now); unpriced.Published != "" || unpriced.After.String() != "unpriced" {
		t.Errorf("with the committed table, %s is priced: published %q, after %s", region, unpriced.Published, unpriced.After)
	}
	priced := review.EstimateCosts(plan, region, after, now)
	if got := priced.Published + ": " + priced.After.String(); got != "2026-09-15: $0.40 to $409.20" {
		t.Errorf("with the regenerated table, %s: %s; want 2026-09-15: $0.40 to $409.20", region, got)
	}
}

// --changes lists, for the pull request, each price that is new or whose
// amount or unit changed, before and after, and counts those only newly
// dated; a second run over its own table changes nothing.
func TestSaysWhatChanged(t *testing.T) {
	dir := t.TempDir()
	out, changed := filepath.Join(dir, "prices.json"), filepath.Join(dir, "changes.md")
	existing, err := encode(&prices.Table{Prices: []prices.Price{
		{Name: prices.ACUHourStandard, Region: "us-east-1", Service: "AmazonRDS", UsageType: "Aurora:ServerlessV2Usage", Unit: "ACU-Hr", USD: "0.11", Published: "2025-03-05", Source: "a page", Transcribed: true},
		{Name: prices.Secret, Region: "us-east-1", Service: "AWSSecretsManager", UsageType: "USE1-AWSSecretsManager-Secrets", Unit: "Secrets", USD: "0.40", Published: "2025-03-05", Source: "a page", Transcribed: true},
		{Name: prices.Backup, Region: "sa-east-1", Service: "AmazonRDS", UsageType: "SAE1-Aurora:BackupUsage", Unit: "GB-Mo", USD: "0.037", Published: "2025-03-05", Source: "a page", Transcribed: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, existing, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := generate(t, "--offers", fixture, "--regions", "us-east-1", "-o", out, "--changes", changed); code != written {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	data, err := os.ReadFile(changed)
	if err != nil {
		t.Fatal(err)
	}
	says := string(data)
	for _, line := range []string{
		"10 prices changed or added:\n\n| price | region | before | after |\n| --- | --- | --- | --- |\n",
		"| `aurora-serverless-v2-acu-hour` | us-east-1 | 0.11 USD per ACU-Hr (transcribed, published 2025-03-05) | 0.12 USD per ACU-Hr (published 2026-11-20) |\n",
		"| `aurora-io-million-requests` | us-east-1 | none | 0.2 USD per 1M requests (published 2026-11-20) |\n",
		"\n1 other price is the same, newly dated from the offer files.\n",
	} {
		if !strings.Contains(says, line) {
			t.Errorf("the changes do not say %q:\n%s", line, says)
		}
	}
	// The secret's 0.40 is 0.4: newly dated, not changed; sa-east-1's
	// backup price is kept as it was.
	if strings.Contains(says, prices.Secret) || strings.Contains(says, "sa-east-1") {
		t.Errorf("the changes list a price that did not change:\n%s", says)
	}

	if code, _, stderr := generate(t, "--offers", fixture, "--regions", "us-east-1", "-o", out, "--changes", changed); code != written {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(changed); string(data) != "No price changed.\n" {
		t.Errorf("the second run's changes: %q, want \"No price changed.\\n\"", data)
	}

	// A failed run writes no changes.
	broken := offersWith(t, "AmazonRDS", "us-east-1", func(o map[string]any) { delete(o["products"].(map[string]any), "PIPGSERVERLESS001") })
	failedChanges := filepath.Join(dir, "failed.md")
	if code, _, _ := generate(t, "--offers", broken, "--regions", "us-east-1", "-o", out, "--changes", failedChanges); code != failed {
		t.Errorf("exit %d with a price missing, want %d", code, failed)
	}
	if _, err := os.Stat(failedChanges); !os.IsNotExist(err) {
		t.Errorf("a failed run wrote %s", failedChanges)
	}
}
