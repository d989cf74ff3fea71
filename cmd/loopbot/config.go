package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
)

// Config is the whole configuration of loopbot, read once at start from a TOML
// file (see config.example.toml) and the LOOPBOT_<SECTION>_<KEY> environment
// variables, and then passed by value to the parts that need it.
//
// Durations are kept as the text that calendar.ParseSpan reads ("5m", "1wd"),
// clock times as "HH:MM" for calendar.ParseClock, and weekly times as
// "fri 16:00". LoadConfig has checked all of them, so a consumer may parse them
// and treat an error as a defect.
type Config struct {
	Server     ServerConfig     `toml:"server"`
	Store      StoreConfig      `toml:"store"`
	Calendar   CalendarConfig   `toml:"calendar"`
	Checkin    CheckinConfig    `toml:"checkin"`
	Escalation EscalationConfig `toml:"escalation"`
	Review     ReviewConfig     `toml:"review"`
	Feishu     FeishuConfig     `toml:"feishu"`
	DingTalk   DingTalkConfig   `toml:"dingtalk"`
	WeCom      WeComConfig      `toml:"wecom"`
	Playground PlaygroundConfig `toml:"playground"`
}

// ServerConfig is the [server] section: the HTTP listener and the secrets that
// the whole service shares.
type ServerConfig struct {
	Listen     string   `toml:"listen"`      // host:port of the one HTTP listener
	PublicURL  string   `toml:"public_url"`  // the URL that users and platforms reach the service at; optional
	Secret     string   `toml:"secret"`      // HMAC key of card actions, at least 16 characters; optional with the playground alone
	AdminToken string   `toml:"admin_token"` // bearer token of the admin API; empty disables the admin API
	Admins     []string `toml:"admins"`      // person ids such as "feishu:ou_x" made admins at each start (App.seedAdmins)
	Lang       string   `toml:"lang"`        // "zh" or "en": the language of cards and replies
	LogLevel   string   `toml:"log_level"`   // "debug", "info", "warn" or "error"
}

// StoreConfig is the [store] section: where the bbolt file and its backups live.
type StoreConfig struct {
	Path      string `toml:"path"`       // the bbolt database file
	BackupDir string `toml:"backup_dir"` // the folder of backups
}

// CalendarConfig is the [calendar] section: the working week and hours, and
// the days that this deployment adds to the shipped PRC schedule.
type CalendarConfig struct {
	Timezone      string   `toml:"timezone"`       // IANA zone of people without one of their own
	Workdays      []string `toml:"workdays"`       // working weekdays, "mon" … "sun"
	DayStart      string   `toml:"day_start"`      // HH:MM when the working day starts
	DayEnd        string   `toml:"day_end"`        // HH:MM when the working day ends
	ExtraHolidays []string `toml:"extra_holidays"` // extra days off, 2006-01-02
	ExtraWorkdays []string `toml:"extra_workdays"` // extra make-up working days (调休), 2006-01-02
}

// CheckinConfig is the [checkin] section: the daily check-in (§4.2).
type CheckinConfig struct {
	At          string `toml:"at"`           // HH:MM when the check-in card goes out
	RemindAfter string `toml:"remind_after"` // span after At for the one reminder
	Cutoff      string `toml:"cutoff"`       // HH:MM after which an answer is late
	DigestAt    string `toml:"digest_at"`    // HH:MM of the daily digest in the group chats
}

// EscalationConfig is the [escalation] section: the warning rules and the
// ladder (§4.3). The spans are ParseSpan text.
type EscalationConfig struct {
	CheckEvery         string  `toml:"check_every"`          // plain duration (s, m, h; at least 1m) between two runs of the rules
	UnacceptedAfter    string  `toml:"unaccepted_after"`     // span before an unanswered assignment warns
	DueSoonWithin      string  `toml:"due_soon_within"`      // span before the due date where due_soon looks
	DueSoonBelow       int     `toml:"due_soon_below"`       // percent of progress below which due_soon fires
	BlockedAfter       string  `toml:"blocked_after"`        // span a task may stay blocked
	StaleAfter         string  `toml:"stale_after"`          // span without a progress change
	MissedCheckins     int     `toml:"missed_checkins"`      // check-ins in a row left unanswered
	ToManagerAfter     string  `toml:"to_manager_after"`     // span from the first warning to the manager
	ToGroupAfter       string  `toml:"to_group_after"`       // span from the first warning to the group
	CriticalPathFactor float64 `toml:"critical_path_factor"` // how many times faster critical tasks climb, at least 1
}

// ReviewConfig is the [review] section: the weekly review (§4.4), as a
// weekday and a clock time such as "fri 16:00".
type ReviewConfig struct {
	PromptAt  string `toml:"prompt_at"`  // when members get the review card
	SummaryAt string `toml:"summary_at"` // when the weekly summary goes out
}

// FeishuConfig is the [feishu] section.
type FeishuConfig struct {
	Enabled           bool   `toml:"enabled"`
	Mode              string `toml:"mode"` // "websocket" (long connection) or "webhook" (HTTP callback)
	AppID             string `toml:"app_id"`
	AppSecret         string `toml:"app_secret"`
	VerificationToken string `toml:"verification_token"` // webhook mode only
	EncryptKey        string `toml:"encrypt_key"`        // webhook mode only
	BaseURL           string `toml:"base_url"`           // OpenAPI base, e.g. https://open.larksuite.com for Lark
}

