package localdataapi

import (
	"errors"
	"reflect"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestBindRewritesNamedParametersOutsideQuotesAndComments(t *testing.T) {
	tests := []struct {
		name, sql, want string
	}{
		{"plain", "SELECT :a, :b, :a", "SELECT $1, $2, $1"},
		{"cast", "SELECT :a::int", "SELECT $1::int"},
		{"string literal", "SELECT ':a', :a", "SELECT ':a', $1"},
		{"escaped quote", "SELECT 'it''s :a', :a", "SELECT 'it''s :a', $1"},
		{"quoted identifier", `SELECT 1 AS ":a", :a`, `SELECT 1 AS ":a", $1`},
		{"line comment", "SELECT :a -- :b\n, :b", "SELECT $1 -- :b\n, $2"},
		{"block comment", "SELECT /* :b /* nested */ :b */ :a", "SELECT /* :b /* nested */ :b */ $1"},
		{"dollar quote", "SELECT $$:a$$, $x$ :b $x$, :b", "SELECT $$:a$$, $x$ :b $x$, $1"},
		{"unknown name stays", "SELECT :zz, :a", "SELECT :zz, $1"},
		{"array slice", "SELECT (ARRAY[1,2])[1:2]", "SELECT (ARRAY[1,2])[1:2]"},
	}
	params := []sqlParameter{
		{Name: "a", Value: &requestField{LongValue: ptr(int64(1))}},
		{Name: "b", Value: &requestField{StringValue: ptr("x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bind(tt.sql, params)
			if err != nil {
				t.Fatal(err)
			}
			if got.sql != tt.want {
				t.Errorf("bind(%q)\n got %q\nwant %q", tt.sql, got.sql, tt.want)
			}
		})
	}
}

func TestBindEncodesEachValueAsTheDataAPIBindsIt(t *testing.T) {
	tests := []struct {
		name   string
		param  sqlParameter
		value  []byte
		oid    uint32
		format int16
	}{
		{"string is varchar", sqlParameter{Value: &requestField{StringValue: ptr("x")}}, []byte("x"), oidVarchar, textFormat},
		{"long", sqlParameter{Value: &requestField{LongValue: ptr(int64(-7))}}, []byte("-7"), oidInt8, textFormat},
		{"double", sqlParameter{Value: &requestField{DoubleValue: []byte("1.5")}}, []byte("1.5"), oidFloat8, textFormat},
		{"double NaN", sqlParameter{Value: &requestField{DoubleValue: []byte(`"NaN"`)}}, []byte("NaN"), oidFloat8, textFormat},
		{"boolean", sqlParameter{Value: &requestField{BooleanValue: ptr(true)}}, []byte("true"), oidBool, textFormat},
		{"blob", sqlParameter{Value: &requestField{BlobValue: ptr([]byte{0, 1})}}, []byte{0, 1}, oidBytea, binaryFormat},
		{"null", sqlParameter{Value: &requestField{IsNull: ptr(true)}}, nil, oidUnknown, textFormat},
		{"DATE", sqlParameter{TypeHint: "DATE", Value: &requestField{StringValue: ptr("2024-02-29")}}, []byte("2024-02-29"), oidDate, textFormat},
		{"TIME", sqlParameter{TypeHint: "TIME", Value: &requestField{StringValue: ptr("10:11:12.5")}}, []byte("10:11:12.5"), oidTime, textFormat},
		{"TIMESTAMP", sqlParameter{TypeHint: "TIMESTAMP", Value: &requestField{StringValue: ptr("2024-02-29 10:11:12")}}, []byte("2024-02-29 10:11:12"), oidTimestamp, textFormat},
		{"DECIMAL", sqlParameter{TypeHint: "DECIMAL", Value: &requestField{StringValue: ptr("1.10")}}, []byte("1.10"), oidNumeric, textFormat},
		{"UUID", sqlParameter{TypeHint: "UUID", Value: &requestField{StringValue: ptr("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")}}, []byte("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), oidUUID, textFormat},
		{"JSON", sqlParameter{TypeHint: "JSON", Value: &requestField{StringValue: ptr(`{"a":1}`)}}, []byte(`{"a":1}`), oidJSON, textFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.param.Name = "p"
			got, err := bind("SELECT :p", []sqlParameter{tt.param})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.values[0], tt.value) || got.oids[0] != tt.oid || got.formats[0] != tt.format {
				t.Errorf("got value %q oid %d format %d, want %q oid %d format %d", got.values[0], got.oids[0], got.formats[0], tt.value, tt.oid, tt.format)
			}
		})
	}
}

func TestBindRefusesWhatAWSRefuses(t *testing.T) {
	tests := []struct {
		name  string
		param sqlParameter
		want  string
	}{
		{"array", sqlParameter{Value: &requestField{ArrayValue: []byte(`{"longValues":[1]}`)}}, "Array parameters are not supported."},
		{"no field", sqlParameter{Value: &requestField{}}, `Parameter "p" has value with no field set`},
		{"timestamp with a T", sqlParameter{TypeHint: "TIMESTAMP", Value: &requestField{StringValue: ptr("2024-02-29T10:11:12Z")}}, `Parameter "p" with typeHint TIMESTAMP must be formatted YYYY-MM-DD HH:MM:SS[.FFF], not "2024-02-29T10:11:12Z"`},
		{"unknown hint", sqlParameter{TypeHint: "INTERVAL", Value: &requestField{StringValue: ptr("1 day")}}, `Parameter "p" has typeHint "INTERVAL"; the allowed values are DATE, DECIMAL, JSON, TIME, TIMESTAMP and UUID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.param.Name = "p"
			_, err := bind("SELECT :p", []sqlParameter{tt.param})
			var answer *Error
			if !errors.As(err, &answer) || answer.Name != "BadRequestException" || answer.Message != tt.want {
				t.Errorf("got %v, want BadRequestException: %s", err, tt.want)
			}
		})
	}
}
