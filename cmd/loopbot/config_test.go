package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	_ "time/tzdata" // The test machine may have no zone database.
)

// writeConfig writes text to a config.toml in a fresh folder and returns its
// path.
func writeConfig(tb testing.TB, text string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// configErrors returns the problems in err, failing when err is another
// kind of error.
func configErrors(tb testing.TB, err error) ConfigErrors {
	tb.Helper()
	if err == nil {
		return nil
	}
	var errs ConfigErrors
	if !errors.As(err, &errs) {
		tb.Fatalf("error is %T, not ConfigErrors: %v", err, err)
	}
	if len(errs) == 0 {
		tb.Fatal("error is an empty ConfigErrors")
	}
	return errs
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	// The defaults enable no messenger, which is their only problem.
	checkProblems(t, "", configErrors(t, c.Validate()), []problem{
		{0, "playground.enabled", "no messenger is enabled: set playground.enabled = true, or enable feishu, dingtalk or wecom"},
	})
	on := c
	on.Playground.Enabled = true
	if err := on.Validate(); err != nil {
		t.Fatalf("defaults with the playground do not validate:\n%v", err)
	}
	tests := []struct {
		key       string
		got, want any
	}{
		{"server.listen", c.Server.Listen, "127.0.0.1:8080"},
		{"server.lang", c.Server.Lang, "zh"},
		{"server.log_level", c.Server.LogLevel, "info"},
		{"store.path", c.Store.Path, "data/loopbot.db"},
		{"store.backup_dir", c.Store.BackupDir, ""},
		{"store.backup_at", c.Store.BackupAt, "03:00"},
		{"store.backup_keep", c.Store.BackupKeep, 7},
		{"export.file_link_ttl", c.Export.FileLinkTTL, "24h"},
		{"calendar.timezone", c.Calendar.Timezone, "Asia/Shanghai"},
		{"calendar.workdays", c.Calendar.Workdays, []string{"mon", "tue", "wed", "thu", "fri"}},
		{"calendar.day_start", c.Calendar.DayStart, "09:00"},
		{"calendar.day_end", c.Calendar.DayEnd, "18:00"},
		{"checkin.at", c.Checkin.At, "09:30"},
		{"checkin.remind_after", c.Checkin.RemindAfter, "2h"},
		{"checkin.cutoff", c.Checkin.Cutoff, "18:00"},
		{"checkin.digest_at", c.Checkin.DigestAt, "17:30"},
		{"escalation.check_every", c.Escalation.CheckEvery, "5m"},
		{"escalation.unaccepted_after", c.Escalation.UnacceptedAfter, "1wd"},
		{"escalation.due_soon_within", c.Escalation.DueSoonWithin, "1wd"},
		{"escalation.due_soon_below", c.Escalation.DueSoonBelow, 80},
		{"escalation.blocked_after", c.Escalation.BlockedAfter, "4wh"},
		{"escalation.stale_after", c.Escalation.StaleAfter, "3wd"},
		{"escalation.missed_checkins", c.Escalation.MissedCheckins, 2},
		{"escalation.to_manager_after", c.Escalation.ToManagerAfter, "1wd"},
		{"escalation.to_group_after", c.Escalation.ToGroupAfter, "2wd"},
		{"escalation.critical_path_factor", c.Escalation.CriticalPathFactor, 2.0},
		{"escalation.group_updates_for", c.Escalation.GroupUpdatesFor, "7d"},
		{"review.prompt_at", c.Review.PromptAt, "fri 16:00"},
		{"review.summary_at", c.Review.SummaryAt, "mon 09:00"},
		{"retention", c.Retention.Retention(), bot.DefaultRetention()},
		{"feishu.enabled", c.Feishu.Enabled, false},
		{"feishu.mode", c.Feishu.Mode, "websocket"},
		{"feishu.base_url", c.Feishu.BaseURL, "https://open.feishu.cn"},
		{"dingtalk.openapi_host", c.DingTalk.OpenAPIHost, "https://api.dingtalk.com"},
		{"wecom.api_base", c.WeCom.APIBase, "https://qyapi.weixin.qq.com"},
		{"playground.enabled", c.Playground.Enabled, false},
		{"playground.people", len(c.Playground.People), 0},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.key, tt.got, tt.want)
		}
	}
}

