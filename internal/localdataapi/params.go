package localdataapi

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// PostgreSQL type OIDs the parameters are bound as.
const (
	oidUnknown     = 0
	oidBool        = 16
	oidBytea       = 17
	oidInt8        = 20
	oidJSON        = 114
	oidFloat8      = 701
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidNumeric     = 1700
	oidUUID        = 2950
	textFormat     = 0
	binaryFormat   = 1
	parameterStart = ':'
)

// boundStatement is a statement with its named parameters turned into
// PostgreSQL's positional ones, ready for the extended protocol.
type boundStatement struct {
	sql     string
	values  [][]byte
	oids    []uint32
	formats []int16
}

// typeHintOIDs are the types a typeHint sends a stringValue as. Without a
// hint a string is bound as varchar, as the Data API's JDBC driver does: a
// string into a date column fails on AWS the same way ("column ... is of type
// date but expression is of type character varying").
var typeHintOIDs = map[string]uint32{
	"DATE":      oidDate,
	"TIME":      oidTime,
	"TIMESTAMP": oidTimestamp,
	"DECIMAL":   oidNumeric,
	"UUID":      oidUUID,
	"JSON":      oidJSON,
}

// typeHintFormats are the formats the Data API documents for the hints that
// have one; AWS refuses other spellings before the database sees them.
var typeHintFormats = map[string]*regexp.Regexp{
	"DATE":      regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`),
	"TIME":      regexp.MustCompile(`^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$`),
	"TIMESTAMP": regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$`),
}

var typeHintSpellings = map[string]string{
	"DATE":      "YYYY-MM-DD",
	"TIME":      "HH:MM:SS[.FFF]",
	"TIMESTAMP": "YYYY-MM-DD HH:MM:SS[.FFF]",
}

// bind rewrites sql's :name parameters to $n and encodes their values.
func bind(sql string, parameters []sqlParameter) (*boundStatement, error) {
	byName := make(map[string]sqlParameter, len(parameters))
	for _, p := range parameters {
		if p.Value == nil {
			return nil, badRequest("Parameter %q has no value: set one of its value's fields (isNull for NULL)", p.Name)
		}
		byName[p.Name] = p
	}
	stmt := &boundStatement{}
	positions := map[string]int{}
	var out strings.Builder
	var bindErr error
	rewriteParameters(sql, &out, func(name string) (string, bool) {
		p, ok := byName[name]
		if !ok {
			return "", false
		}
		n, seen := positions[name]
		if !seen {
			value, oid, format, err := encodeParameter(p)
			if err != nil && bindErr == nil {
				bindErr = err
			}
			stmt.values = append(stmt.values, value)
			stmt.oids = append(stmt.oids, oid)
			stmt.formats = append(stmt.formats, format)
			n = len(stmt.values)
			positions[name] = n
		}
		return "$" + strconv.Itoa(n), true
	})
	if bindErr != nil {
		return nil, bindErr
	}
	stmt.sql = out.String()
	return stmt, nil
}

func encodeParameter(p sqlParameter) (value []byte, oid uint32, format int16, err error) {
	v := p.Value
	switch {
	case len(v.ArrayValue) > 0:
		// AWS refuses array parameters for every engine (aws/aws-sdk#9,
		// boto/boto3#2272); accepting them here would let code pass locally
		// that fails on AWS.
		return nil, 0, 0, badRequest("Array parameters are not supported.")
	case v.IsNull != nil && *v.IsNull:
		return nil, oidUnknown, textFormat, nil
	case v.StringValue != nil:
		if p.TypeHint == "" {
			return []byte(*v.StringValue), oidVarchar, textFormat, nil
		}
		oid, ok := typeHintOIDs[p.TypeHint]
		if !ok {
			return nil, 0, 0, badRequest("Parameter %q has typeHint %q; the allowed values are DATE, DECIMAL, JSON, TIME, TIMESTAMP and UUID", p.Name, p.TypeHint)
		}
		if pattern, ok := typeHintFormats[p.TypeHint]; ok && !pattern.MatchString(*v.StringValue) {
			return nil, 0, 0, badRequest("Parameter %q with typeHint %s must be formatted %s, not %q", p.Name, p.TypeHint, typeHintSpellings[p.TypeHint], *v.StringValue)
		}
		return []byte(*v.StringValue), oid, textFormat, nil
	case v.LongValue != nil:
		return []byte(strconv.FormatInt(*v.LongValue, 10)), oidInt8, textFormat, nil
	case len(v.DoubleValue) > 0:
		d, err := parseDouble(v.DoubleValue)
		if err != nil {
			return nil, 0, 0, badRequest("Parameter %q has doubleValue %s, which is not a number", p.Name, v.DoubleValue)
		}
		return []byte(formatPostgresDouble(d)), oidFloat8, textFormat, nil
	case v.BooleanValue != nil:
		return []byte(strconv.FormatBool(*v.BooleanValue)), oidBool, textFormat, nil
	case v.BlobValue != nil:
		return *v.BlobValue, oidBytea, binaryFormat, nil
	}
	return nil, 0, 0, badRequest("Parameter %q has value with no field set", p.Name)
}

