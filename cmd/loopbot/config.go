package main

import (
	"encoding/base64"
	"fmt"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/loopbot/loopbot/adapters/dingtalk"
	"github.com/loopbot/loopbot/adapters/wecom"
	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/calendar"
	"github.com/loopbot/loopbot/command"
	"github.com/loopbot/loopbot/export/chart"
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
	Retention  RetentionConfig  `toml:"retention"`
	Export     ExportConfig     `toml:"export"`
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
	Path       string `toml:"path"`        // the bbolt database file
	BackupDir  string `toml:"backup_dir"`  // the folder of the daily backups; empty: "backups" next to Path
	BackupAt   string `toml:"backup_at"`   // HH:MM (calendar.timezone) of the daily backup into backup_dir
	BackupKeep int    `toml:"backup_keep"` // how many daily backups to keep; 0 turns the daily backup off
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
	GroupUpdatesFor    string  `toml:"group_updates_for"`    // plain duration after sending that a group warning is updated in place, or "0": while kept
}

// ReviewConfig is the [review] section: the weekly review (§4.4), as a
// weekday and a clock time such as "fri 16:00".
type ReviewConfig struct {
	PromptAt  string `toml:"prompt_at"`  // when members get the review card
	SummaryAt string `toml:"summary_at"` // when the weekly summary goes out
}

// RetentionConfig is the [retention] section: how long the store keeps what is
// only needed for a while (bot.Retention). Each is a plain duration with
// calendar days allowed (48h, 7d), or "0" to keep forever. Audit events,
// check-ins, prompts, reviews, escalations, tasks and people are history and
// always kept.
type RetentionConfig struct {
	FinishedCards string `toml:"finished_cards"` // a card with no buttons left, after its last change
	OpenCards     string `toml:"open_cards"`     // any card, after its last change: its buttons expire
	Chat          string `toml:"chat"`           // the playground's chat lines
	Events        string `toml:"events"`         // inbound event ids kept for de-duplication, at least 24h
	Scheduler     string `toml:"scheduler"`      // records of missed scheduled runs and marks of sent digests
	DeadLetters   string `toml:"dead_letters"`   // dead-lettered outbox items
}

// ExportConfig is the [export] section: reports, chart images and the board.
type ExportConfig struct {
	// Font is a .ttf, .otf or .ttc file with Chinese glyphs for chart images;
	// "" searches the system's usual CJK fonts (chart.SystemCJKFonts) and,
	// without one, charts get English labels.
	Font string `toml:"font"`
	// BoardLinkTTL is how long a /board link works: a plain duration with
	// calendar days allowed (12h, 7d), from 1m to 366d.
	BoardLinkTTL string `toml:"board_link_ttl"`
	// FileLinkTTL is how long a /export download link (/files/<token>)
	// works, in the same form.
	FileLinkTTL string `toml:"file_link_ttl"`
	// CPUShare is the part of one CPU core that an XLSX or CSV export made
	// by the running service (a download link, GET /api/v1/export) may keep
	// busy, from 0.1 to 1 (1: no pacing); such exports run one at a time.
	CPUShare float64 `toml:"cpu_share"`
}

func (e ExportConfig) check(k *checker) {
	if e.Font != "" {
		f, err := chart.LoadFonts(e.Font)
		if err != nil {
			k.addf("export.font", "%v", strings.TrimPrefix(err.Error(), "chart: "))
		} else {
			f.Close()
		}
	}
	sp, err := calendar.ParseSpan(e.BoardLinkTTL)
	if d, plain := sp.Duration(); err != nil || !plain || d < time.Minute || d > 366*24*time.Hour {
		k.addf("export.board_link_ttl", "%q is not a duration from 1m to 366d; use e.g. 12h or 7d", e.BoardLinkTTL)
	}
	sp, err = calendar.ParseSpan(e.FileLinkTTL)
	if d, plain := sp.Duration(); err != nil || !plain || d < time.Minute || d > 366*24*time.Hour {
		k.addf("export.file_link_ttl", "%q is not a duration from 1m to 366d; use e.g. 24h or 7d", e.FileLinkTTL)
	}
	if !(e.CPUShare >= 0.1 && e.CPUShare <= 1) {
		k.addf("export.cpu_share", "%v is not a part of one CPU core from 0.1 to 1; use e.g. 0.5", e.CPUShare)
	}
}

