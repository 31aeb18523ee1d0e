package localdataapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
)

// The request and response bodies of the Data API's REST-JSON protocol, as
// the rds-data service model defines them.

type executeStatementRequest struct {
	ResourceArn           string           `json:"resourceArn"`
	SecretArn             string           `json:"secretArn"`
	SQL                   string           `json:"sql"`
	Database              string           `json:"database"`
	Schema                string           `json:"schema"`
	Parameters            []sqlParameter   `json:"parameters"`
	TransactionID         string           `json:"transactionId"`
	IncludeResultMetadata bool             `json:"includeResultMetadata"`
	ContinueAfterTimeout  bool             `json:"continueAfterTimeout"`
	ResultSetOptions      resultSetOptions `json:"resultSetOptions"`
	FormatRecordsAs       string           `json:"formatRecordsAs"`
}

type batchExecuteStatementRequest struct {
	ResourceArn   string           `json:"resourceArn"`
	SecretArn     string           `json:"secretArn"`
	SQL           string           `json:"sql"`
	Database      string           `json:"database"`
	Schema        string           `json:"schema"`
	ParameterSets [][]sqlParameter `json:"parameterSets"`
	TransactionID string           `json:"transactionId"`
}

type beginTransactionRequest struct {
	ResourceArn string `json:"resourceArn"`
	SecretArn   string `json:"secretArn"`
	Database    string `json:"database"`
	Schema      string `json:"schema"`
}

type endTransactionRequest struct {
	ResourceArn   string `json:"resourceArn"`
	SecretArn     string `json:"secretArn"`
	TransactionID string `json:"transactionId"`
}

type resultSetOptions struct {
	DecimalReturnType string `json:"decimalReturnType"`
	LongReturnType    string `json:"longReturnType"`
}

type sqlParameter struct {
	Name     string        `json:"name"`
	Value    *requestField `json:"value"`
	TypeHint string        `json:"typeHint"`
}

// requestField is a Field union as a caller sends it. doubleValue stays raw:
// the SDKs send NaN and the infinities as the strings "NaN", "Infinity" and
// "-Infinity".
type requestField struct {
	IsNull       *bool           `json:"isNull"`
	BooleanValue *bool           `json:"booleanValue"`
	LongValue    *int64          `json:"longValue"`
	DoubleValue  json.RawMessage `json:"doubleValue"`
	StringValue  *string         `json:"stringValue"`
	BlobValue    *[]byte         `json:"blobValue"`
	ArrayValue   json.RawMessage `json:"arrayValue"`
}

type updateResult struct {
	GeneratedFields []field `json:"generatedFields"`
}

type columnMetadata struct {
	Name                string `json:"name"`
	Type                int32  `json:"type"`
	TypeName            string `json:"typeName"`
	Label               string `json:"label"`
	SchemaName          string `json:"schemaName"`
	TableName           string `json:"tableName"`
	IsAutoIncrement     bool   `json:"isAutoIncrement"`
	IsSigned            bool   `json:"isSigned"`
	IsCurrency          bool   `json:"isCurrency"`
	IsCaseSensitive     bool   `json:"isCaseSensitive"`
	Nullable            int32  `json:"nullable"`
	Precision           int32  `json:"precision"`
	Scale               int32  `json:"scale"`
	ArrayBaseColumnType int32  `json:"arrayBaseColumnType"`
}

// field is a Field union in a response: exactly one member is set.
type field struct {
	kind    fieldKind
	long    int64
	double  float64
	str     string
	blob    []byte
	array   *arrayValue
	boolean bool
}

type fieldKind uint8

const (
	nullField fieldKind = iota
	booleanField
	longField
	doubleField
	stringField
	blobField
	arrayField
)

// arrayValue is an ArrayValue union: one list, whose entries may be null.
type arrayValue struct {
	kind   fieldKind // booleanField, longField, doubleField or stringField
	values []field
}

func (f field) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	f.appendJSON(&b)
	return b.Bytes(), nil
}

func (f field) appendJSON(b *bytes.Buffer) {
	switch f.kind {
	case nullField:
		b.WriteString(`{"isNull":true}`)
	case booleanField:
		b.WriteString(`{"booleanValue":`)
		b.WriteString(strconv.FormatBool(f.boolean))
		b.WriteByte('}')
	case longField:
		b.WriteString(`{"longValue":`)
		b.WriteString(strconv.FormatInt(f.long, 10))
		b.WriteByte('}')
	case doubleField:
		b.WriteString(`{"doubleValue":`)
		appendDouble(b, f.double)
		b.WriteByte('}')
	case stringField:
		b.WriteString(`{"stringValue":`)
		appendString(b, f.str)
		b.WriteByte('}')
	case blobField:
		b.WriteString(`{"blobValue":"`)
		b.WriteString(base64.StdEncoding.EncodeToString(f.blob))
		b.WriteString(`"}`)
	case arrayField:
		b.WriteString(`{"arrayValue":`)
		f.array.appendJSON(b)
		b.WriteByte('}')
	}
}

func (a *arrayValue) appendJSON(b *bytes.Buffer) {
	switch a.kind {
	case booleanField:
		b.WriteString(`{"booleanValues":[`)
	case longField:
		b.WriteString(`{"longValues":[`)
	case doubleField:
		b.WriteString(`{"doubleValues":[`)
	default:
		b.WriteString(`{"stringValues":[`)
	}
	for i, v := range a.values {
		if i > 0 {
			b.WriteByte(',')
		}
		switch v.kind {
		case nullField:
			b.WriteString("null")
		case booleanField:
			b.WriteString(strconv.FormatBool(v.boolean))
		case longField:
			b.WriteString(strconv.FormatInt(v.long, 10))
		case doubleField:
			appendDouble(b, v.double)
		default:
			appendString(b, v.str)
		}
	}
	b.WriteString("]}")
}

// appendDouble writes a double as smithy's JSON protocols do: non-finite
// values as strings, which both SDKs read back.
func appendDouble(b *bytes.Buffer, v float64) {
	switch {
	case math.IsNaN(v):
		b.WriteString(`"NaN"`)
	case math.IsInf(v, 1):
		b.WriteString(`"Infinity"`)
	case math.IsInf(v, -1):
		b.WriteString(`"-Infinity"`)
	default:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
}

func appendString(b *bytes.Buffer, s string) {
	encoded, _ := json.Marshal(s) // a string always marshals
	b.Write(encoded)
}

// jsonValue is a field as formatRecordsAs JSON renders it: numbers and
// booleans as JSON's own, everything else as a string, arrays as lists.
func (f field) jsonValue() any {
	switch f.kind {
	case nullField:
		return nil
	case booleanField:
		return f.boolean
	case longField:
		return f.long
	case doubleField:
		if math.IsNaN(f.double) || math.IsInf(f.double, 0) {
			return strconv.FormatFloat(f.double, 'g', -1, 64)
		}
		return f.double
	case blobField:
		return f.blob
	case arrayField:
		list := make([]any, len(f.array.values))
		for i, v := range f.array.values {
			list[i] = v.jsonValue()
		}
		return list
	default:
		return f.str
	}
}
