package localaws

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// MetricAlarm is what moto holds of a CloudWatch metric alarm.
type MetricAlarm struct {
	AlarmName          string
	Namespace          string
	MetricName         string
	Statistic          string
	ComparisonOperator string
	Threshold          float64
	Period             int
	EvaluationPeriods  int
	TreatMissingData   string
	Dimensions         []struct{ Name, Value string } `xml:"Dimensions>member"`
	AlarmActions       []string                       `xml:"AlarmActions>member"`
	OKActions          []string                       `xml:"OKActions>member"`
}

// MetricAlarms lists the emulator's CloudWatch metric alarms. Not through
// the SDK: its CloudWatch client speaks the RPC v2 CBOR protocol, which
// moto 5.2.5 does not answer; moto answers CloudWatch's query protocol, as
// the AWS provider calls it.
func (e *Emulator) MetricAlarms(t testing.TB) []MetricAlarm {
	t.Helper()
	form := url.Values{"Action": {"DescribeAlarms"}, "Version": {"2010-08-01"}}
	request, err := http.NewRequestWithContext(Context(t), http.MethodPost, e.moto, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto picks the service from the credential scope of the signature.
	request.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/"+e.config.Region+"/monitoring/aws4_request, SignedHeaders=host, Signature=0")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("CloudWatch DescribeAlarms: %v", err)
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	if response.StatusCode != http.StatusOK {
		t.Fatalf("CloudWatch DescribeAlarms: %s\n%s", response.Status, body)
	}
	var out struct {
		Alarms []MetricAlarm `xml:"DescribeAlarmsResult>MetricAlarms>member"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		t.Fatalf("CloudWatch DescribeAlarms: %v\n%s", err, body)
	}
	return out.Alarms
}