// FileTTL returns how long an /export download link works, which check
// validated.
func (e ExportConfig) FileTTL() time.Duration {
	return keepFor(e.FileLinkTTL)
}

// BoardTTL returns how long a board link works, which check validated.
func (e ExportConfig) BoardTTL() time.Duration {
	return keepFor(e.BoardLinkTTL)
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
	Directory         bool   `toml:"directory"`          // names, departments and managers from contact v3 (default true)
}

// DingTalkConfig is the [dingtalk] section.
type DingTalkConfig struct {
	Enabled      bool              `toml:"enabled"`
	ClientID     string            `toml:"client_id"`
	ClientSecret string            `toml:"client_secret"`
	RobotCode    string            `toml:"robot_code"`   // the robot that sends; the client id when empty
	OpenAPIHost  string            `toml:"openapi_host"` // OpenAPI and stream connections
	OAPIHost     string            `toml:"oapi_host"`    // older server API (unionId → userId); default https://oapi.dingtalk.com, or openapi_host when that is not DingTalk's
	Templates    map[string]string `toml:"templates"`    // template name (task, checkin, escalation, review, report) → interactive-card template id; without one, markdown is sent
	Directory    bool              `toml:"directory"`    // names, departments and managers from topapi/v2/user/get (default true)
}

// WeComConfig is the [wecom] section.
type WeComConfig struct {
	Enabled        bool         `toml:"enabled"`
	CorpID         string       `toml:"corp_id"`
	AgentID        int          `toml:"agent_id"`
	Secret         string       `toml:"secret"`
	Token          string       `toml:"token"`
	EncodingAESKey string       `toml:"encoding_aes_key"` // 43 characters
	APIBase        string       `toml:"api_base"`
	GroupRobots    []WeComRobot `toml:"group_robots"`
	Directory      bool         `toml:"directory"` // names, departments and managers from user/get (default true)
}

// WeComRobot is one [[wecom.group_robots]] entry: the group robot webhook
// that a project's group cards go to. The URL holds a secret key and is
// never shown back.
type WeComRobot struct {
	Project string `toml:"project"` // the project's id, such as "P1"
	URL     string `toml:"url"`     // https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
}

