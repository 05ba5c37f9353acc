package contract_test

import (
	"encoding/json"
	"mime"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// openAPIDoc is a contract read as plain data, to check answers against
// its response schemas without Prism.
type openAPIDoc struct {
	file string
	doc  map[string]any
}

// loadOpenAPIDoc reads the contract at path; file names it in messages.
func loadOpenAPIDoc(t testing.TB, file, path string) *openAPIDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(data, &doc), file)
	_, ok := doc["paths"].(map[string]any)
	require.True(t, ok, "%s has no paths", file)
	return &openAPIDoc{file: file, doc: doc}
}

// pathItem returns the contract's path item for a request path (without
// query), matching path templates; "" and nil when none matches.
func (d *openAPIDoc) pathItem(path string) (string, map[string]any) {
	paths := d.doc["paths"].(map[string]any)
	if item, ok := paths[path].(map[string]any); ok {
		return path, item
	}
	for template, item := range paths {
		if m, ok := item.(map[string]any); ok && matchTemplate(template, path) {
			return template, m
		}
	}
	return "", nil
}

// resolve follows local $refs such as "#/components/schemas/Status".
func (d *openAPIDoc) resolve(t testing.TB, node map[string]any) map[string]any {
	t.Helper()
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		require.True(t, strings.HasPrefix(ref, "#/"), "%s: ref %q", d.file, ref)
		var cur any = d.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := cur.(map[string]any)
			require.True(t, ok, "%s: ref %q", d.file, ref)
			cur = m[part]
		}
		next, ok := cur.(map[string]any)
		require.True(t, ok, "%s: ref %q does not resolve", d.file, ref)
		node = next
	}
}

// checkAnswer checks one answer to method path: the contract documents the
// status for the operation, the answer is JSON, and its body matches the
// response schema.
func (d *openAPIDoc) checkAnswer(t testing.TB, method, path string, a answer) {
	t.Helper()
	template, item := d.pathItem(path)
	require.NotNil(t, item, "%s: no path %s", d.file, path)
	op, ok := item[strings.ToLower(method)].(map[string]any)
	require.True(t, ok, "%s: no operation %s %s", d.file, method, template)
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(a.status)].(map[string]any)
	require.True(t, ok, "%s: %s %s: status %d is not documented (body %s)", d.file, method, template, a.status, a.body)
	resp = d.resolve(t, resp)
	content, ok := resp["content"].(map[string]any)
	require.True(t, ok, "%s: %s %s %d has no content", d.file, method, template, a.status)
	media, ok := content["application/json"].(map[string]any)
	require.True(t, ok, "%s: %s %s %d has no JSON content", d.file, method, template, a.status)
	mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type"))
	require.NoError(t, err, "%s %s: Content-Type", method, path)
	require.Equal(t, "application/json", mt, "%s %s: Content-Type", method, path)
	var body any
	require.NoError(t, json.Unmarshal(a.body, &body), "%s %s: body %s", method, path, a.body)
	schema, ok := media["schema"].(map[string]any)
	require.True(t, ok, "%s: %s %s %d has no schema", d.file, method, template, a.status)
	d.validate(t, schema, body, method+" "+path+" "+strconv.Itoa(a.status)+": body")
}

// validate checks v against the part of JSON Schema the contracts use:
// types, required and unknown properties, array items, patterns, nullable.
func (d *openAPIDoc) validate(t testing.TB, schema map[string]any, v any, where string) {
	t.Helper()
	schema = d.resolve(t, schema)
	if v == nil {
		require.Equal(t, true, schema["nullable"], "%s: null where the contract wants %v", where, schema["type"])
		return
	}
	switch schema["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		require.True(t, ok, "%s: want an object, got %v", where, v)
		if req, ok := schema["required"].([]any); ok {
			for _, name := range req {
				_, ok := obj[name.(string)]
				require.True(t, ok, "%s: required %q missing in %v", where, name, obj)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		for name, val := range obj {
			p, ok := props[name].(map[string]any)
			if !ok {
				require.NotEqual(t, false, schema["additionalProperties"], "%s: property %q is not allowed", where, name)
				continue
			}
			d.validate(t, p, val, where+"."+name)
		}
	case "array":
		list, ok := v.([]any)
		require.True(t, ok, "%s: want an array, got %v", where, v)
		if items, ok := schema["items"].(map[string]any); ok {
			for i, item := range list {
				d.validate(t, items, item, where+"["+strconv.Itoa(i)+"]")
			}
		}
	case "string":
		s, ok := v.(string)
		require.True(t, ok, "%s: want a string, got %v", where, v)
		if pat, ok := schema["pattern"].(string); ok {
			require.Regexp(t, regexp.MustCompile(pat), s, where)
		}
	case "boolean":
		_, ok := v.(bool)
		require.True(t, ok, "%s: want a boolean, got %v", where, v)
	case "integer":
		f, ok := v.(float64)
		require.True(t, ok && f == float64(int64(f)), "%s: want an integer, got %v", where, v)
	case "number":
		_, ok := v.(float64)
		require.True(t, ok, "%s: want a number, got %v", where, v)
	}
}
