package main

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Setting is one value given on the command line, such as -listen. It
// overrides the file and the environment, and a problem with it is reported
// under Flag.
type Setting struct {
	Flag  string // the flag as typed, "-listen"
	Key   string // the key it sets, "server.listen"
	Value string
}

// LoadConfig reads the config file at path over DefaultConfig, applies the
// LOOPBOT_<SECTION>_<KEY> variables of environ (KEY=VALUE entries, as from
// os.Environ), then the command-line settings, and validates the result. An
// empty path means no file: the EmbeddedConfig, with the environment and the
// settings applied.
//
// It returns a ConfigErrors that lists every syntax error, unknown key, wrong
// type, bad value, missing secret and unknown LOOPBOT_ variable, each with the
// file and line (or the variable, or the flag) and the key, together with the
// config as far as it could be read. When the file cannot be read at all, the
// error wraps the os error instead (test it with errors.Is(err,
// fs.ErrNotExist)).
func LoadConfig(path string, environ []string, settings ...Setting) (Config, error) {
	c, src := EmbeddedConfig(), origin{set: map[string]string{}}
	var errs ConfigErrors
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return DefaultConfig(), fmt.Errorf("config: %w", err)
		}
		c, src.file = DefaultConfig(), path
		lay, ferrs := decodeTOML(data, &c)
		if lay == nil {
			// Nothing after a syntax error can be trusted, so it is the
			// only problem reported.
			return c, src.place(ferrs)
		}
		src.lines, errs = lay.lines, ferrs
	}
	errs = append(errs, applyEnv(&c, environ, src.set)...)
	errs = append(errs, applySettings(&c, settings, src.set)...)
	errs = append(errs, dropKnown(errs, c.check())...)
	return c, src.place(errs).err()
}

// Validate checks every value of c, that the enabled platforms have their
// secrets and that this build has their adapters: what LoadConfig checks after
// reading. It returns a ConfigErrors without files or lines, or nil.
func (c Config) Validate() error {
	return c.check().err()
}

// origin says where the values of a loaded config came from, so that a
// problem found by key can name its file and line, its variable or its flag.
type origin struct {
	file  string
	lines map[string]int    // key path → line, from the TOML parser
	set   map[string]string // key path → "$NAME" or "-flag" that set it last
}

// place fills in the File and Line of each problem that lacks them and sorts
// the problems: the file's by line, then the environment's and the flags'.
func (o origin) place(errs ConfigErrors) ConfigErrors {
	for i, e := range errs {
		if e.File != "" {
			continue
		}
		if name, ok := o.set[e.Key]; ok {
			errs[i].File = name
			continue
		}
		errs[i].File = o.file
		if e.Line == 0 {
			errs[i].Line = lineOf(o.lines, e.Key)
		}
	}
	sort.SliceStable(errs, func(i, j int) bool {
		ri, rj := errs[i].File != o.file, errs[j].File != o.file
		if ri != rj {
			return !ri
		}
		return errs[i].Line < errs[j].Line
	})
	return errs
}

// dropKnown returns the problems of found whose key has no problem in known
// yet. A value of the wrong type keeps its default, and validation must not
// then report the same key a second time.
func dropKnown(known, found ConfigErrors) ConfigErrors {
	seen := map[string]bool{}
	for _, e := range known {
		seen[e.Key] = true
	}
	var out ConfigErrors
	for _, e := range found {
		if !seen[e.Key] {
			out = append(out, e)
		}
	}
	return out
}

// lineOf returns the line of key in lines, or of its nearest parent that has
// one (a missing key is reported at its table's header), or 0.
func lineOf(lines map[string]int, key string) int {
	for key != "" {
		if n, ok := lines[key]; ok {
			return n
		}
		key = parentKey(key)
	}
	return 0
}

// parentKey drops the last part of a key path: an index or a name.
func parentKey(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i > 0 {
			return key[:i]
		}
	}
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		return ""
	}
	return key[:i]
}