// PlaygroundConfig is the [playground] section: the built-in web messenger,
// its people and group chats, and the fake clock of tests and demos.
type PlaygroundConfig struct {
	Enabled        bool               `toml:"enabled"`
	AllowRemote    bool               `toml:"allow_remote"`     // serve it on a listen address other than loopback
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
	Email    string   `toml:"email"`    // optional; plan imports match assignees by it
	Roles    []string `toml:"roles"`    // "admin", "manager" or "member"; optional
	Manager  string   `toml:"manager"`  // the ID of their manager; optional
	Timezone string   `toml:"timezone"` // optional; empty means calendar.timezone
	// Department is shown in the adoption report; optional.
	Department string `toml:"department"`
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
		Store:  StoreConfig{Path: "data/loopbot.db", BackupDir: "", BackupAt: "03:00", BackupKeep: 7},
		Calendar: CalendarConfig{
			Timezone: "Asia/Shanghai", Workdays: []string{"mon", "tue", "wed", "thu", "fri"},
			DayStart: "09:00", DayEnd: "18:00",
		},
		Checkin: CheckinConfig{At: "09:30", RemindAfter: "2h", Cutoff: "18:00", DigestAt: "17:30"},
		Escalation: EscalationConfig{
			CheckEvery: "5m", UnacceptedAfter: "1wd", DueSoonWithin: "1wd", DueSoonBelow: 80,
			BlockedAfter: "4wh", StaleAfter: "3wd", MissedCheckins: 2,
			ToManagerAfter: "1wd", ToGroupAfter: "2wd", CriticalPathFactor: 2, GroupUpdatesFor: "7d",
		},
		Review: ReviewConfig{PromptAt: "fri 16:00", SummaryAt: "mon 09:00"},
		Retention: RetentionConfig{
			FinishedCards: "7d", OpenCards: "31d", Chat: "62d", Events: "2d", Scheduler: "31d", DeadLetters: "31d",
		},
		Export:   ExportConfig{BoardLinkTTL: "7d", FileLinkTTL: "24h", CPUShare: 0.5},
		Feishu:   FeishuConfig{Mode: "websocket", BaseURL: "https://open.feishu.cn", Directory: true},
		DingTalk: DingTalkConfig{OpenAPIHost: "https://api.dingtalk.com", Directory: true},
		WeCom:    WeComConfig{APIBase: "https://qyapi.weixin.qq.com", Directory: true},
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

// checker collects the problems of a config's values, by key.
type checker struct {
	errs ConfigErrors
}

// addf records a problem with key.
func (k *checker) addf(key, format string, args ...any) {
	k.errs = append(k.errs, ConfigError{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// check validates every section of c, and that at least one messenger is
// enabled: without one, the bot could talk to no one. It is the one
// validation of both `loopbot check-config` and the start (NewApp), so that
// the one never passes what the other refuses: each section checks itself,
// and each platform section says whether this build has its adapter.
func (c Config) check() ConfigErrors {
	k := &checker{}
	c.Server.check(k, c.platformEnabled())
	c.Store.check(k)
	c.Calendar.check(k)
	c.Checkin.check(k)
	c.Escalation.check(k)
	c.Review.check(k)
	c.Retention.check(k)
	c.Export.check(k)
	c.Feishu.check(k)
	c.DingTalk.check(k)
	c.WeCom.check(k)
	c.Playground.check(k, c.Server.Listen)
	if !c.Playground.Enabled && !c.platformEnabled() {
		k.addf("playground.enabled", "no messenger is enabled: set playground.enabled = true, or enable feishu, dingtalk or wecom")
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

// loopbackListen reports whether the host:port address listen is on a
// loopback interface only: localhost or a loopback IP. An empty host listens
// on every interface.
func loopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return true // listen reports the address itself.
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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

// Backups returns the folder of the daily backups: backup_dir, or
// "backups" in the folder of the database file.
func (s StoreConfig) Backups() string {
	if s.BackupDir != "" {
		return s.BackupDir
	}
	return filepath.Join(filepath.Dir(s.Path), "backups")
}

// check validates [store].
func (s StoreConfig) check(k *checker) {
	k.nonEmpty("store.path", s.Path)
	k.clock("store.backup_at", s.BackupAt)
	if s.BackupKeep < 0 {
		k.addf("store.backup_keep", "%d is negative; use the number of daily backups to keep, or 0 for none", s.BackupKeep)
	}
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
	if v := e.GroupUpdatesFor; v != "0" {
		sp, err := calendar.ParseSpan(v)
		if d, plain := sp.Duration(); err != nil || !plain || d < time.Hour {
			k.addf("escalation.group_updates_for", "%q is not a plain duration of an hour or more; use hours or days such as 7d, or 0 to update a group warning for as long as it is kept", v)
		}
	}
	if e.DueSoonBelow < 0 || e.DueSoonBelow > 100 {
		k.addf("escalation.due_soon_below", "%d is not a percentage; use 0 to 100", e.DueSoonBelow)
	}
	if e.MissedCheckins < 1 {
		k.addf("escalation.missed_checkins", "%d is too few; use 1 or more", e.MissedCheckins)
	}
	switch f := e.CriticalPathFactor; {
	case math.IsNaN(f) || math.IsInf(f, 0):
		k.addf("escalation.critical_path_factor", "%g is not a number; use 1 (no speed-up) or more, such as 1.5", f)
	case f < 1:
		k.addf("escalation.critical_path_factor", "%g is below 1; use 1 (no speed-up) or more", f)
	}
}

// check validates [review].
func (r ReviewConfig) check(k *checker) {
	k.weekly("review.prompt_at", r.PromptAt)
	k.weekly("review.summary_at", r.SummaryAt)
}

// check validates [retention].
func (r RetentionConfig) check(k *checker) {
	k.keep("retention.finished_cards", r.FinishedCards, 0)
	k.keep("retention.open_cards", r.OpenCards, 0)
	k.keep("retention.chat", r.Chat, 0)
	k.keep("retention.events", r.Events, 24*time.Hour)
	k.keep("retention.scheduler", r.Scheduler, 0)
	k.keep("retention.dead_letters", r.DeadLetters, 0)
}

// Retention returns the windows of [retention], which check validated.
func (r RetentionConfig) Retention() bot.Retention {
	return bot.Retention{
		FinishedCards: keepFor(r.FinishedCards), OpenCards: keepFor(r.OpenCards), Chat: keepFor(r.Chat),
		Events: keepFor(r.Events), Scheduler: keepFor(r.Scheduler), DeadLetters: keepFor(r.DeadLetters),
	}
}

// keepFor reads a retention window: 0 (keep forever) or a plain duration.
func keepFor(v string) time.Duration {
	if v == "0" {
		return 0
	}
	sp, _ := calendar.ParseSpan(v)
	d, _ := sp.Duration()
	return d
}

// keep checks a retention window: "0", or a plain duration (s, m, h, d) of
// at least min.
func (k *checker) keep(key, v string, min time.Duration) {
	if v == "0" {
		if min > 0 {
			k.addf(key, "0 would keep them forever, which this key does not allow; use at least %s, such as 2d", shortDuration(min))
		}
		return
	}
	sp, err := calendar.ParseSpan(v)
	d, plain := sp.Duration()
	switch {
	case err != nil || !plain:
		k.addf(key, "%q is not a plain duration; use hours or days such as 48h or 7d, or 0 to keep forever", v)
	case d < min:
		k.addf(key, "%q is too short; use at least %s, such as 2d", v, shortDuration(min))
	}
}

// shortDuration writes whole hours as "24h" rather than "24h0m0s".
func shortDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
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
	if d.OAPIHost != "" {
		k.url("dingtalk.oapi_host", d.OAPIHost)
	}
	for name, id := range d.Templates {
		switch {
		case !slices.Contains(dingtalk.TemplateNames, name):
			k.addf("dingtalk.templates."+name, "unknown template; use %s", strings.Join(dingtalk.TemplateNames, ", "))
		case id == "":
			k.addf("dingtalk.templates."+name, "is empty; remove the key to send markdown instead")
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
	for i, r := range w.GroupRobots {
		key := fmt.Sprintf("wecom.group_robots[%d]", i)
		if _, ok := command.ParseProjectID(r.Project); !ok {
			k.addf(key+".project", "%q is not a project id such as P1", r.Project)
		}
		if _, _, err := wecom.ParseRobotURL(r.URL, w.APIBase); err != nil {
			k.addf(key+".url", "%s", err.Error())
		}
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

// check validates [playground]: where it listens, its clock, and that its
// people and groups refer to each other correctly. Anyone who reaches the
// playground can act as any person, an admin too, and move the clock, so it
// serves on a loopback address (listen, server.listen) unless allow_remote
// says otherwise.
func (p PlaygroundConfig) check(k *checker, listen string) {
	if p.Enabled && !p.AllowRemote && !loopbackListen(listen) {
		k.addf("server.listen", "%q is not a loopback address, and anyone who reaches the playground can act as any person, an admin too; listen on 127.0.0.1 (such as 127.0.0.1:8080), or set playground.allow_remote = true to expose it on purpose", listen)
	}
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
