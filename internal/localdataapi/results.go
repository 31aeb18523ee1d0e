package localdataapi

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Result values arrive in PostgreSQL's text format, which is already the
// Data API's spelling for the types it returns as strings (numeric,
// date, time, timestamp, uuid, json): only timestamptz is rewritten.

// arrayElements maps an array type's OID to its element type's OID.
var arrayElements = map[uint32]uint32{
	1000: 16, 1001: 17, 1005: 21, 1007: 23, 1016: 20, 1009: 25, 1015: 1043, 1014: 1042,
	1002: 18, 1003: 19, 1021: 700, 1022: 701, 1231: 1700, 1182: 1082, 1183: 1083, 1115: 1114,
	1185: 1184, 1270: 1266, 2951: 2950, 199: 114, 3807: 3802, 1028: 26,
}

// options says how numbers come back (resultSetOptions).
type options struct {
	decimalAsNumber bool // DOUBLE_OR_LONG
	longAsString    bool // STRING
}

func decodeValue(raw []byte, oid uint32, opts options) (field, error) {
	if raw == nil {
		return field{kind: nullField}, nil
	}
	if elem, ok := arrayElements[oid]; ok {
		return decodeArray(string(raw), elem, opts)
	}
	s := string(raw)
	switch oid {
	case 16: // bool
		return field{kind: booleanField, boolean: s == "t"}, nil
	case 20, 21, 23, 26: // int8, int2, int4, oid
		if opts.longAsString {
			return field{kind: stringField, str: s}, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return field{kind: longField, long: n}, err
	case 700, 701: // float4, float8
		d, err := parsePostgresDouble(s)
		return field{kind: doubleField, double: d}, err
	case 1700: // numeric
		if !opts.decimalAsNumber || s == "NaN" {
			return field{kind: stringField, str: s}, nil
		}
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return field{kind: longField, long: n}, nil
			}
		}
		d, err := strconv.ParseFloat(s, 64)
		return field{kind: doubleField, double: d}, err
	case 17: // bytea, in the default hex output
		b, err := hex.DecodeString(strings.TrimPrefix(s, `\x`))
		return field{kind: blobField, blob: b}, err
	case 1184: // timestamptz
		return field{kind: stringField, str: timestampInUTC(s)}, nil
	}
	return field{kind: stringField, str: s}, nil
}

func parsePostgresDouble(s string) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, 64)
}

// timestampInUTC turns timestamptz's text (in the session's time zone, with
// its offset) into the Data API's "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
// Values it cannot read (infinity, BC dates) pass through unchanged.
func timestampInUTC(s string) string {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999-07:00:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format("2006-01-02 15:04:05.999999")
		}
	}
	return s
}

// decodeArray reads a one-dimensional array's text form ({a,"b c",NULL}).
// The Data API refuses multidimensional ones (UnsupportedResultException in
// its model).
func decodeArray(s string, elem uint32, opts options) (field, error) {
	if i := strings.Index(s, "={"); i >= 0 && strings.HasPrefix(s, "[") {
		s = s[i+1:] // explicit bounds such as [0:1]={...}
	}
	if strings.HasPrefix(s, "{{") {
		return field{}, unsupportedResult("The result contains a multidimensional array, which the Data API does not support")
	}
	kind := stringField
	switch elem {
	case 16:
		kind = booleanField
	case 20, 21, 23, 26:
		if !opts.longAsString {
			kind = longField
		}
	case 700, 701:
		kind = doubleField
	}
	opts.decimalAsNumber = false // numeric[] stays stringValues: one list has one kind
	array := &arrayValue{kind: kind}
	for _, element := range splitArray(s) {
		if element == nil {
			array.values = append(array.values, field{kind: nullField})
			continue
		}
		v, err := decodeValue([]byte(*element), elem, opts)
		if err != nil {
			return field{}, err
		}
		if v.kind == blobField {
			v = field{kind: stringField, str: *element}
		}
		array.values = append(array.values, v)
	}
	return field{kind: arrayField, array: array}, nil
}

// splitArray splits a one-dimensional array literal into its elements, nil
// for NULL.
func splitArray(s string) []*string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		return nil
	}
	var elements []*string
	for i := 0; i <= len(s); {
		if i < len(s) && s[i] == '"' {
			var b strings.Builder
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			element := b.String()
			elements = append(elements, &element)
			i += 2 // the closing quote and the comma
			continue
		}
		end := strings.IndexByte(s[i:], ',')
		if end < 0 {
			end = len(s) - i
		}
		element := s[i : i+end]
		if element == "NULL" {
			elements = append(elements, nil)
		} else {
			elements = append(elements, &element)
		}
		i += end + 1
	}
	return elements
}