func TestDefaultConfigIsFresh(t *testing.T) {
	a := DefaultConfig()
	a.Calendar.Workdays[0] = "sun"
	if b := DefaultConfig(); b.Calendar.Workdays[0] != "mon" {
		t.Fatal("changing one DefaultConfig changed the next one")
	}
}

func TestEmbeddedConfig(t *testing.T) {
	c := EmbeddedConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("embedded config does not validate:\n%v", err)
	}
	p := c.Playground
	if !p.Enabled || !p.FakeClock || p.FakeClockStart != "" {
		t.Errorf("playground = enabled %v, fake_clock %v, start %q; want on, on, real time", p.Enabled, p.FakeClock, p.FakeClockStart)
	}
	want := map[string]PlaygroundPerson{
		"alice": {ID: "alice", Name: "王丽 Alice", Roles: []string{"admin"}},
		"bob":   {ID: "bob", Name: "李博 Bob", Manager: "alice"},
		"carol": {ID: "carol", Name: "陈晨 Carol", Manager: "alice"},
		"dave":  {ID: "dave", Name: "Dave Miller", Manager: "alice", Timezone: "America/New_York"},
	}
	if len(p.People) != len(want) {
		t.Fatalf("%d people, want %d", len(p.People), len(want))
	}
	for _, person := range p.People {
		if !reflect.DeepEqual(person, want[person.ID]) {
			t.Errorf("person %q = %+v, want %+v", person.ID, person, want[person.ID])
		}
	}
	groups := map[string][]string{"alpha": {"alice", "bob", "carol", "dave"}, "beta": {"alice", "carol"}}
	for _, g := range p.Groups {
		if !reflect.DeepEqual(g.Members, groups[g.ID]) {
			t.Errorf("group %q members = %v, want %v", g.ID, g.Members, groups[g.ID])
		}
	}
	rest := c
	rest.Playground = PlaygroundConfig{}
	if !reflect.DeepEqual(rest, DefaultConfig()) {
		t.Error("embedded config differs from the defaults outside [playground]")
	}
}

func TestLoadConfigNoFile(t *testing.T) {
	c, err := LoadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, EmbeddedConfig()) {
		t.Errorf("LoadConfig(\"\") = %+v, want the embedded config", c)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.toml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadConfigExample(t *testing.T) {
	c, err := LoadConfig("../../config.example.toml", nil)
	if err != nil {
		t.Fatalf("config.example.toml does not load:\n%v", err)
	}
	// The example documents the defaults, and enables the playground (the
	// only messenger built) with the demo people of the embedded config but
	// without its fake clock.
	want := DefaultConfig()
	want.Playground.Enabled = true
	want.Playground.People = EmbeddedConfig().Playground.People
	want.Playground.Groups = EmbeddedConfig().Playground.Groups
	got, wantV := reflect.ValueOf(c), reflect.ValueOf(want)
	for i := 0; i < got.NumField(); i++ {
		if !reflect.DeepEqual(got.Field(i).Interface(), wantV.Field(i).Interface()) {
			t.Errorf("[%s] = %+v\nwant %+v", tomlName(got.Type().Field(i)), got.Field(i), wantV.Field(i))
		}
	}
}

func TestLoadConfigFull(t *testing.T) {
	c, err := LoadConfig("testdata/config/full.toml", nil)
	if err != nil {
		t.Fatalf("full.toml does not load:\n%v", err)
	}
	tests := []struct {
		key       string
		got, want any
	}{
		{"calendar.day_start (a TOML time)", c.Calendar.DayStart, "08:30"},
		{"calendar.extra_holidays (a TOML date)", c.Calendar.ExtraHolidays, []string{"2026-12-24", "2026-12-31"}},
		{"playground.fake_clock_start (a TOML date-time)", c.Playground.FakeClockStart, "2026-09-21T08:00:00+08:00"},
		{"escalation.check_every (the shortest allowed)", c.Escalation.CheckEvery, "1m"},
		{"escalation.critical_path_factor", c.Escalation.CriticalPathFactor, 1.5},
		{"escalation.group_updates_for", c.Escalation.GroupUpdatesFor, "0"},
		{"the schedule's group_updates_for (0: while kept)", schedule(c).GroupUpdatesFor, time.Duration(0)},
		{"the default schedule's group_updates_for", schedule(DefaultConfig()).GroupUpdatesFor, 7 * 24 * time.Hour},
		{"wecom.agent_id", c.WeCom.AgentID, 1000002},
		{"dingtalk.templates", len(c.DingTalk.Templates), 2},
		{"feishu.mode", c.Feishu.Mode, "webhook"},
		{"playground.people[0].roles", c.Playground.People[0].Roles, []string{"admin", "manager"}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.key, tt.got, tt.want)
		}
	}
}

