package stagequery

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
)

// --param's value is a JSON literal for its type, else text as it is.
func TestParameter(t *testing.T) {
	for flag, want := range map[string]rdstypes.Field{
		"year=1999":       &rdstypes.FieldMemberLongValue{Value: 1999},
		"rating=7.9":      &rdstypes.FieldMemberDoubleValue{Value: 7.9},
		"big=1e3":         &rdstypes.FieldMemberDoubleValue{Value: 1000},
		"seen=true":       &rdstypes.FieldMemberBooleanValue{Value: true},
		"note=null":       &rdstypes.FieldMemberIsNull{Value: true},
		`title="1999"`:    &rdstypes.FieldMemberStringValue{Value: "1999"},
		"title=Arrival":   &rdstypes.FieldMemberStringValue{Value: "Arrival"},
		"title=The Thing": &rdstypes.FieldMemberStringValue{Value: "The Thing"},
		"title=":          &rdstypes.FieldMemberStringValue{Value: ""},
		"eq=a=b":          &rdstypes.FieldMemberStringValue{Value: "a=b"},
		"tags=[1,2]":      &rdstypes.FieldMemberStringValue{Value: "[1,2]"},
		"n=1 2":           &rdstypes.FieldMemberStringValue{Value: "1 2"},
	} {
		got, err := Parameter(flag)
		name, _, _ := strings.Cut(flag, "=")
		if err != nil || aws.ToString(got.Name) != name || !reflect.DeepEqual(got.Value, want) {
			t.Errorf("Parameter(%q) = %s %#v, %v; want %s %#v", flag, aws.ToString(got.Name), got.Value, err, name, want)
		}
	}
	for _, flag := range []string{"year", "=1999"} {
		if _, err := Parameter(flag); err == nil || !strings.Contains(err.Error(), "want name=value") {
			t.Errorf("Parameter(%q): %v, want it refused", flag, err)
		}
	}
}