// JDBC type codes (java.sql.Types), which columnMetadata.type carries: the
// Data API reads PostgreSQL through pgJDBC and reports its mapping.
const (
	jdbcBit       = -7
	jdbcBigint    = -5
	jdbcBinary    = -2
	jdbcChar      = 1
	jdbcNumeric   = 2
	jdbcInteger   = 4
	jdbcSmallint  = 5
	jdbcReal      = 7
	jdbcDouble    = 8
	jdbcVarchar   = 12
	jdbcDate      = 91
	jdbcTime      = 92
	jdbcTimestamp = 93
	jdbcOther     = 1111
	jdbcArray     = 2003
)

// pgTypes is pgJDBC's view of the built-in types: name, JDBC type, and its
// precision and scale when the type modifier gives none.
var pgTypes = map[uint32]struct {
	name             string
	jdbc             int32
	precision, scale int32
}{
	16: {"bool", jdbcBit, 1, 0}, 17: {"bytea", jdbcBinary, math.MaxInt32, 0},
	18: {"char", jdbcChar, 1, 0}, 19: {"name", jdbcVarchar, 63, 0},
	20: {"int8", jdbcBigint, 19, 0}, 21: {"int2", jdbcSmallint, 5, 0}, 23: {"int4", jdbcInteger, 10, 0},
	25: {"text", jdbcVarchar, math.MaxInt32, 0}, 26: {"oid", jdbcBigint, 10, 0},
	114: {"json", jdbcOther, math.MaxInt32, 0}, 3802: {"jsonb", jdbcOther, math.MaxInt32, 0},
	700: {"float4", jdbcReal, 8, 8}, 701: {"float8", jdbcDouble, 17, 17},
	790:  {"money", jdbcDouble, 0, 0},
	1042: {"bpchar", jdbcChar, math.MaxInt32, 0}, 1043: {"varchar", jdbcVarchar, math.MaxInt32, 0},
	1082: {"date", jdbcDate, 13, 0}, 1083: {"time", jdbcTime, 15, 6}, 1266: {"timetz", jdbcTime, 21, 6},
	1114: {"timestamp", jdbcTimestamp, 29, 6}, 1184: {"timestamptz", jdbcTimestamp, 35, 6},
	1700: {"numeric", jdbcNumeric, 0, 0}, 2950: {"uuid", jdbcOther, math.MaxInt32, 0},
}

// columnFacts is what the catalog says about a result column that comes
// straight from a table.
type columnFacts struct {
	tableName     string
	notNull       bool
	autoIncrement bool
}

func describeColumn(fd pgconn.FieldDescription, typeName string, facts columnFacts, fromTable bool) columnMetadata {
	md := columnMetadata{
		Name:      fd.Name,
		Label:     fd.Name,
		TypeName:  typeName,
		Type:      jdbcOther,
		Nullable:  1, // columnNullable; pgJDBC reports it for computed columns too
		TableName: facts.tableName,
	}
	oid := fd.DataTypeOID
	if elem, ok := arrayElements[oid]; ok {
		md.Type = jdbcArray
		md.ArrayBaseColumnType = jdbcOther
		if t, ok := pgTypes[elem]; ok {
			md.ArrayBaseColumnType = t.jdbc
		}
	} else if t, ok := pgTypes[oid]; ok {
		md.Type, md.Precision, md.Scale = t.jdbc, t.precision, t.scale
	}
	if fromTable && facts.notNull {
		md.Nullable = 0
	}
	md.IsAutoIncrement = facts.autoIncrement
	if md.IsAutoIncrement {
		switch oid {
		case 23:
			md.TypeName = "serial"
		case 20:
			md.TypeName = "bigserial"
		}
	}
	switch oid {
	case 20, 21, 23, 26, 700, 701, 790, 1700:
		md.IsSigned = true
	}
	switch oid {
	case 16, 20, 21, 23, 26, 700, 701, 790, 1700, 1082, 1083, 1114, 1184, 1266:
	default:
		md.IsCaseSensitive = true
	}
	md.IsCurrency = oid == 790
	if typmod := fd.TypeModifier; typmod >= 0 {
		switch oid {
		case 1700:
			md.Precision = ((typmod - 4) >> 16) & 0xffff
			md.Scale = (typmod - 4) & 0xffff
		case 1042, 1043:
			md.Precision = typmod - 4
		case 1083, 1114, 1184, 1266:
			md.Scale = typmod
		}
	}
	return md
}