// decodeTOML decodes the config file data into c with go-toml's strict
// decoder and returns the file's layout and its problems: each unknown key
// and each value of the wrong type, with its line. The decoder stops at the
// first value of the wrong type, so that value's expression is blanked out
// and the file decoded again, until only unknown keys are left: every problem
// is reported at once. It returns a nil layout when the file is not valid
// TOML, with that one problem.
func decodeTOML(data []byte, c *Config) (*tomlLayout, ConfigErrors) {
	data, lay, perr := readLayout(data)
	if perr != nil {
		return nil, ConfigErrors{*perr}
	}
	base := *c
	var errs ConfigErrors
	for range len(lay.exprs) + 1 {
		*c = base
		dec := toml.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err := dec.Decode(c)
		nilEmpty(reflect.ValueOf(c).Elem())
		var missing *toml.StrictMissingError
		var derr *toml.DecodeError
		switch {
		case err == nil:
			return lay, lay.unknownCase(errs)
		case errors.As(err, &missing):
			for _, m := range missing.Errors {
				line, _ := m.Position()
				key := lay.keyAt(line, m.Key())
				errs = append(errs, ConfigError{Line: line, Key: key, Msg: "unknown key" + suggestKey(key)})
			}
			return lay, lay.unknownCase(errs)
		case errors.As(err, &derr):
			line, _ := derr.Position()
			i := lay.exprAt(line)
			if i < 0 || lay.exprs[i].blanked {
				return lay, append(errs, ConfigError{Line: line, Key: strings.Join(derr.Key(), "."), Msg: cleanMessage(derr.Error())})
			}
			errs = append(errs, lay.typeProblem(i, derr))
			data = lay.blank(data, i)
		default:
			return lay, append(errs, ConfigError{Msg: err.Error()})
		}
	}
	return lay, errs
}

// unknownCase adds to errs each key that is a config key in another case
// (Listen for listen): go-toml matches struct fields regardless of case, but
// a config key is written as config.example.toml writes it.
func (l *tomlLayout) unknownCase(errs ConfigErrors) ConfigErrors {
	reported := map[string]bool{}
	for _, e := range errs {
		reported[e.Key] = true
	}
	for _, e := range l.exprs {
		for n := 1; n <= len(e.key) && !e.blanked; n++ {
			key := strings.Join(e.key[:n], ".")
			if reported[key] {
				break // a key under an unknown one is not reported again
			}
			if _, ok := configType(e.key[:n]); ok {
				continue
			}
			reported[key] = true
			errs = append(errs, ConfigError{Line: e.line, Key: key, Msg: "unknown key" + suggestKey(key)})
			break
		}
	}
	return errs
}

// tomlLayout is where the keys of a config file are, as go-toml's parser
// (unstable.Parser) reports them.
type tomlLayout struct {
	lines map[string]int // key path → line of its first appearance
	exprs []tomlExpr     // the top-level expressions, in the order of the file
	text  []string       // the file's lines
}

// tomlExpr is one top-level expression of a file: a key = value line or a
// table header.
type tomlExpr struct {
	key     []string        // key path; an entry of an array of tables carries its index, as "people[1]"
	line    int             // line of its first key
	kind    unstable.Kind   // the value's kind (a date or time counts as a string), or Table or ArrayTable
	elems   []unstable.Kind // the kinds of an array's items
	blanked bool            // removed after a problem
}

// header reports whether e is a table header.
func (e tomlExpr) header() bool { return e.kind == unstable.Table || e.kind == unstable.ArrayTable }

// name returns the key path of e written as in problems:
// playground.people[1].id.
func (e tomlExpr) name() string { return strings.Join(e.key, ".") }

// readLayout parses data with go-toml's parser and returns the layout of its
// keys, and data with every TOML date, time and date-time written as the
// string it would have been in quotes, so that at = 09:30 and extra_holidays
// = [2026-10-08] read as expected (the config keeps them as text). The
// rewriting keeps every line where it was. A syntax error is returned as the
// one problem.
func readLayout(data []byte) ([]byte, *tomlLayout, *ConfigError) {
	lay := &tomlLayout{lines: map[string]int{}, text: strings.Split(string(data), "\n")}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	counts := map[string]int{}
	var edits []dateEdit
	for p.NextExpression() {
		n := p.Expression()
		parts, line := keyParts(&p, n)
		e := tomlExpr{line: line, kind: n.Kind}
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = lay.resolve(parts, counts)
			if n.Kind == unstable.ArrayTable {
				name := strings.Join(table, ".")
				lay.mark(name, line)
				table[len(table)-1] += fmt.Sprintf("[%d]", counts[name])
				counts[name]++
			}
			e.key = slices.Clone(table)
		case unstable.KeyValue:
			e.key = append(slices.Clone(table), parts...)
			v := n.Value()
			e.kind = valueKind(v.Kind)
			for it := v.Children(); v.Kind == unstable.Array && it.Next(); {
				e.elems = append(e.elems, valueKind(it.Node().Kind))
			}
			edits = collectDates(&p, v, edits)
		}
		for i := range e.key {
			lay.mark(strings.Join(e.key[:i+1], "."), line)
		}
		lay.exprs = append(lay.exprs, e)
	}
	if err := p.Error(); err != nil {
		perr := lay.syntaxProblem(data, err, table)
		return nil, nil, &perr
	}
	return applyDateEdits(data, edits), lay, nil
}