// problem is what a test expects of one ConfigError: its line, its key and
// a part of its message.
type problem struct {
	line int
	key  string
	msg  string
}

// playgroundOn is the environment of the tests whose file enables no
// messenger, so that they fail only on what they test.
var playgroundOn = []string{"LOOPBOT_PLAYGROUND_ENABLED=true"}

// okSecret is a valid [server] section, so that the platform cases below
// fail only on what they test.
const okSecret = "[server]\nsecret = \"0123456789abcdef\"\n"

func TestLoadConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []problem
	}{
		{"bad duration", "[escalation]\nstale_after = \"5x\"\n",
			[]problem{{2, "escalation.stale_after", `"5x" is not a duration; use 5m, 2h, 3d, 1wd or 4wh`}}},
		{"bad check_every", "[escalation]\ncheck_every = \"5x\"\n",
			[]problem{{2, "escalation.check_every", `"5x" is not a duration; use a plain duration such as 5m or 1h (at least 1m)`}}},
		{"check_every in working days", "[escalation]\ncheck_every = \"1wd\"\n",
			[]problem{{2, "escalation.check_every", `"1wd" is not a plain duration; use seconds, minutes or hours (s, m, h), such as 5m, at least 1m`}}},
		{"check_every in working hours", "[escalation]\ncheck_every = \"2工作小时\"\n",
			[]problem{{2, "escalation.check_every", "working time (wd, wh) and calendar days (d) do not apply here"}}},
		{"check_every in calendar days", "[escalation]\ncheck_every = \"1d\"\n",
			[]problem{{2, "escalation.check_every", `"1d" is not a plain duration`}}},
		{"check_every under a minute", "[escalation]\ncheck_every = \"30s\"\n",
			[]problem{{2, "escalation.check_every", `"30s" is too short; use a plain duration of at least 1m`}}},
		{"check_every of zero", "[escalation]\ncheck_every = \"0m\"\n",
			[]problem{{2, "escalation.check_every", "too short"}}},
		{"zero duration", "[checkin]\nremind_after = \"0m\"\n",
			[]problem{{2, "checkin.remind_after", "must be longer than zero"}}},
		{"bad clock", "[checkin]\nat = \"25:00\"\n",
			[]problem{{2, "checkin.at", `"25:00" is not a time of day`}}},
		{"cut-off before check-in", "[checkin]\nat = \"09:30\"\ncutoff = \"08:00\"\n",
			[]problem{{3, "checkin.cutoff", "must be later than checkin.at (09:30)"}}},
		{"day ends before it starts", "[calendar]\nday_start = \"18:00\"\nday_end = \"09:00\"\n",
			[]problem{{3, "calendar.day_end", "must be later than calendar.day_start"}}},
		{"bad weekly time", "[review]\nprompt_at = \"friday\"\n",
			[]problem{{2, "review.prompt_at", `"friday" is not a weekday and a time`}}},
		{"bad weekday in weekly time", "[review]\nsummary_at = \"mun 09:00\"\n",
			[]problem{{2, "review.summary_at", "is not a weekday and a time"}}},
		{"bad time zone", "[calendar]\ntimezone = \"Mars/Olympus\"\n",
			[]problem{{2, "calendar.timezone", `"Mars/Olympus" is not a time zone`}}},
		{"bad workday", "[calendar]\nworkdays = [\"mon\", \"fun\"]\n",
			[]problem{{2, "calendar.workdays[1]", `"fun" is not a weekday`}}},
		{"workday twice", "[calendar]\nworkdays = [\"mon\", \"Mon\"]\n",
			[]problem{{2, "calendar.workdays[1]", "listed twice"}}},
		{"long weekday name", "[calendar]\nworkdays = [\"monday\"]\n",
			[]problem{{2, "calendar.workdays[0]", `"monday" is not a weekday; use mon, tue, wed, thu, fri, sat or sun`}}},
		{"no workdays", "[calendar]\nworkdays = []\n",
			[]problem{{2, "calendar.workdays", "needs at least one day"}}},
		{"bad date", "[calendar]\nextra_holidays = [\"2026-13-01\"]\n",
			[]problem{{2, "calendar.extra_holidays[0]", `"2026-13-01" is not a date`}}},
		{"date both off and on", "[calendar]\nextra_holidays = [\"2026-10-08\"]\nextra_workdays = [\"2026-10-08\"]\n",
			[]problem{{3, "calendar.extra_workdays[0]", "also in calendar.extra_holidays"}}},
		{"bad lang", "[server]\nlang = \"fr\"\n",
			[]problem{{2, "server.lang", `"fr" is not a language; use zh or en`}}},
		{"bad log level", "[server]\nlog_level = \"trace\"\n",
			[]problem{{2, "server.log_level", "use debug, info, warn or error"}}},
		{"bad listen", "[server]\nlisten = \"8080\"\n",
			[]problem{{2, "server.listen", "not a host:port address"}}},
		{"bad public url", "[server]\npublic_url = \"bot.example.com\"\n",
			[]problem{{2, "server.public_url", "not an http(s) URL"}}},
		{"bad admin", "[server]\nadmins = [\"ou_x\"]\n",
			[]problem{{2, "server.admins[0]", `"ou_x" is not a person id`}}},
		{"percentage", "[escalation]\ndue_soon_below = 120\n",
			[]problem{{2, "escalation.due_soon_below", "120 is not a percentage; use 0 to 100"}}},
		{"factor below one", "[escalation]\ncritical_path_factor = 0.5\n",
			[]problem{{2, "escalation.critical_path_factor", "0.5 is below 1"}}},
		{"group updates in working days", "[escalation]\ngroup_updates_for = \"5wd\"\n",
			[]problem{{2, "escalation.group_updates_for", `"5wd" is not a plain duration of an hour or more`}}},
		{"group updates too short", "[escalation]\ngroup_updates_for = \"10m\"\n",
			[]problem{{2, "escalation.group_updates_for", `"10m" is not a plain duration of an hour or more`}}},
		{"retention in working days", "[retention]\nchat = \"3wd\"\n",
			[]problem{{2, "retention.chat", `"3wd" is not a plain duration; use hours or days such as 48h or 7d, or 0 to keep forever`}}},
		{"events kept too briefly", "[retention]\nevents = \"12h\"\n",
			[]problem{{2, "retention.events", `"12h" is too short; use at least 24h`}}},
		{"events kept forever", "[retention]\nevents = \"0\"\n",
			[]problem{{2, "retention.events", "0 would keep them forever"}}},
		{"missing chart font", "[export]\nfont = \"/no/such/font.ttc\"\n",
			[]problem{{2, "export.font", "font /no/such/font.ttc: open /no/such/font.ttc: no such file"}}},
		{"board link in working days", "[export]\nboard_link_ttl = \"2wd\"\n",
			[]problem{{2, "export.board_link_ttl", `"2wd" is not a duration from 1m to 366d`}}},
		{"board link forever", "[export]\nboard_link_ttl = \"400d\"\n",
			[]problem{{2, "export.board_link_ttl", `"400d" is not a duration from 1m to 366d`}}},
		{"no missed check-ins", "[escalation]\nmissed_checkins = 0\n",
			[]problem{{2, "escalation.missed_checkins", "0 is too few"}}},
		{"bad feishu mode", "[feishu]\nmode = \"poll\"\n",
			[]problem{{2, "feishu.mode", `"poll" is not a mode; use websocket or webhook`}}},
		{"bad base url", "[feishu]\nbase_url = \"open.feishu.cn\"\n",
			[]problem{{2, "feishu.base_url", "not an http(s) URL"}}},
		{"empty card template", "[dingtalk]\ntemplates = { checkin = \"\" }\n",
			[]problem{{2, "dingtalk.templates.checkin", "is empty"}}},
		{"bad fake clock start", "[playground]\nfake_clock_start = \"2026-09-21 08:00\"\n",
			[]problem{{2, "playground.fake_clock_start", "not an RFC 3339 time"}}},
		{"string for a number", "[escalation]\ndue_soon_below = \"80\"\n",
			[]problem{{2, "escalation.due_soon_below", "must be a whole number, not a string"}}},
		{"number for a string", "[server]\nlang = 5\n",
			[]problem{{2, "server.lang", "must be a string, not an integer"}}},
		{"string for a bool", "[feishu]\nenabled = \"yes\"\n",
			[]problem{{2, "feishu.enabled", "must be true or false, not a string"}}},
		{"value for a section", "server = \"x\"\n",
			[]problem{{1, "server", "must be a table, not a string"}}},
		{"dotted key", "server.lang = \"fr\"\n",
			[]problem{{1, "server.lang", `"fr" is not a language`}}},
		{"unknown key", "[server]\nlisten = \"127.0.0.1:8080\"\nport = 80\n",
			[]problem{{3, "server.port", "unknown key"}}},
		{"unknown section", "[slack]\ntoken = \"x\"\n",
			[]problem{{1, "slack", "unknown key"}}},
		{"unknown key in a sub-table", "[dingtalk.templates.checkin]\nid = \"x\"\n",
			[]problem{{1, "dingtalk.templates.checkin", "must be a string, not a table"}}},
		{"unknown key in an array of tables", `[[playground.people]]
id = "alice"

[[playground.people]]
id = "bob"
emial = "bob@example.com"
`, []problem{{6, "playground.people[1].emial", "unknown key"}}},
		{"line after multi-line values", `[[playground.people]]
id = "alice"
name = """
[server]
lang = "xx"
"""
roles = [
  "admin",
  "boss",
]
timezone = "Nowhere/Else"
`, []problem{
			{7, "playground.people[0].roles[1]", `"boss" is not a role; use admin, manager or member`},
			{11, "playground.people[0].timezone", `"Nowhere/Else" is not a time zone`},
		}},
		{"person problems", `[[playground.people]]
id = "alice"
manager = "alice"
[[playground.people]]
id = "alice"
[[playground.people]]
name = "No Id"
[[playground.people]]
id = "bad id"
manager = "erin"
`, []problem{
			{3, "playground.people[0].manager", "own manager"},
			{5, "playground.people[1].id", `"alice" is the id of another person`},
			{6, "playground.people[2].id", "is required"},
			{9, "playground.people[3].id", `"bad id" is not an id`},
			{10, "playground.people[3].manager", `"erin" is not the id of a playground person`},
		}},
		{"group problems", `[[playground.people]]
id = "alice"
[[playground.groups]]
id = "alpha"
members = ["alice", "erin", "alice"]
[[playground.groups]]
id = "alpha"
`, []problem{
			{5, "playground.groups[0].members[1]", `"erin" is not the id of a playground person`},
			{5, "playground.groups[0].members[2]", `"alice" is listed twice`},
			{7, "playground.groups[1].id", `"alpha" is the id of another group`},
		}},
		{"feishu without secrets", "[feishu]\nenabled = true\n", []problem{
			{0, "server.secret", "is required when a platform is enabled (at least 16 characters); set it in the config file or in LOOPBOT_SERVER_SECRET"},
			{1, "feishu.app_id", "is required when feishu.enabled = true; set it in the config file or in LOOPBOT_FEISHU_APP_ID"},
			{1, "feishu.app_secret", "LOOPBOT_FEISHU_APP_SECRET"},
		}},
		{"feishu webhook without keys", okSecret + "[feishu]\nenabled = true\nmode = \"webhook\"\napp_id = \"a\"\napp_secret = \"b\"\n", []problem{
			{3, "feishu.verification_token", "LOOPBOT_FEISHU_VERIFICATION_TOKEN"},
			{3, "feishu.encrypt_key", "LOOPBOT_FEISHU_ENCRYPT_KEY"},
		}},
		{"dingtalk without secrets", okSecret + "[dingtalk]\nenabled = true\n", []problem{
			{3, "dingtalk.client_id", "LOOPBOT_DINGTALK_CLIENT_ID"},
			{3, "dingtalk.client_secret", "LOOPBOT_DINGTALK_CLIENT_SECRET"},
		}},
		{"wecom without secrets", okSecret + "[wecom]\nenabled = true\n", []problem{
			{3, "wecom.agent_id", "LOOPBOT_WECOM_AGENT_ID"},
			{3, "wecom.corp_id", "LOOPBOT_WECOM_CORP_ID"},
			{3, "wecom.secret", "LOOPBOT_WECOM_SECRET"},
			{3, "wecom.token", "LOOPBOT_WECOM_TOKEN"},
			{3, "wecom.encoding_aes_key", "LOOPBOT_WECOM_ENCODING_AES_KEY"},
		}},
		{"wecom short aes key", "[wecom]\nencoding_aes_key = \"abc\"\n",
			[]problem{{2, "wecom.encoding_aes_key", "must be the 43 characters that WeCom shows (got 3)"}}},
		{"short server secret", "[server]\nsecret = \"0123456789\"\n",
			[]problem{{2, "server.secret", "at least 16 characters"}}},
		{"syntax error", "[server]\nlisten =\n",
			[]problem{{2, "server.listen", "TOML syntax error: expected value"}}},
		{"syntax error after a key", "[server]\nlisten = \"x:1\"\n\n[[x]\n",
			[]problem{{4, "", "TOML syntax error"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, err := LoadConfig(path, playgroundOn)
			checkProblems(t, path, configErrors(t, err), tt.want)
		})
	}
}