// DingTalkConfig is the [dingtalk] section.
type DingTalkConfig struct {
	Enabled       bool              `toml:"enabled"`
	ClientID      string            `toml:"client_id"`
	ClientSecret  string            `toml:"client_secret"`
	OpenAPIHost   string            `toml:"openapi_host"`
	CardTemplates map[string]string `toml:"card_templates"` // card kind → template id; without one, markdown is sent
}

// WeComConfig is the [wecom] section.
type WeComConfig struct {
	Enabled        bool   `toml:"enabled"`
	CorpID         string `toml:"corp_id"`
	AgentID        int    `toml:"agent_id"`
	Secret         string `toml:"secret"`
	Token          string `toml:"token"`
	EncodingAESKey string `toml:"encoding_aes_key"` // 43 characters
	APIBase        string `toml:"api_base"`
}

// PlaygroundConfig is the [playground] section: the built-in web messenger,
// its people and group chats, and the fake clock of tests and demos.
type PlaygroundConfig struct {
	Enabled        bool               `toml:"enabled"`
	FakeClock      bool               `toml:"fake_clock"`       // enables POST /playground/api/clock
	FakeClockStart string             `toml:"fake_clock_start"` // RFC 3339; empty starts at the real time
	People         []PlaygroundPerson `toml:"people"`
	Groups         []PlaygroundGroup  `toml:"groups"`
}

// PlaygroundPerson is one [[playground.people]] entry. Their person id is
// "playground:" + ID.
type PlaygroundPerson struct {
	ID       string   `toml:"id"`
	Name     string   `toml:"name"`
	Roles    []string `toml:"roles"`    // "admin", "manager" or "member"; optional
	Manager  string   `toml:"manager"`  // the ID of their manager; optional
	Timezone string   `toml:"timezone"` // optional; empty means calendar.timezone
}

// PlaygroundGroup is one [[playground.groups]] entry: a group chat.
type PlaygroundGroup struct {
	ID      string   `toml:"id"`
	Name    string   `toml:"name"`
	Members []string `toml:"members"` // person IDs of the playground
}

// DefaultConfig returns the defaults of every key: no platform, the playground
// disabled and no people. It does not validate on its own, since it enables
// no messenger: a config file must at least set playground.enabled = true.
func DefaultConfig() Config {
	return Config{
		Server: ServerConfig{Listen: "127.0.0.1:8080", Lang: "zh", LogLevel: "info"},
		Store:  StoreConfig{Path: "data/loopbot.db", BackupDir: "data/backups"},
		Calendar: CalendarConfig{
			Timezone: "Asia/Shanghai", Workdays: []string{"mon", "tue", "wed", "thu", "fri"},
			DayStart: "09:00", DayEnd: "18:00",
		},
		Checkin: CheckinConfig{At: "09:30", RemindAfter: "2h", Cutoff: "18:00", DigestAt: "17:30"},
		Escalation: EscalationConfig{
			CheckEvery: "5m", UnacceptedAfter: "1wd", DueSoonWithin: "1wd", DueSoonBelow: 80,
			BlockedAfter: "4wh", StaleAfter: "3wd", MissedCheckins: 2,
			ToManagerAfter: "1wd", ToGroupAfter: "2wd", CriticalPathFactor: 2,
		},
		Review:   ReviewConfig{PromptAt: "fri 16:00", SummaryAt: "mon 09:00"},
		Feishu:   FeishuConfig{Mode: "websocket", BaseURL: "https://open.feishu.cn"},
		DingTalk: DingTalkConfig{OpenAPIHost: "https://api.dingtalk.com"},
		WeCom:    WeComConfig{APIBase: "https://qyapi.weixin.qq.com"},
	}
}

// EmbeddedConfig returns what `loopbot serve` runs on when there is no config
// file: the defaults, plus the playground with its fake clock (starting at the
// real time) and the demo people and groups.
func EmbeddedConfig() Config {
	c := DefaultConfig()
	c.Playground = PlaygroundConfig{
		Enabled:   true,
		FakeClock: true,
		People: []PlaygroundPerson{
			{ID: "alice", Name: "王丽 Alice", Roles: []string{"admin"}},
			{ID: "bob", Name: "李博 Bob", Manager: "alice"},
			{ID: "carol", Name: "陈晨 Carol", Manager: "alice"},
			{ID: "dave", Name: "Dave Miller", Manager: "alice", Timezone: "America/New_York"},
		},
		Groups: []PlaygroundGroup{
			{ID: "alpha", Name: "Alpha 项目群", Members: []string{"alice", "bob", "carol", "dave"}},
			{ID: "beta", Name: "Beta 交付群", Members: []string{"alice", "carol"}},
		},
	}
	return c
}