// keyParts returns the parts of the key of a table header or key = value
// expression, and the line of its first part.
func keyParts(p *unstable.Parser, n *unstable.Node) ([]string, int) {
	var parts []string
	line := 0
	for it := n.Key(); it.Next(); {
		k := it.Node()
		if line == 0 {
			line = p.Shape(k.Raw).Start.Line
		}
		parts = append(parts, string(k.Data))
	}
	return parts, line
}

// resolve returns the path of a table header: each part but the last that
// names an array of tables refers to its latest entry.
func (l *tomlLayout) resolve(parts []string, counts map[string]int) []string {
	out := make([]string, len(parts))
	for i, part := range parts {
		out[i] = part
		if c := counts[strings.Join(out[:i+1], ".")]; c > 0 && i < len(parts)-1 {
			out[i] += fmt.Sprintf("[%d]", c-1)
		}
	}
	return out
}

// mark records the line of a key path, keeping the first one.
func (l *tomlLayout) mark(path string, line int) {
	if _, ok := l.lines[path]; !ok {
		l.lines[path] = line
	}
}

// valueKind returns the kind of a value as the config sees it: a date or a
// time is a string.
func valueKind(k unstable.Kind) unstable.Kind {
	switch k {
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return unstable.String
	}
	return k
}

// dateEdit replaces the bytes [from, to) of a file with text.
type dateEdit struct {
	from, to int
	text     string
}

// collectDates appends an edit for each date or time in the value v, which
// may be an array or an inline table.
func collectDates(p *unstable.Parser, v *unstable.Node, edits []dateEdit) []dateEdit {
	switch v.Kind {
	case unstable.Array:
		for it := v.Children(); it.Next(); {
			edits = collectDates(p, it.Node(), edits)
		}
	case unstable.InlineTable:
		for it := v.Children(); it.Next(); {
			edits = collectDates(p, it.Node().Value(), edits)
		}
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		raw := string(p.Raw(v.Raw))
		edits = append(edits, dateEdit{int(v.Raw.Offset), int(v.Raw.Offset + v.Raw.Length), strconv.Quote(dateText(v.Kind, raw))})
	}
	return edits
}

// dateText writes a TOML date or time as the config's text: a local time
// without its zero seconds (09:30:00 is "09:30"), a date-time with an offset
// in RFC 3339 ("T" and "Z" in capitals).
func dateText(k unstable.Kind, raw string) string {
	switch k {
	case unstable.LocalTime:
		return strings.TrimSuffix(raw, ":00")
	case unstable.DateTime:
		if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(strings.Replace(raw, " ", "T", 1))); err == nil {
			return t.Format(time.RFC3339Nano)
		}
	}
	return raw
}

// applyDateEdits returns data with the edits made; edits are in file order.
func applyDateEdits(data []byte, edits []dateEdit) []byte {
	if len(edits) == 0 {
		return data
	}
	var b bytes.Buffer
	at := 0
	for _, e := range edits {
		b.Write(data[at:e.from])
		b.WriteString(e.text)
		at = e.to
	}
	b.Write(data[at:])
	return b.Bytes()
}

// exprAt returns the index of the expression that covers line, or -1.
func (l *tomlLayout) exprAt(line int) int {
	at := -1
	for i, e := range l.exprs {
		if e.line > line {
			break
		}
		at = i
	}
	return at
}

// keyAt returns the key path, with indices, of the key named plain (as the
// decoder names it, without indices) that the expression at line sets.
func (l *tomlLayout) keyAt(line int, plain []string) string {
	i := l.exprAt(line)
	if i < 0 {
		return strings.Join(plain, ".")
	}
	key := l.exprs[i].key
	out := make([]string, len(plain))
	for j, part := range plain {
		out[j] = part
		if j < len(key) && strings.HasPrefix(key[j], part+"[") {
			out[j] = key[j]
		}
	}
	return strings.Join(out, ".")
}