// checkProblems checks that errs are want, in any order: each with the file,
// line, key and message part that it should have.
func checkProblems(tb testing.TB, path string, errs ConfigErrors, want []problem) {
	tb.Helper()
	if len(errs) != len(want) {
		tb.Fatalf("%d problems, want %d:\n%v", len(errs), len(want), errs)
	}
	for _, w := range want {
		if !hasProblem(errs, path, w) {
			tb.Errorf("no problem %s:%d: %s: …%s…; got:\n%v", path, w.line, w.key, w.msg, errs)
		}
	}
}

// hasProblem reports whether errs has the problem w in the file path.
func hasProblem(errs ConfigErrors, path string, w problem) bool {
	for _, e := range errs {
		if e.File == path && e.Line == w.line && e.Key == w.key && strings.Contains(e.Msg, w.msg) {
			return true
		}
	}
	return false
}

func TestLoadConfigManyProblems(t *testing.T) {
	const path = "testdata/config/many-problems.toml"
	_, err := LoadConfig(path, nil)
	errs := configErrors(t, err)
	want, rerr := os.ReadFile("testdata/config/many-problems.golden")
	if rerr != nil {
		t.Fatal(rerr)
	}
	if got := errs.Error() + "\n"; got != string(want) {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestLoadConfigNoMessenger(t *testing.T) {
	const msg = "no messenger is enabled: set playground.enabled = true, or enable feishu, dingtalk or wecom"
	tests := []struct {
		name string
		text string
		env  []string
		want []problem // nil: no problem
	}{
		{"nothing enabled", "[server]\nlang = \"en\"\n", nil,
			[]problem{{0, "playground.enabled", msg}}},
		{"playground switched off", "[server]\nlang = \"en\"\n\n[playground]\nenabled = false\n", nil,
			[]problem{{5, "playground.enabled", msg}}},
		{"playground on", "[playground]\nenabled = true\n", nil, nil},
		{"a platform", okSecret + "[feishu]\nenabled = true\napp_id = \"a\"\napp_secret = \"b\"\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, err := LoadConfig(path, tt.env)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkProblems(t, path, configErrors(t, err), tt.want)
		})
	}
	_, err := LoadConfig("", []string{"LOOPBOT_PLAYGROUND_ENABLED=false"})
	errs := configErrors(t, err)
	if len(errs) != 1 || errs[0].File != "$LOOPBOT_PLAYGROUND_ENABLED" || errs[0].Key != "playground.enabled" || errs[0].Msg != msg {
		t.Errorf("embedded config with the playground switched off by the environment:\n%v", errs)
	}
}

func TestConfigErrorString(t *testing.T) {
	tests := []struct {
		err  ConfigError
		want string
	}{
		{ConfigError{"config.toml", 12, "escalation.check_every", "bad"}, "config.toml:12: escalation.check_every: bad"},
		{ConfigError{"config.toml", 0, "server.secret", "is required"}, "config.toml: server.secret: is required"},
		{ConfigError{"$LOOPBOT_WECOM_AGENT_ID", 0, "wecom.agent_id", "bad"}, "$LOOPBOT_WECOM_AGENT_ID: wecom.agent_id: bad"},
		{ConfigError{"", 0, "store.path", "is required"}, "store.path: is required"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestValidateWithoutFile(t *testing.T) {
	c := DefaultConfig()
	c.Checkin.At = "noon"
	c.DingTalk.Enabled = true
	errs := configErrors(t, c.Validate())
	checkProblems(t, "", errs, []problem{
		{0, "server.secret", "is required"},
		{0, "checkin.at", `"noon" is not a time of day`},
		{0, "dingtalk.client_id", "is required"},
		{0, "dingtalk.client_secret", "is required"},
	})
}

func TestLoadConfigEnv(t *testing.T) {
	file := "[server]\nlisten = \"127.0.0.1:8080\"\nlang = \"en\"\n[playground]\nenabled = true\n"
	tests := []struct {
		name  string
		env   []string
		check func(Config) bool
		want  []problem // with the variable, "$NAME", in place of the line
	}{
		{"string overrides the file", []string{"LOOPBOT_SERVER_LISTEN=127.0.0.1:9090"},
			func(c Config) bool { return c.Server.Listen == "127.0.0.1:9090" }, nil},
		{"empty variable is unset", []string{"LOOPBOT_SERVER_LANG="},
			func(c Config) bool { return c.Server.Lang == "en" }, nil},
		{"other variables are ignored", []string{"HOME=/root", "LOOPBOT=1", "LOOPBOT_REQUIRE_BROWSER=1"},
			func(c Config) bool { return c.Server.Lang == "en" }, nil},
		{"platform entirely from the environment", []string{
			"LOOPBOT_WECOM_ENABLED=true", "LOOPBOT_WECOM_CORP_ID=ww1", "LOOPBOT_WECOM_AGENT_ID=1000002",
			"LOOPBOT_WECOM_SECRET=s", "LOOPBOT_WECOM_TOKEN=t",
			"LOOPBOT_WECOM_ENCODING_AES_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
			"LOOPBOT_SERVER_SECRET=0123456789abcdef",
		}, func(c Config) bool { return c.WeCom.Enabled && c.WeCom.AgentID == 1000002 && c.WeCom.Token == "t" }, nil},
		{"float", []string{"LOOPBOT_ESCALATION_CRITICAL_PATH_FACTOR=1.5"},
			func(c Config) bool { return c.Escalation.CriticalPathFactor == 1.5 }, nil},
		{"bad bool", []string{"LOOPBOT_FEISHU_ENABLED=yes"}, nil,
			[]problem{{0, "feishu.enabled", `"yes" is not true or false`}}},
		{"bad int", []string{"LOOPBOT_WECOM_AGENT_ID=abc"}, nil,
			[]problem{{0, "wecom.agent_id", `"abc" is not a whole number`}}},
		{"bad value", []string{"LOOPBOT_ESCALATION_CHECK_EVERY=5x"}, nil,
			[]problem{{0, "escalation.check_every", `"5x" is not a duration`}}},
		{"list", []string{"LOOPBOT_SERVER_ADMINS=feishu:ou_x"}, nil,
			[]problem{{0, "server.admins", "only single values"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(writeConfig(t, file), tt.env)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(c) {
					t.Errorf("the environment was not applied: %+v", c)
				}
				return
			}
			errs := configErrors(t, err)
			if len(errs) != 1 || errs[0].Key != tt.want[0].key || !strings.Contains(errs[0].Msg, tt.want[0].msg) {
				t.Fatalf("problems:\n%v\nwant %s: …%s…", errs, tt.want[0].key, tt.want[0].msg)
			}
			if name := "$" + envName(tt.want[0].key); errs[0].File != name || errs[0].Line != 0 {
				t.Errorf("problem is at %s:%d, want %s", errs[0].File, errs[0].Line, name)
			}
		})
	}
}

func TestLoadConfigEnvWithoutFile(t *testing.T) {
	c, err := LoadConfig("", []string{"LOOPBOT_PLAYGROUND_FAKE_CLOCK=false", "LOOPBOT_SERVER_LANG=en"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Playground.FakeClock || c.Server.Lang != "en" || len(c.Playground.People) != 4 {
		t.Errorf("embedded config with environment = %+v", c)
	}
	_, err = LoadConfig("", []string{"LOOPBOT_FEISHU_ENABLED=true"})
	checkProblems(t, "", configErrors(t, err), []problem{
		{0, "server.secret", "is required"},
		{0, "feishu.app_id", "is required"},
		{0, "feishu.app_secret", "is required"},
	})
}

func TestConfigErrorsHideSecrets(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		env    []string
		secret string
	}{
		{"short server secret", "[server]\nsecret = \"leak-srv-1\"\n", nil, "leak-srv-1"},
		{"short secret from the environment", "", []string{"LOOPBOT_SERVER_SECRET=leak-env-2"}, "leak-env-2"},
		{"bad aes key", "[wecom]\nencoding_aes_key = \"leak-aes-3\"\n", nil, "leak-aes-3"},
		{"misspelt secret key", "[feishu]\napp_secrt = \"leak-typo-4\"\n", nil, "leak-typo-4"},
		{"secret of the wrong type", "[feishu]\napp_secret = 5150515\n", nil, "5150515"},
		{"unquoted secret", "[feishu]\napp_secret = leakbareone\n", nil, "leakbareone"},
		{"unquoted secret in another section", "[wecom]\ntoken = xleaktwo\n", nil, "xleaktwo"},
		{"unquoted value of a misspelt secret key", "[feishu]\napp_secrt = leakbarethree\n", nil, "leakbarethree"},
		{"secret that looks like a number", "[dingtalk]\nclient_secret = 9.8.7.6\n", nil, "9.8.7.6"},
		{"number-like value of a misspelt key", "[dingtalk]\nclient_secrt = 9.8.7.5\n", nil, "9.8.7.5"},
		{"secret in a list", "[wecom]\nsecret = [\"leak-list-7\"]\n", nil, "leak-list-7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.text), tt.env)
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); strings.Contains(msg, tt.secret) || strings.Contains(msg, "'"+tt.secret[:1]+"'") {
				t.Errorf("error shows the secret %q:\n%s", tt.secret, msg)
			}
		})
	}
}

func TestLayoutLines(t *testing.T) {
	text := `top = 1
[a]
b = "x" # [c]
"quoted.key" = 2
s = '''
[d]
'''
arr = [
  [1, 2],
  { x = 1 },
]
after = 3
[[p.q]]
id = 1
[[p.q]]
id = 2
[p.q.sub]
k = 1
`
	_, lay, perr := readLayout([]byte(text))
	if perr != nil {
		t.Fatal(perr)
	}
	lines := lay.lines
	want := map[string]int{
		"top": 1, "a": 2, "a.b": 3, "a.quoted.key": 4, "a.s": 5, "a.arr": 8, "a.after": 12,
		"p.q": 13, "p.q[0]": 13, "p.q[0].id": 14, "p.q[1]": 15, "p.q[1].id": 16,
		"p.q[1].sub": 17, "p.q[1].sub.k": 18,
	}
	for k, n := range want {
		if lines[k] != n {
			t.Errorf("line of %s = %d, want %d", k, lines[k], n)
		}
	}
	if _, ok := lines["d"]; ok {
		t.Error("a header inside a multi-line string was read as a table")
	}
	if got := lineOf(lines, "p.q[1].sub.missing"); got != 17 {
		t.Errorf("line of a missing key = %d, want its table's 17", got)
	}
}