// ConfigError is one problem of a configuration. File is the config file, or
// "$NAME" when the value came from the environment variable NAME, and Line is
// 0 when unknown. Key is the dotted key, with an index for array entries
// (playground.people[1].manager). Msg never holds the value of a secret.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error writes e as `config.toml:12: escalation.check_every: "5x" is not a
// duration; …`, leaving out what is unknown.
func (e ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors is every problem that LoadConfig or Validate found, in the order
// of the file. It is never returned empty: no problems is a nil error.
type ConfigErrors []ConfigError

// Error writes one problem per line.
func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// err returns es as an error, or nil when es is empty, so that a caller never
// sees a non-nil error that holds nothing.
func (es ConfigErrors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// LoadConfig reads the config file at path over DefaultConfig, applies the
// LOOPBOT_<SECTION>_<KEY> variables of environ (KEY=VALUE entries, as from
// os.Environ) and validates the result. An empty path means no file: the
// EmbeddedConfig, with the environment applied.
//
// It returns a ConfigErrors that lists every unknown key, wrong type, bad value
// and missing secret, each with the file and line (or the variable) and the
// key, together with the config as far as it could be read. When the file
// cannot be read at all, the error wraps the os error instead (test it with
// errors.Is(err, fs.ErrNotExist)).
func LoadConfig(path string, environ []string) (Config, error) {
	c, src := EmbeddedConfig(), origin{}
	var errs ConfigErrors
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return DefaultConfig(), fmt.Errorf("config: %w", err)
		}
		c, src = DefaultConfig(), origin{file: path}
		var tree map[string]any
		if _, err := toml.Decode(string(data), &tree); err != nil {
			// Nothing after a syntax error can be trusted, so it is the
			// only problem reported.
			return c, src.place(ConfigErrors{syntaxError(string(data), err)})
		}
		src.lines = keyLines(string(data))
		errs = decodeTree(tree, &c)
	}
	var envErrs ConfigErrors
	src.env, envErrs = applyEnv(&c, environ)
	errs = append(errs, envErrs...)
	errs = append(errs, dropKnown(errs, c.check())...)
	return c, src.place(errs).err()
}

// Validate checks every value of c and that the enabled platforms have their
// secrets. It returns a ConfigErrors without files or lines, or nil.
func (c Config) Validate() error {
	return c.check().err()
}

// origin says where the values of a loaded config came from, so that a
// problem found by key can name its file and line, or its variable.
type origin struct {
	file  string
	lines map[string]int    // key path → line, from keyLines
	env   map[string]string // key path → the variable that set it
}