func parseDouble(raw json.RawMessage) (float64, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		// The SDKs send NaN and the infinities as PostgreSQL spells them.
		return parsePostgresDouble(s)
	}
	var d float64
	err := json.Unmarshal(raw, &d)
	return d, err
}

func formatPostgresDouble(d float64) string {
	switch {
	case math.IsNaN(d):
		return "NaN"
	case math.IsInf(d, 1):
		return "Infinity"
	case math.IsInf(d, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(d, 'g', -1, 64)
}

// rewriteParameters copies sql to out, replacing each :name outside string
// literals, quoted identifiers, comments and dollar-quoted bodies with what
// replace returns; a name replace does not know, and PostgreSQL's :: casts,
// stay as they are.
func rewriteParameters(sql string, out *strings.Builder, replace func(name string) (string, bool)) {
	out.Grow(len(sql))
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			end := skipQuoted(sql, i, c)
			out.WriteString(sql[i:end])
			i = end
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				end = len(sql) - i
			}
			out.WriteString(sql[i : i+end])
			i += end
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			end := skipBlockComment(sql, i)
			out.WriteString(sql[i:end])
			i = end
		case c == '$' && dollarTag(sql, i) != "":
			tag := dollarTag(sql, i)
			end := strings.Index(sql[i+len(tag):], tag)
			if end < 0 {
				end = len(sql)
			} else {
				end = i + len(tag) + end + len(tag)
			}
			out.WriteString(sql[i:end])
			i = end
		case c == parameterStart && strings.HasPrefix(sql[i:], "::"):
			out.WriteString("::")
			i += 2
		case c == parameterStart && i+1 < len(sql) && isNameStart(sql[i+1]):
			end := i + 2
			for end < len(sql) && isNamePart(sql[end]) {
				end++
			}
			if replacement, ok := replace(sql[i+1 : end]); ok {
				out.WriteString(replacement)
			} else {
				out.WriteString(sql[i:end])
			}
			i = end
		default:
			out.WriteByte(c)
			i++
		}
	}
}

func skipQuoted(sql string, start int, quote byte) int {
	for i := start + 1; i < len(sql); i++ {
		if sql[i] == quote {
			if i+1 < len(sql) && sql[i+1] == quote {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(sql)
}

func skipBlockComment(sql string, start int) int {
	depth := 0
	for i := start; i+1 < len(sql); i++ {
		switch {
		case sql[i] == '/' && sql[i+1] == '*':
			depth++
			i++
		case sql[i] == '*' && sql[i+1] == '/':
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(sql)
}

// dollarTag returns the $tag$ opening a dollar-quoted string at sql[start],
// or "" when there is none ($1 and a lone $ are not).
func dollarTag(sql string, start int) string {
	if start > 0 && isNamePart(sql[start-1]) {
		return ""
	}
	for i := start + 1; i < len(sql); i++ {
		switch {
		case sql[i] == '$':
			return sql[start : i+1]
		case isNameStart(sql[i]) || (i > start+1 && isNamePart(sql[i])):
		default:
			return ""
		}
	}
	return ""
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNamePart(c byte) bool { return isNameStart(c) || (c >= '0' && c <= '9') }