// blank returns data with expression i made empty: a key = value line, or a
// table header and its keys, up to the next header. Lines stay where they are.
func (l *tomlLayout) blank(data []byte, i int) []byte {
	e := &l.exprs[i]
	e.blanked = true
	last := len(l.text)
	for j := i + 1; j < len(l.exprs); j++ {
		if !e.header() || l.exprs[j].header() {
			last = l.exprs[j].line - 1
			break
		}
		l.exprs[j].blanked = true
	}
	lines := strings.SplitAfter(string(data), "\n")
	for n := e.line; n <= last && n <= len(lines); n++ {
		nl := strings.HasSuffix(lines[n-1], "\n")
		lines[n-1] = ""
		if nl {
			lines[n-1] = "\n"
		}
	}
	return []byte(strings.Join(lines, ""))
}

// typeProblem describes the value of the wrong type of expression i, which
// the decoder refused with err: what the key takes and what the file has,
// never the value itself, which may be a secret.
func (l *tomlLayout) typeProblem(i int, err *toml.DecodeError) ConfigError {
	e := l.exprs[i]
	p := ConfigError{Line: e.line, Key: e.name()}
	t, ok := configType(e.key)
	switch {
	case !ok:
		p.Msg = cleanMessage(err.Error())
	case !fits(t, e.kind):
		p.Msg = fmt.Sprintf("must be %s, not %s", typeName(t), kindName(e.kind))
	case t.Kind() == reflect.Slice:
		for j, k := range e.elems {
			if !fits(t.Elem(), k) {
				p.Key = fmt.Sprintf("%s[%d]", p.Key, j)
				p.Msg = fmt.Sprintf("must be %s, not %s", typeName(t.Elem()), kindName(k))
				return p
			}
		}
		p.Msg = cleanMessage(err.Error())
	default:
		p.Msg = cleanMessage(err.Error())
	}
	return p
}

// configType returns the Go type of the Config field at a key path, whose
// parts may carry an index ("people[1]").
func configType(key []string) (reflect.Type, bool) {
	t := reflect.TypeFor[Config]()
	for _, part := range key {
		name, _, indexed := strings.Cut(part, "[")
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByKey(t, name)
			if !ok {
				return nil, false
			}
			t = f.Type
		case reflect.Map:
			t = t.Elem()
		default:
			return nil, false
		}
		if indexed {
			if t.Kind() != reflect.Slice {
				return nil, false
			}
			t = t.Elem()
		}
	}
	return t, true
}

// fieldByKey returns the field of the struct type t whose toml tag is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if tomlName(t.Field(i)) == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// tomlName returns the key of a struct field.
func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

// fits reports whether a TOML value of kind k can go into a field of type t.
func fits(t reflect.Type, k unstable.Kind) bool {
	switch t.Kind() {
	case reflect.String:
		return k == unstable.String
	case reflect.Bool:
		return k == unstable.Bool
	case reflect.Int:
		return k == unstable.Integer
	case reflect.Float64:
		return k == unstable.Integer || k == unstable.Float
	case reflect.Slice:
		return k == unstable.Array || k == unstable.ArrayTable
	}
	return k == unstable.InlineTable || k == unstable.Table
}

// typeName names what a field of type t must hold.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	}
	return "a table"
}

// kindName names the TOML type of a value, never the value itself.
func kindName(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Bool:
		return "a boolean"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a float"
	case unstable.Array:
		return "an array"
	}
	return "a table"
}

// nilEmpty sets every empty slice in v to nil, as in DefaultConfig: the
// decoder makes an empty one of `admins = []`.
func nilEmpty(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			nilEmpty(v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.SetZero()
		}
		for i := range v.Len() {
			nilEmpty(v.Index(i))
		}
	}
}

// suggestKey returns "; did you mean <key>?" for the known key closest to
// the unknown key, or "".
func suggestKey(key string) string {
	parent, name := "", key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		parent, name = key[:i], key[i+1:]
	}
	var parts []string
	if parent != "" {
		parts = strings.Split(parent, ".")
	}
	t, ok := configType(parts)
	if !ok || t.Kind() != reflect.Struct {
		return ""
	}
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		names = append(names, tomlName(t.Field(i)))
	}
	if best := closest(name, names); best != "" {
		return "; did you mean " + joinKey(parent, best) + "?"
	}
	return ""
}