// place fills in the File and Line of each problem that lacks them and sorts
// the problems: the file's by line, then the environment's.
func (o origin) place(errs ConfigErrors) ConfigErrors {
	for i, e := range errs {
		if e.File != "" {
			continue
		}
		if name, ok := o.env[e.Key]; ok {
			errs[i].File = "$" + name
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

// decodeTree copies a parsed TOML tree into c and returns every unknown key
// and every value of the wrong type.
func decodeTree(tree map[string]any, c *Config) ConfigErrors {
	var d decoder
	d.table(reflect.ValueOf(c).Elem(), tree, "")
	return d.errs
}

// syntaxError turns a TOML parse error into a ConfigError. The parser quotes
// the text it choked on, which may be a secret, perhaps under a misspelt key:
// so the message is replaced when the line sets a secret, and its quoted words
// are left out on every line but a table header.
func syntaxError(text string, err error) ConfigError {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return ConfigError{Msg: err.Error()}
	}
	msg, key, line := pe.Message, "", errorLine(text, pe.Position)
	switch {
	case lineSetsSecret(text, line):
		msg = "the value of this secret is not valid TOML (quote it)"
	case !strings.HasPrefix(strings.TrimSpace(lineAt(text, line)), "["):
		msg = reQuoted.ReplaceAllString(msg, "…")
	}
	// The parser's last key may be one that an earlier line set.
	if lastPart := pe.LastKey[strings.LastIndexByte(pe.LastKey, '.')+1:]; lastPart != "" &&
		strings.HasPrefix(strings.TrimSpace(lineAt(text, line)), lastPart) {
		key = pe.LastKey
	}
	return ConfigError{Line: line, Key: key, Msg: "TOML syntax error: " + msg}
}

// reQuoted matches the words that a parse error quotes, but not a quoted
// character such as '=' or '\n'.
var reQuoted = regexp.MustCompile(`"(?:[^"\\]|\\.){3,}"|'[^']{3,}'`)

// errorLine returns the line of a parse error's first byte. The parser's own
// line is one too far when the bad byte is a line's end.
func errorLine(text string, pos toml.Position) int {
	if pos.Start < 0 || pos.Start >= len(text) {
		return pos.Line
	}
	return strings.Count(text[:pos.Start], "\n") + 1
}

// lineAt returns line n of text, counting from 1, or "".
func lineAt(text string, n int) string {
	lines := strings.Split(text, "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

// lineSetsSecret reports whether line n of text (from 1) assigns a key whose
// name is the name of a secret.
func lineSetsSecret(text string, n int) bool {
	key, _, ok := strings.Cut(lineAt(text, n), "=")
	if !ok {
		return false
	}
	key = strings.Trim(strings.TrimSpace(key), `"'`)
	for k := range secretKeys {
		if strings.HasSuffix(k, "."+key) {
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

// decoder copies a decoded TOML tree into a Config, checking each key against
// the struct's toml tags and each value against the field's type. Unlike
// toml.Decode, it goes on after a problem, so that all of them are reported,
// and it names array entries by index (playground.people[1].id), which
// MetaData.Undecoded cannot.
type decoder struct {
	errs ConfigErrors
}

// addf records a problem with the value at path.
func (d *decoder) addf(path, format string, args ...any) {
	d.errs = append(d.errs, ConfigError{Key: path, Msg: fmt.Sprintf(format, args...)})
}

// table copies the keys of m into the struct rv. Keys are taken in sorted
// order; LoadConfig sorts the problems by line afterwards.
func (d *decoder) table(rv reflect.Value, m map[string]any, path string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		p := joinKey(path, k)
		f, ok := fieldByKey(rv, k)
		if !ok {
			d.addf(p, "unknown key")
			continue
		}
		d.value(f, m[k], p)
	}
}

// value copies v into rv when its type fits.
func (d *decoder) value(rv reflect.Value, v any, path string) {
	switch rv.Kind() {
	case reflect.Struct:
		if m, ok := v.(map[string]any); ok {
			d.table(rv, m, path)
			return
		}
	case reflect.Slice:
		if items, ok := listOf(v); ok {
			d.slice(rv, items, path)
			return
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			d.stringMap(rv, m, path)
			return
		}
	default:
		if setScalar(rv, v) {
			return
		}
	}
	d.addf(path, "must be %s, not %s", kindName(rv.Kind()), tomlTypeName(v))
}

// slice fills the slice rv with items. An empty array leaves a nil slice, as
// in DefaultConfig.
func (d *decoder) slice(rv reflect.Value, items []any, path string) {
	if len(items) == 0 {
		rv.Set(reflect.Zero(rv.Type()))
		return
	}
	out := reflect.MakeSlice(rv.Type(), len(items), len(items))
	for i, item := range items {
		d.value(out.Index(i), item, fmt.Sprintf("%s[%d]", path, i))
	}
	rv.Set(out)
}

// stringMap fills the map[string]string rv from m.
func (d *decoder) stringMap(rv reflect.Value, m map[string]any, path string) {
	out := reflect.MakeMapWithSize(rv.Type(), len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s, ok := stringOf(m[k])
		if !ok {
			d.addf(joinKey(path, k), "must be a string, not %s", tomlTypeName(m[k]))
			continue
		}
		out.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(s))
	}
	rv.Set(out)
}

// setScalar stores v in the string, bool, int or float64 rv and reports
// whether v had a type that fits. An integer fits a float.
func setScalar(rv reflect.Value, v any) bool {
	switch rv.Kind() {
	case reflect.String:
		s, ok := stringOf(v)
		if ok {
			rv.SetString(s)
		}
		return ok
	case reflect.Bool:
		b, ok := v.(bool)
		if ok {
			rv.SetBool(b)
		}
		return ok
	case reflect.Int:
		n, ok := v.(int64)
		if ok {
			rv.SetInt(n)
		}
		return ok
	case reflect.Float64:
		return setFloat(rv, v)
	}
	return false
}

// setFloat stores an integer or float v in rv.
func setFloat(rv reflect.Value, v any) bool {
	switch n := v.(type) {
	case int64:
		rv.SetFloat(float64(n))
	case float64:
		rv.SetFloat(n)
	default:
		return false
	}
	return true
}

// stringOf returns v as a string. A TOML date, time or date-time written
// without quotes is taken as the text it would have been in quotes, so that
// extra_holidays = [2026-10-08] and at = 09:30 read as expected.
func stringOf(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case time.Time:
		return timeText(s), true
	}
	return "", false
}

// timeText writes a TOML date-time value in the layout it was written in,
// which the toml package keeps as the name of the value's location.
func timeText(t time.Time) string {
	switch t.Location().String() {
	case "date-local":
		return t.Format(time.DateOnly)
	case "time-local":
		if t.Second() == 0 && t.Nanosecond() == 0 {
			return t.Format("15:04")
		}
		return t.Format(time.TimeOnly)
	case "datetime-local":
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format(time.RFC3339)
}

// listOf returns v as a list: an array, or an array of tables.
func listOf(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []map[string]any:
		out := make([]any, len(l))
		for i, m := range l {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

// kindName names what a field of kind k must hold.
func kindName(k reflect.Kind) string {
	switch k {
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

// tomlTypeName names the TOML type of a decoded value, never the value itself,
// which may be a secret.
func tomlTypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	}
	return "a table"
}

// fieldByKey returns the field of the struct rv whose toml tag is key.
func fieldByKey(rv reflect.Value, key string) (reflect.Value, bool) {
	for i := 0; i < rv.NumField(); i++ {
		if tomlName(rv.Type().Field(i)) == key {
			return rv.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// tomlName returns the key of a struct field.
func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

// joinKey appends key to the dotted path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// applyEnv sets each scalar key (string, bool, int, float) of c for which
// environ has a non-empty LOOPBOT_<SECTION>_<KEY> variable; an empty variable
// counts as unset. It returns the variable that set each key, and a problem
// for each value that does not parse and for each variable that names a list
// or a table.
func applyEnv(c *Config, environ []string) (map[string]string, ConfigErrors) {
	env := envVars(environ)
	set, errs := map[string]string{}, ConfigErrors(nil)
	forEachKey(c, func(key string, rv reflect.Value) {
		name := envName(key)
		v := env[name]
		if v == "" {
			return
		}
		set[key] = name
		if msg := setEnv(rv, v, key); msg != "" {
			errs = append(errs, ConfigError{File: "$" + name, Key: key, Msg: msg})
		}
	})
	return set, errs
}

// envVars returns the LOOPBOT_ variables of environ by name.
func envVars(environ []string) map[string]string {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "LOOPBOT_") {
			env[k] = v
		}
	}
	return env
}

// forEachKey calls fn with the path and the field of each key of each
// section of c.
func forEachKey(c *Config, fn func(key string, rv reflect.Value)) {
	root := reflect.ValueOf(c).Elem()
	for i := 0; i < root.NumField(); i++ {
		section, prefix := root.Field(i), tomlName(root.Type().Field(i))
		for j := 0; j < section.NumField(); j++ {
			fn(prefix+"."+tomlName(section.Type().Field(j)), section.Field(j))
		}
	}
}

// envName returns the variable that overrides key: LOOPBOT_FEISHU_APP_SECRET
// for feishu.app_secret.
func envName(key string) string {
	return "LOOPBOT_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// setEnv parses the text v into rv and returns what is wrong with it, or "".
func setEnv(rv reflect.Value, v, key string) string {
	var parsed any = v
	var err error
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return "only single values can come from the environment; set this one in the config file"
	case reflect.Bool:
		parsed, err = strconv.ParseBool(v)
	case reflect.Int:
		parsed, err = strconv.ParseInt(v, 10, 64)
	case reflect.Float64:
		parsed, err = strconv.ParseFloat(v, 64)
	}
	if err != nil || !setScalar(rv, parsed) {
		return fmt.Sprintf("%s is not %s", shown(key, v), kindName(rv.Kind()))
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

// keyLines maps each key path that text sets to its line (from 1), with
// array-of-tables entries indexed as in playground.people[1].id, and each
// table header's path to the header's line. The toml package knows these
// lines but does not export them. text has already parsed, so the scan only
// needs to follow table headers and to skip multi-line strings and arrays.
// Keys inside inline tables are not listed; lineOf falls back to their parent.
func keyLines(text string) map[string]int {
	s := lineScanner{lines: map[string]int{}, counts: map[string]int{}}
	for i, line := range strings.Split(text, "\n") {
		s.scan(line, i+1)
	}
	return s.lines
}

// lineScanner is the state of keyLines between lines.
type lineScanner struct {
	lines  map[string]int
	counts map[string]int // entries so far of each array of tables
	table  string         // path of the current table
	quote  string         // the delimiter that closes an open multi-line string
	depth  int            // brackets and braces still open
}

// scan reads line number n.
func (s *lineScanner) scan(line string, n int) {
	if s.quote != "" || s.depth > 0 {
		s.value(line)
		return
	}
	t := strings.TrimSpace(line)
	switch {
	case t == "" || t[0] == '#':
	case strings.HasPrefix(t, "[["):
		name := s.resolve(parseKey(t[2:]))
		s.table = fmt.Sprintf("%s[%d]", name, s.counts[name])
		s.counts[name]++
		s.mark(name, n)
		s.mark(s.table, n)
	case t[0] == '[':
		s.table = s.resolve(parseKey(t[1:]))
		s.mark(s.table, n)
	default:
		key := parseKey(t)
		s.mark(joinKey(s.table, strings.Join(key, ".")), n)
		if _, rest, ok := strings.Cut(t, "="); ok {
			s.value(rest)
		}
	}
}

// mark records the line of path, keeping the first one.
func (s *lineScanner) mark(path string, n int) {
	if _, ok := s.lines[path]; !ok {
		s.lines[path] = n
	}
}

// resolve joins the parts of a table name into a path, indexing each part
// that names an array of tables by its current entry.
func (s *lineScanner) resolve(parts []string) string {
	path := ""
	for i, p := range parts {
		path = joinKey(path, p)
		if c := s.counts[path]; c > 0 && i < len(parts)-1 {
			path = fmt.Sprintf("%s[%d]", path, c-1)
		}
	}
	return path
}

// value follows a value's text, remembering a multi-line string or array that
// stays open at the end of the line.
func (s *lineScanner) value(text string) {
	for i := 0; i < len(text); i++ {
		if s.quote != "" {
			i = s.closeQuote(text, i)
			continue
		}
		switch c := text[i]; c {
		case '#':
			return
		case '[', '{':
			s.depth++
		case ']', '}':
			s.depth--
		case '"', '\'':
			s.quote = string(c)
			if strings.HasPrefix(text[i:], strings.Repeat(string(c), 3)) {
				s.quote = strings.Repeat(string(c), 3)
			}
			i += len(s.quote) - 1
		}
	}
	if len(s.quote) == 1 {
		s.quote = "" // A one-line string cannot stay open.
	}
}

// closeQuote looks for the end of the open string from text[i] and returns
// the index of its last byte, or of the byte to go on from.
func (s *lineScanner) closeQuote(text string, i int) int {
	if text[i] == '\\' && s.quote[0] == '"' {
		return i + 1
	}
	if strings.HasPrefix(text[i:], s.quote) {
		i += len(s.quote) - 1
		s.quote = ""
	}
	return i
}

// parseKey reads the dotted key at the start of s, up to '=', ']' or the end,
// and returns its parts without quotes.
func parseKey(s string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				end = len(s) - i - 1
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case '.':
			parts = append(parts, strings.TrimSpace(b.String()))
			b.Reset()
		case '=', ']':
			return append(parts, strings.TrimSpace(b.String()))
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, strings.TrimSpace(b.String()))
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

// checker collects the problems of a config's values, by key.
type checker struct {
	errs ConfigErrors
}

// addf records a problem with key.
func (k *checker) addf(key, format string, args ...any) {
	k.errs = append(k.errs, ConfigError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// check validates every section of c, and that at least one messenger is
// enabled: without one, the bot could talk to no one.
func (c Config) check() ConfigErrors {
	k := &checker{}
	c.Server.check(k, c.platformEnabled())
	c.Store.check(k)
	c.Calendar.check(k)
	c.Checkin.check(k)
	c.Escalation.check(k)
	c.Review.check(k)
	c.Feishu.check(k)
	c.DingTalk.check(k)
	c.WeCom.check(k)
	c.Playground.check(k)
	if !c.Playground.Enabled && !c.platformEnabled() {
		k.addf("playground.enabled", "no messenger is enabled: set playground.enabled = true (the platforms' adapters are not built yet)")
	}
	return k.errs
}

// platformEnabled reports whether a real messaging platform is enabled.
func (c Config) platformEnabled() bool {
	return c.Feishu.Enabled || c.DingTalk.Enabled || c.WeCom.Enabled
}

// span checks a duration that calendar.ParseSpan reads and that is above zero.
func (k *checker) span(key, v string) {
	sp, err := calendar.ParseSpan(v)
	switch {
	case err != nil:
		k.addf(key, "%q is not a duration; use 5m, 2h, 3d, 1wd or 4wh", v)
	case sp.N <= 0:
		k.addf(key, "%q must be longer than zero", v)
	}
}

// every checks the time between two runs of a job: a plain duration of at
// least a minute. The scheduler counts it on the clock (schedule), so working
// time (wd, wh) has no meaning there, and calendar days would let warnings
// wait a day.
func (k *checker) every(key, v string) {
	sp, err := calendar.ParseSpan(v)
	d, plain := sp.Duration()
	switch {
	case err != nil:
		k.addf(key, "%q is not a duration; use a plain duration such as 5m or 1h (at least 1m)", v)
	case !plain || sp.Unit == "d":
		k.addf(key, "%q is not a plain duration; use seconds, minutes or hours (s, m, h), such as 5m, at least 1m: working time (wd, wh) and calendar days (d) do not apply here", v)
	case d < time.Minute:
		k.addf(key, "%q is too short; use a plain duration of at least 1m, such as 5m", v)
	}
}

// clock checks a time of day and returns it in minutes after midnight.
func (k *checker) clock(key, v string) (int, bool) {
	h, m, err := calendar.ParseClock(v)
	if err != nil {
		k.addf(key, "%q is not a time of day; use HH:MM, such as 09:30", v)
		return 0, false
	}
	return h*60 + m, true
}

// after checks that the clock time of key is later than the one of earlier,
// where both are valid.
func (k *checker) after(key, v, earlierKey, earlier string) {
	a, okA := k.clock(key, v)
	b, okB := clockMinutes(earlier)
	if okA && okB && a <= b {
		k.addf(key, "%q must be later than %s (%s)", v, earlierKey, earlier)
	}
}

// clockMinutes returns a valid clock time in minutes after midnight.
func clockMinutes(v string) (int, bool) {
	h, m, err := calendar.ParseClock(v)
	return h*60 + m, err == nil
}

// weekly checks a weekday and a time of day, such as "fri 16:00".
func (k *checker) weekly(key, v string) {
	day, at, ok := strings.Cut(strings.TrimSpace(v), " ")
	if ok {
		_, okDay := configWeekday(day)
		_, okAt := clockMinutes(strings.TrimSpace(at))
		ok = okDay && okAt
	}
	if !ok {
		k.addf(key, "%q is not a weekday and a time; use a day and HH:MM, such as \"fri 16:00\"", v)
	}
}

// zone checks an IANA time zone name. Empty is refused; callers skip the
// optional ones.
func (k *checker) zone(key, v string) {
	if _, err := time.LoadLocation(v); err != nil || v == "" {
		k.addf(key, "%q is not a time zone; use an IANA name such as \"Asia/Shanghai\"", v)
	}
}

// oneOf checks that v is one of allowed; what names the kind of value.
func (k *checker) oneOf(key, v, what string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		k.addf(key, "%q is not %s; use %s", v, what, orList(allowed))
	}
}

// orList writes items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// url checks an absolute http or https URL.
func (k *checker) url(key, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		k.addf(key, "%q is not an http(s) URL such as https://example.com", v)
	}
}

// date checks a date written as 2006-01-02.
func (k *checker) date(key, v string) {
	if _, err := bot.ParseISODate(v); err != nil {
		k.addf(key, "%q is not a date; use YYYY-MM-DD, such as 2026-10-08", v)
	}
}

// nonEmpty checks that a setting is there.
func (k *checker) nonEmpty(key, v string) {
	if v == "" {
		k.addf(key, "is required")
	}
}

// secret checks that a secret that the enabled platform needs is set. It
// never shows the value.
func (k *checker) secret(key, v, platform string) {
	if v == "" {
		k.addf(key, "is required when %s.enabled = true; set it in the config file or in %s", platform, envName(key))
	}
}

// check validates [server]. The secret signs card actions, which only the
// platforms need: the playground alone runs without one.
func (s ServerConfig) check(k *checker, platforms bool) {
	k.listen("server.listen", s.Listen)
	if s.PublicURL != "" {
		k.url("server.public_url", s.PublicURL)
	}
	switch {
	case s.Secret == "" && platforms:
		k.addf("server.secret", "is required when a platform is enabled (at least 16 characters); set it in the config file or in %s", envName("server.secret"))
	case s.Secret != "" && utf8.RuneCountInString(s.Secret) < 16:
		k.addf("server.secret", "is too short: use at least 16 characters")
	}
	for i, id := range s.Admins {
		k.personID(fmt.Sprintf("server.admins[%d]", i), id)
	}
	k.oneOf("server.lang", s.Lang, "a language", "zh", "en")
	k.oneOf("server.log_level", s.LogLevel, "a log level", "debug", "info", "warn", "error")
}

// listen checks a host:port address to listen on.
func (k *checker) listen(key, v string) {
	_, port, err := net.SplitHostPort(v)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		k.addf(key, "%q is not a host:port address such as 127.0.0.1:8080", v)
	}
}

// personID checks a person id such as "feishu:ou_x" (§1).
func (k *checker) personID(key, v string) {
	platform, id, _ := strings.Cut(v, ":")
	known := []string{"feishu", "dingtalk", "wecom", "playground"}
	if !slices.Contains(known, platform) || id == "" {
		k.addf(key, "%q is not a person id; use <platform>:<id> with platform %s, such as \"feishu:ou_x\"", v, orList(known))
	}
}

// check validates [store].
func (s StoreConfig) check(k *checker) {
	k.nonEmpty("store.path", s.Path)
	k.nonEmpty("store.backup_dir", s.BackupDir)
}

// check validates [calendar].
func (c CalendarConfig) check(k *checker) {
	k.zone("calendar.timezone", c.Timezone)
	k.workdays("calendar.workdays", c.Workdays)
	k.clock("calendar.day_start", c.DayStart)
	k.after("calendar.day_end", c.DayEnd, "calendar.day_start", c.DayStart)
	holidays := map[string]bool{}
	for i, d := range c.ExtraHolidays {
		k.date(fmt.Sprintf("calendar.extra_holidays[%d]", i), d)
		holidays[d] = true
	}
	for i, d := range c.ExtraWorkdays {
		key := fmt.Sprintf("calendar.extra_workdays[%d]", i)
		k.date(key, d)
		if holidays[d] {
			k.addf(key, "%s is also in calendar.extra_holidays", d)
		}
	}
}

// workdays checks the working weekdays: at least one, each known and listed
// once.
func (k *checker) workdays(key string, days []string) {
	if len(days) == 0 {
		k.addf(key, "needs at least one day, such as [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]")
	}
	seen := map[time.Weekday]bool{}
	for i, d := range days {
		w, ok := configWeekday(d)
		switch {
		case !ok:
			k.addf(fmt.Sprintf("%s[%d]", key, i), "%q is not a weekday; use %s", d, orList(weekdayAbbrevs[:]))
		case seen[w]:
			k.addf(fmt.Sprintf("%s[%d]", key, i), "%q is listed twice", d)
		}
		seen[w] = ok || seen[w]
	}
}

// weekdayAbbrevs are the weekday names of the config, from Monday.
var weekdayAbbrevs = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// configWeekday reads a weekday of the config: "mon" … "sun", in any case.
func configWeekday(s string) (time.Weekday, bool) {
	i := slices.Index(weekdayAbbrevs[:], strings.ToLower(s))
	return time.Weekday((i + 1) % 7), i >= 0
}

// check validates [checkin]. The cut-off and the digest come after the
// check-in card.
func (c CheckinConfig) check(k *checker) {
	k.clock("checkin.at", c.At)
	k.span("checkin.remind_after", c.RemindAfter)
	k.after("checkin.cutoff", c.Cutoff, "checkin.at", c.At)
	k.after("checkin.digest_at", c.DigestAt, "checkin.at", c.At)
}

// check validates [escalation].
func (e EscalationConfig) check(k *checker) {
	k.every("escalation.check_every", e.CheckEvery)
	k.span("escalation.unaccepted_after", e.UnacceptedAfter)
	k.span("escalation.due_soon_within", e.DueSoonWithin)
	k.span("escalation.blocked_after", e.BlockedAfter)
	k.span("escalation.stale_after", e.StaleAfter)
	k.span("escalation.to_manager_after", e.ToManagerAfter)
	k.span("escalation.to_group_after", e.ToGroupAfter)
	if e.DueSoonBelow < 0 || e.DueSoonBelow > 100 {
		k.addf("escalation.due_soon_below", "%d is not a percentage; use 0 to 100", e.DueSoonBelow)
	}
	if e.MissedCheckins < 1 {
		k.addf("escalation.missed_checkins", "%d is too few; use 1 or more", e.MissedCheckins)
	}
	if e.CriticalPathFactor < 1 {
		k.addf("escalation.critical_path_factor", "%g is below 1; use 1 (no speed-up) or more", e.CriticalPathFactor)
	}
}

// check validates [review].
func (r ReviewConfig) check(k *checker) {
	k.weekly("review.prompt_at", r.PromptAt)
	k.weekly("review.summary_at", r.SummaryAt)
}

// check validates [feishu]. The webhook mode also needs the keys that verify
// and decrypt callbacks.
func (f FeishuConfig) check(k *checker) {
	k.oneOf("feishu.mode", f.Mode, "a mode", "websocket", "webhook")
	k.url("feishu.base_url", f.BaseURL)
	if !f.Enabled {
		return
	}
	k.secret("feishu.app_id", f.AppID, "feishu")
	k.secret("feishu.app_secret", f.AppSecret, "feishu")
	if f.Mode == "webhook" {
		k.secret("feishu.verification_token", f.VerificationToken, "feishu")
		k.secret("feishu.encrypt_key", f.EncryptKey, "feishu")
	}
}

// check validates [dingtalk].
func (d DingTalkConfig) check(k *checker) {
	k.url("dingtalk.openapi_host", d.OpenAPIHost)
	for name, id := range d.CardTemplates {
		if id == "" {
			k.addf("dingtalk.card_templates."+name, "is empty; remove the key to send markdown instead")
		}
	}
	if d.Enabled {
		k.secret("dingtalk.client_id", d.ClientID, "dingtalk")
		k.secret("dingtalk.client_secret", d.ClientSecret, "dingtalk")
	}
}

// check validates [wecom].
func (w WeComConfig) check(k *checker) {
	k.url("wecom.api_base", w.APIBase)
	switch {
	case w.AgentID < 0:
		k.addf("wecom.agent_id", "%d is not an AgentId; use the app's AgentId, a positive number", w.AgentID)
	case w.Enabled && w.AgentID == 0:
		k.secret("wecom.agent_id", "", "wecom")
	}
	if w.EncodingAESKey != "" && !validAESKey(w.EncodingAESKey) {
		k.addf("wecom.encoding_aes_key", "must be the 43 characters that WeCom shows (got %d)", len(w.EncodingAESKey))
	}
	if w.Enabled {
		k.secret("wecom.corp_id", w.CorpID, "wecom")
		k.secret("wecom.secret", w.Secret, "wecom")
		k.secret("wecom.token", w.Token, "wecom")
		k.secret("wecom.encoding_aes_key", w.EncodingAESKey, "wecom")
	}
}

// validAESKey reports whether key is a WeCom EncodingAESKey: 43 base64
// characters that decode, with the padding "=", to a 32-byte AES key.
func validAESKey(key string) bool {
	raw, err := base64.StdEncoding.DecodeString(key + "=")
	return len(key) == 43 && err == nil && len(raw) == 32
}

// check validates [playground]: its clock, and that its people and groups
// refer to each other correctly.
func (p PlaygroundConfig) check(k *checker) {
	if p.FakeClockStart != "" {
		if _, err := time.Parse(time.RFC3339, p.FakeClockStart); err != nil {
			k.addf("playground.fake_clock_start", "%q is not an RFC 3339 time such as 2026-09-21T08:00:00+08:00", p.FakeClockStart)
		}
	}
	ids := p.checkPeople(k)
	p.checkGroups(k, ids)
}

// checkPeople checks each person and returns the set of their ids.
func (p PlaygroundConfig) checkPeople(k *checker) map[string]bool {
	ids := map[string]bool{}
	for i, person := range p.People {
		key := fmt.Sprintf("playground.people[%d]", i)
		k.id(key+".id", person.ID, ids, "person")
		ids[person.ID] = true
		for j, role := range person.Roles {
			k.oneOf(fmt.Sprintf("%s.roles[%d]", key, j), role, "a role", "admin", "manager", "member")
		}
		if person.Timezone != "" {
			k.zone(key+".timezone", person.Timezone)
		}
	}
	for i, person := range p.People {
		key := fmt.Sprintf("playground.people[%d].manager", i)
		switch {
		case person.Manager == "":
		case !ids[person.Manager]:
			k.addf(key, "%q is not the id of a playground person", person.Manager)
		case person.Manager == person.ID:
			k.addf(key, "a person cannot be their own manager")
		}
	}
	return ids
}

// checkGroups checks each group; people holds the ids of the people.
func (p PlaygroundConfig) checkGroups(k *checker, people map[string]bool) {
	ids := map[string]bool{}
	for i, g := range p.Groups {
		key := fmt.Sprintf("playground.groups[%d]", i)
		k.id(key+".id", g.ID, ids, "group")
		ids[g.ID] = true
		seen := map[string]bool{}
		for j, m := range g.Members {
			mkey := fmt.Sprintf("%s.members[%d]", key, j)
			switch {
			case !people[m]:
				k.addf(mkey, "%q is not the id of a playground person", m)
			case seen[m]:
				k.addf(mkey, "%q is listed twice", m)
			}
			seen[m] = true
		}
	}
}

// id checks the id of a playground person or group: present, made of
// letters, digits, "_", "-" and ".", and not in taken.
func (k *checker) id(key, v string, taken map[string]bool, what string) {
	switch {
	case v == "":
		k.addf(key, "is required")
	case strings.IndexFunc(v, badIDRune) >= 0:
		k.addf(key, "%q is not an id; use letters, digits, \"_\", \"-\" and \".\"", v)
	case taken[v]:
		k.addf(key, "%q is the id of another %s", v, what)
	}
}

// badIDRune reports whether r may not appear in a playground id.
func badIDRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_-.", r)
}
