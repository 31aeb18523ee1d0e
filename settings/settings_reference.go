package settings

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

//go:generate go run ../cmd/settings-doc -settings . -o ../docs/settings.md

//go:embed settings_reference.md.tmpl
var settingsTemplate string

// settingRow is one setting of docs/settings.md.
type settingRow struct {
	Key, Type, Variable, Doc string
	// Defaults are the setting's default, per profile for a stage setting.
	Defaults []string
}

// Reference renders docs/settings.md: every account and stage
// setting with its doc comment, read from this package's Go sources in dir,
// and its defaults, read from the code itself (the profiles, the account
// defaults). Nothing in it is written by hand but the template's prose.
func Reference(dir string) ([]byte, error) {
	docs, err := readDocComments(dir)
	if err != nil {
		return nil, err
	}
	dev, production := devProfile(), productionProfile()
	stageType := reflect.TypeOf(dev)
	var stage []settingRow
	for i := 0; i < stageType.NumField(); i++ {
		field := stageType.Field(i)
		key := jsonKey(field)
		if key == "" {
			continue
		}
		stage = append(stage, settingRow{
			Key:  key,
			Type: typeName(field.Type),
			Doc:  docs.text("StageConfig", field.Name),
			Defaults: []string{
				formatValue(reflect.ValueOf(dev).Field(i)),
				formatValue(reflect.ValueOf(production).Field(i)),
			},
		})
	}

	defaults := reflect.ValueOf(defaultAccountSettings())
	accountType := defaults.Type()
	var account []settingRow
	for _, source := range accountSettingSources {
		field, ok := fieldWithKey(accountType, source.contextKey)
		if !ok {
			return nil, fmt.Errorf("account setting %s: no field of AccountSettings has that JSON name", source.contextKey)
		}
		account = append(account, settingRow{
			Key:      source.contextKey,
			Type:     typeName(field.Type),
			Variable: source.envVar,
			Doc:      docs.text("AccountSettings", field.Name),
			Defaults: []string{formatValue(defaults.FieldByIndex(field.Index))},
		})
	}
	tags, _ := accountType.FieldByName("Tags")
	account = append(account, settingRow{
		Key:      jsonKey(tags),
		Type:     typeName(tags.Type),
		Doc:      docs.text("AccountSettings", tags.Name),
		Defaults: []string{formatValue(defaults.FieldByIndex(tags.Index))},
	})
	retention, _ := reflect.TypeOf(Settings{}).FieldByName("StateVersionRetentionDays")
	account = append(account, settingRow{
		Key:      jsonKey(retention),
		Type:     typeName(retention.Type),
		Doc:      docs.text("Settings", retention.Name),
		Defaults: []string{formatValue(reflect.ValueOf(defaultStateVersionRetentionDays))},
	})

	for _, rows := range [][]settingRow{stage, account} {
		for _, row := range rows {
			if row.Doc == "" {
				return nil, fmt.Errorf("setting %s has no doc comment", row.Key)
			}
		}
	}
	tmpl, err := template.New("settings").Parse(settingsTemplate)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	err = tmpl.Execute(&out, map[string]any{
		"Stage":   stage,
		"Account": account,
		// "devProfile is cheap..." reads "The dev profile is cheap...".
		"DevProfile":        strings.TrimPrefix(docs.text("", "devProfile"), "devProfile "),
		"ProductionProfile": strings.TrimPrefix(docs.text("", "productionProfile"), "productionProfile "),
	})
	return out.Bytes(), err
}

// docComments holds the doc comments of this package's struct fields
// ("StageConfig.MinCapacity") and functions ("devProfile"), and the JSON
// key of each field, so a comment reads with the keys users write.
type docComments struct {
	comments map[string]string
	keys     map[string]map[string]string // struct -> Go field name -> JSON key
}

func readDocComments(dir string) (*docComments, error) {
	sources, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, source := range sources {
		if strings.HasSuffix(source, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, source, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if file.Name.Name == "settings" {
			files = append(files, file)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no Go package settings", dir)
	}
	docs := &docComments{comments: map[string]string{}, keys: map[string]map[string]string{}}
	for _, file := range files {
		for _, decl := range file.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				docs.comments[decl.Name.Name] = decl.Doc.Text()
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					typ, ok := spec.(*ast.TypeSpec)
					if !ok {
						continue
					}
					if fields, ok := typ.Type.(*ast.StructType); ok {
						for _, field := range fields.Fields.List {
							for _, name := range field.Names {
								docs.comments[typ.Name.Name+"."+name.Name] = field.Doc.Text()
							}
						}
					}
				}
			}
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(StageConfig{}), reflect.TypeOf(AccountSettings{}), reflect.TypeOf(Settings{})} {
		keys := map[string]string{}
		for i := 0; i < typ.NumField(); i++ {
			if key := jsonKey(typ.Field(i)); key != "" {
				keys[typ.Field(i).Name] = key
			}
		}
		docs.keys[typ.Name()] = keys
	}
	return docs, nil
}

var goIdentifier = regexp.MustCompile(`\b[A-Z][A-Za-z]*\b`)

// text is a doc comment on one line, with the struct's Go field names
// written as their JSON keys, in code spans, and table pipes escaped.
func (d *docComments) text(structName, name string) string {
	key := name
	if structName != "" {
		key = structName + "." + name
	}
	text := strings.Join(strings.Fields(d.comments[key]), " ")
	keys := d.keys[structName]
	if structName == "" {
		keys = d.keys["StageConfig"]
	}
	text = goIdentifier.ReplaceAllStringFunc(text, func(word string) string {
		if jsonName, ok := keys[word]; ok {
			return "`" + jsonName + "`"
		}
		return word
	})
	return strings.ReplaceAll(text, "|", `\|`)
}

func fieldWithKey(typ reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < typ.NumField(); i++ {
		if jsonKey(typ.Field(i)) == key {
			return typ.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func formatValue(value reflect.Value) string {
	switch value.Kind() {
	case reflect.String:
		if value.String() == "" {
			return "empty"
		}
		return "`" + value.String() + "`"
	case reflect.Float64:
		return "`" + strconv.FormatFloat(value.Float(), 'f', -1, 64) + "`"
	case reflect.Pointer:
		if value.IsNil() {
			return "none"
		}
	}
	data, err := json.Marshal(value.Interface())
	if err != nil {
		return fmt.Sprint(value.Interface())
	}
	return "`" + string(data) + "`"
}