// joinKey appends key to the dotted path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// closest returns the candidate nearest to s by edit distance, when it is
// near enough to be a misspelling of it, or "". A candidate that s is the
// start of (remind for remind_after) counts as one edit away.
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+2
	s = strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(s, strings.ToLower(c))
		if len(s) >= 3 && strings.HasPrefix(strings.ToLower(c), s) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// syntaxProblem turns a TOML parse error into a ConfigError at its line,
// with the key of that line when it has one. The parser quotes the character
// it choked on, which may be part of a secret, perhaps under a misspelt key:
// so the message is replaced when the line sets a secret, and the quoted
// characters and words are left out on every line but a table header.
func (l *tomlLayout) syntaxProblem(data []byte, err error, table []string) ConfigError {
	var perr *unstable.ParserError
	if !errors.As(err, &perr) {
		return ConfigError{Msg: "TOML syntax error: " + cleanMessage(err.Error())}
	}
	off := cap(data) - cap(perr.Highlight)
	if perr.Highlight == nil || off < 0 || off > len(data) {
		off = len(data)
	}
	line := bytes.Count(data[:off], []byte("\n")) + 1
	text := ""
	if line <= len(l.text) {
		text = strings.TrimSpace(l.text[line-1])
	}
	key, msg := "", perr.Message
	if parts := lineKey(text); parts != nil {
		key = strings.Join(append(slices.Clone(table), parts...), ".")
	}
	switch {
	case strings.HasPrefix(text, "["):
	case isSecretName(lineKey(text)):
		msg = "the value of this secret is not valid TOML (quote it)"
	default:
		msg = hideQuoted(msg)
	}
	return ConfigError{Line: line, Key: key, Msg: "TOML syntax error: " + msg}
}

// lineKey returns the key that a line of key = value text sets, as go-toml's
// parser reads it, or nil.
func lineKey(text string) []string {
	before, _, ok := strings.Cut(text, "=")
	if !ok {
		return nil
	}
	var p unstable.Parser
	p.Reset([]byte(before + "= 0\n"))
	if !p.NextExpression() || p.Expression().Kind != unstable.KeyValue {
		return nil
	}
	parts, _ := keyParts(&p, p.Expression())
	return parts
}

// isSecretName reports whether the last part of key is the name of a secret
// in any section, such as app_secret or token.
func isSecretName(key []string) bool {
	if len(key) == 0 {
		return false
	}
	for k := range secretKeys {
		if strings.HasSuffix(k, "."+key[len(key)-1]) {
			return true
		}
	}
	return false
}

// secretKeys are the keys whose values never appear in a message.
var secretKeys = map[string]bool{
	"server.secret": true, "server.admin_token": true,
	"feishu.app_secret": true, "feishu.verification_token": true, "feishu.encrypt_key": true,
	"dingtalk.client_secret": true,
	"wecom.secret":           true, "wecom.token": true, "wecom.encoding_aes_key": true,
}

var (
	// reCharacter matches a character that the parser names (%#U), as
	// U+006C 'l'.
	reCharacter = regexp.MustCompile(`U\+[0-9A-F]{4,6}(?: '(?:[^'\\]|\\.)*')?`)
	// reQuoted matches the words that a message quotes.
	reQuoted = regexp.MustCompile(`"(?:[^"\\]|\\.){3,}"|'[^']{3,}'`)
)

// hideQuoted rewrites a parser message so that it quotes nothing of the
// line: a value that does not start as one is "expected value", a named
// character is "the end of the line" or "another character".
func hideQuoted(msg string) string {
	if strings.HasPrefix(msg, "unexpected character") && strings.HasSuffix(msg, "at start of value") {
		if strings.Contains(msg, "U+000A") || strings.Contains(msg, "U+000D") {
			return "expected value, found the end of the line"
		}
		return "expected value; text must be in quotes, such as \"abc\""
	}
	msg = reCharacter.ReplaceAllStringFunc(msg, func(m string) string {
		if strings.HasPrefix(m, "U+000A") || strings.HasPrefix(m, "U+000D") {
			return "the end of the line"
		}
		return "another character"
	})
	return reQuoted.ReplaceAllString(msg, "…")
}

// cleanMessage drops the package prefix of a go-toml error and hides what it
// quotes.
func cleanMessage(msg string) string {
	return hideQuoted(strings.TrimPrefix(msg, "toml: "))
}

