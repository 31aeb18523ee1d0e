package localdataapi

import (
	"math"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestDecodeValueGivesTheDataAPIsFields(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		oid  uint32
		opts options
		want field
	}{
		{"bool", "t", 16, options{}, field{kind: booleanField, boolean: true}},
		{"int8", "-9223372036854775808", 20, options{}, field{kind: longField, long: math.MinInt64}},
		{"int4 as string", "42", 23, options{longAsString: true}, field{kind: stringField, str: "42"}},
		{"float8", "1.25", 701, options{}, field{kind: doubleField, double: 1.25}},
		{"numeric", "12.50", 1700, options{}, field{kind: stringField, str: "12.50"}},
		{"numeric as long", "12", 1700, options{decimalAsNumber: true}, field{kind: longField, long: 12}},
		{"numeric as double", "12.5", 1700, options{decimalAsNumber: true}, field{kind: doubleField, double: 12.5}},
		{"bytea", `\x00ff`, 17, options{}, field{kind: blobField, blob: []byte{0, 0xff}}},
		{"timestamptz to UTC", "2024-01-02 03:04:05.5+02", 1184, options{}, field{kind: stringField, str: "2024-01-02 01:04:05.5"}},
		{"timestamptz half-hour zone", "2024-01-02 03:04:05+05:30", 1184, options{}, field{kind: stringField, str: "2024-01-01 21:34:05"}},
		{"timestamp as is", "2024-01-02 03:04:05.123456", 1114, options{}, field{kind: stringField, str: "2024-01-02 03:04:05.123456"}},
		{"int array", "{1,NULL,3}", 1007, options{}, field{kind: arrayField, array: &arrayValue{kind: longField, values: []field{{kind: longField, long: 1}, {kind: nullField}, {kind: longField, long: 3}}}}},
		{"text array", `{a,"b c","d\"e",NULL,"NULL"}`, 1009, options{}, field{kind: arrayField, array: &arrayValue{kind: stringField, values: []field{{kind: stringField, str: "a"}, {kind: stringField, str: "b c"}, {kind: stringField, str: `d"e`}, {kind: nullField}, {kind: stringField, str: "NULL"}}}}},
		{"empty array", "{}", 1016, options{}, field{kind: arrayField, array: &arrayValue{kind: longField}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeValue([]byte(tt.raw), tt.oid, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decodeValue(%q, %d)\n got %+v\nwant %+v", tt.raw, tt.oid, got, tt.want)
			}
		})
	}
}

func TestDecodeValueRefusesMultidimensionalArrays(t *testing.T) {
	_, err := decodeValue([]byte("{{1,2},{3,4}}"), 1007, options{})
	if answer, ok := err.(*Error); !ok || answer.Name != "UnsupportedResultException" {
		t.Errorf("got %v, want UnsupportedResultException", err)
	}
}

func TestFieldJSONIsOneUnionMember(t *testing.T) {
	tests := []struct {
		f    field
		want string
	}{
		{field{kind: nullField}, `{"isNull":true}`},
		{field{kind: doubleField, double: math.Inf(-1)}, `{"doubleValue":"-Infinity"}`},
		{field{kind: blobField, blob: []byte("hi")}, `{"blobValue":"aGk="}`},
		{field{kind: arrayField, array: &arrayValue{kind: stringField, values: []field{{kind: stringField, str: "a"}, {kind: nullField}}}}, `{"arrayValue":{"stringValues":["a",null]}}`},
	}
	for _, tt := range tests {
		got, _ := tt.f.MarshalJSON()
		if string(got) != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}

func TestPostgresMessageHasTheDataAPIsShape(t *testing.T) {
	got := postgresMessage(&pgconn.PgError{Severity: "ERROR", Message: `relation "nope" does not exist`, Position: 15, Code: "42P01"})
	want := "ERROR: relation \"nope\" does not exist\n  Position: 15; SQLState: 42P01"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