// ignoredEnv are LOOPBOT_ variables that are not settings: the test suite's
// and CI's, and the benchmarks' sizes.
var ignoredEnv = map[string]bool{"LOOPBOT_REQUIRE_BROWSER": true, "LOOPBOT_UPDATE_SCREENSHOT": true,
	"LOOPBOT_MONTH_PEOPLE": true, "LOOPBOT_MONTH_DAYS": true, "LOOPBOT_EXPORT_ROWS": true,
	"LOOPBOT_API_PEOPLE": true, "LOOPBOT_API_CLIENTS": true, "LOOPBOT_API_CLOSED_SECONDS": true, "LOOPBOT_API_RATE": true, "LOOPBOT_API_SECONDS": true}

// applyEnv sets each scalar key (string, bool, int, float) of c for which
// environ has a non-empty LOOPBOT_<SECTION>_<KEY> variable; an empty variable
// counts as unset. It records in set the variable that set each key, and
// returns a problem for each value that does not parse, each variable that
// names a list or a table, and each LOOPBOT_ variable that is no setting at
// all (a misspelling would otherwise go unnoticed).
func applyEnv(c *Config, environ []string, set map[string]string) ConfigErrors {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "LOOPBOT_") {
			env[k] = v
		}
	}
	var errs ConfigErrors
	known := map[string]bool{}
	var names []string
	forEachKey(c, func(key string, rv reflect.Value) {
		name := envName(key)
		known[name] = true
		names = append(names, strings.TrimPrefix(name, "LOOPBOT_"))
		v := env[name]
		if v == "" {
			return
		}
		set[key] = "$" + name
		if msg := setText(rv, v, key); msg != "" {
			errs = append(errs, ConfigError{File: "$" + name, Key: key, Msg: msg})
		}
	})
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if known[name] || ignoredEnv[name] {
			continue
		}
		msg := "is not a loopbot setting; settings are LOOPBOT_<SECTION>_<KEY>, such as LOOPBOT_SERVER_LISTEN (see config.example.toml)"
		if best := closest(strings.TrimPrefix(name, "LOOPBOT_"), names); best != "" {
			msg = "is not a loopbot setting; did you mean LOOPBOT_" + best + "?"
		}
		errs = append(errs, ConfigError{File: "$" + name, Msg: msg})
	}
	return errs
}

// applySettings sets the keys of the command-line settings, recording their
// flags in set, and returns a problem for each value that does not parse.
func applySettings(c *Config, settings []Setting, set map[string]string) ConfigErrors {
	var errs ConfigErrors
	for _, s := range settings {
		forEachKey(c, func(key string, rv reflect.Value) {
			if key != s.Key {
				return
			}
			set[key] = s.Flag
			if msg := setText(rv, s.Value, key); msg != "" {
				errs = append(errs, ConfigError{File: s.Flag, Key: key, Msg: msg})
			}
		})
	}
	return errs
}

// forEachKey calls fn with the path and the field of each key of each
// section of c.
func forEachKey(c *Config, fn func(key string, rv reflect.Value)) {
	root := reflect.ValueOf(c).Elem()
	for i := range root.NumField() {
		section, prefix := root.Field(i), tomlName(root.Type().Field(i))
		for j := range section.NumField() {
			fn(prefix+"."+tomlName(section.Type().Field(j)), section.Field(j))
		}
	}
}

// envName returns the variable that overrides key: LOOPBOT_FEISHU_APP_SECRET
// for feishu.app_secret.
func envName(key string) string {
	return "LOOPBOT_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// setText parses the text v into the scalar rv and returns what is wrong
// with it, or "".
func setText(rv reflect.Value, v, key string) string {
	var err error
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return "only single values can come from the environment; set this one in the config file"
	case reflect.String:
		rv.SetString(v)
	case reflect.Bool:
		var b bool
		if b, err = strconv.ParseBool(v); err == nil {
			rv.SetBool(b)
		}
	case reflect.Int:
		var n int64
		if n, err = strconv.ParseInt(v, 10, 64); err == nil {
			rv.SetInt(n)
		}
	case reflect.Float64:
		var f float64
		if f, err = strconv.ParseFloat(v, 64); err == nil {
			rv.SetFloat(f)
		}
	}
	if err != nil {
		return fmt.Sprintf("%s is not %s", shown(key, v), typeName(rv.Type()))
	}
	return ""
}

// shown quotes v for a message about key, unless key is a secret.
func shown(key, v string) string {
	if secretKeys[key] {
		return "the value"
	}
	return strconv.Quote(v)
}
