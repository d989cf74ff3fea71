package command

import (
	"reflect"
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// want is the part of a Command that a parse test checks.
type want struct {
	name, sub string
	args      []string
	kv        map[string]string
	mentions  []string
}

// kv builds a map from alternating keys and values.
func kv(pairs ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

// args returns its arguments as a slice, to keep the table short.
func args(a ...string) []string { return a }

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, text string
		want       want
	}{
		{"task new en", `/task new "Fix login" @bob due:fri project:P1 after:T1,T2 parent:T3 prio:high est:3d`,
			want{"task", "new", args("Fix login"), kv("due", "fri", "project", "P1", "after", "T1,T2",
				"parent", "T3", "prio", "high", "est", "3d"), args("bob")}},
		{"task new zh", `/任务 新建 “修复登录” @bob 截止:周五 项目:P1 依赖:T1,T2 父任务:T3 优先级:high 估时:3d`,
			want{"task", "new", args("修复登录"), kv("due", "周五", "project", "P1", "after", "T1,T2",
				"parent", "T3", "prio", "high", "est", "3d"), args("bob")}},
		{"full-width colon", "/任务 新建 修复登录 @bob 截止：周五 前置：T1，T2",
			want{"task", "new", args("修复登录"), kv("due", "周五", "after", "T1，T2"), args("bob")}},
		{"zh key aliases", "/任务 新建 x @bob 到期:明天 工期:2d",
			want{"task", "new", args("x"), kv("due", "明天", "est", "2d"), args("bob")}},
		{"key in any case and width", "/task new x @bob DUE:fri ｐｒｉｏ:low",
			want{"task", "new", args("x"), kv("due", "fri", "prio", "low"), args("bob")}},
		{"glued zh subcommand", "/任务新建 修复登录 @bob",
			want{"task", "new", args("修复登录"), kv(), args("bob")}},
		{"glued zh title and mention", "/任务新建「修复登录」@bob 截止:周五",
			want{"task", "new", args("修复登录"), kv("due", "周五"), args("bob")}},
		{"corner quotes keep spaces", "/task new 「修复 登录」 @bob",
			want{"task", "new", args("修复 登录"), kv(), args("bob")}},
		{"single quotes", "/task new 'Fix the login' @bob",
			want{"task", "new", args("Fix the login"), kv(), args("bob")}},
		{"mixed curly and straight quotes", "/task new “Fix the login\" @bob",
			want{"task", "new", args("Fix the login"), kv(), args("bob")}},
		{"quoted key:value stays positional", `/task new "due:fri" @bob`,
			want{"task", "new", args("due:fri"), kv(), args("bob")}},
		{"quoted value", `/task new x @bob due:"next mon"`,
			want{"task", "new", args("x"), kv("due", "next mon"), args("bob")}},
		{"apostrophe inside a word", "/block T3 can't deploy",
			want{"block", "", args("T3", "can't", "deploy"), kv(), nil}},
		{"unknown keys stay positional", "/block T3 see https://example.com/a:b Fix: bug",
			want{"block", "", args("T3", "see", "https://example.com/a:b", "Fix:", "bug"), kv(), nil}},
		{"value with a colon", "/export P1 from:2026-01-01T09:00",
			want{"export", "", args("P1"), kv("from", "2026-01-01T09:00"), nil}},
		{"platform mention", "/reassign T3 @feishu:ou_123",
			want{"reassign", "", args("T3"), kv(), args("feishu:ou_123")}},
		{"mentions with punctuation", "/project members P1 add @a，@b、@c.",
			want{"project", "members", args("P1", "add"), kv(), args("a", "b", "c")}},
		{"mention glued after chinese", "/指派 修复登录@bob 明天",
			want{"assign", "", args("修复登录", "明天"), kv(), args("bob")}},
		{"title glued after a mention", "/task new @bob“修复登录” @o’brien",
			want{"task", "new", args("修复登录"), kv(), args("bob", "o’brien")}},
		{"email is not a mention", "/block T3 mail bob@example.com",
			want{"block", "", args("T3", "mail", "bob@example.com"), kv(), nil}},
		{"lone at sign is positional", "/block T3 @ vendor",
			want{"block", "", args("T3", "@", "vendor"), kv(), nil}},
		{"members remove zh", "/项目 成员 P1 移除 @a @b",
			want{"project", "members", args("P1", "remove"), kv(), args("a", "b")}},
		{"members add zh", "/project members P1 添加 @a",
			want{"project", "members", args("P1", "add"), kv(), args("a")}},
		{"project new zh", "/项目 新建 Alpha 验收:off 截止:2026-11-28",
			want{"project", "new", args("Alpha"), kv("acceptance", "off", "due", "2026-11-28"), nil}},
		{"project list", "/项目 列表", want{"project", "list", nil, kv(), nil}},
		{"project bind", "/project bind P2", want{"project", "bind", args("P2"), kv(), nil}},
		{"project close", "/项目 关闭 p2", want{"project", "close", args("p2"), kv(), nil}},
		{"task show zh", "/任务 查看 #12", want{"task", "show", args("#12"), kv(), nil}},
		{"tasks glued", "/任务列表mine", want{"tasks", "", args("mine"), kv(), nil}},
		{"tasks of a person", "/tasks @bob", want{"tasks", "", nil, kv(), args("bob")}},
		{"assign", "/assign @bob 修复登录 明天", want{"assign", "", args("修复登录", "明天"), kv(), args("bob")}},
		{"progress with note", "/进度 T3 80 快好了", want{"progress", "", args("T3", "80", "快好了"), kv(), nil}},
		{"done", "/完成 T3", want{"done", "", args("T3"), kv(), nil}},
		{"unblock zh", "/解除阻塞 T3", want{"unblock", "", args("T3"), kv(), nil}},
		{"due parses though not available", "/延期 T3 周五 供应商延迟",
			want{"due", "", args("T3", "周五", "供应商延迟"), kv(), nil}},
		{"cancel", "/cancel T3 duplicate", want{"cancel", "", args("T3", "duplicate"), kv(), nil}},
		{"checkin", "/打卡", want{"checkin", "", nil, kv(), nil}},
		{"leave", "/leave 2026-10-01..2026-10-07", want{"leave", "", args("2026-10-01..2026-10-07"), kv(), nil}},
		{"export zh", "/导出 P1 csv 开始:2026-01-01 到:2026-03-31",
			want{"export", "", args("P1", "csv"), kv("from", "2026-01-01", "to", "2026-03-31"), nil}},
		{"role", "/角色 @bob manager", want{"role", "", args("manager"), kv(), args("bob")}},
		{"holiday add", "/节假日 添加 2026-10-01..2026-10-07 国庆",
			want{"holiday", "add", args("2026-10-01..2026-10-07", "国庆"), kv(), nil}},
		{"holiday remove alias", "/节假日 移除 2026-10-01", want{"holiday", "remove", args("2026-10-01"), kv(), nil}},
		{"workday remove", "/workday remove 2026-10-10", want{"workday", "remove", args("2026-10-10"), kv(), nil}},
		{"settings checkin", "/settings checkin 09:30", want{"settings", "checkin", args("09:30"), kv(), nil}},
		{"settings glued zh", "/设置语言 en", want{"settings", "lang", args("en"), kv(), nil}},
		{"help about a command", "/帮助 任务", want{"help", "", args("任务"), kv(), nil}},
		{"full-width slash", "／帮助", want{"help", "", nil, kv(), nil}},
		{"upper case", "/TASK NEW x @bob", want{"task", "new", args("x"), kv(), args("bob")}},
		{"full-width letters", "/ｈｅｌｐ", want{"help", "", nil, kv(), nil}},
		{"surrounding and zero-width space", " \u200b /done\u200b T3 \n", want{"done", "", args("T3"), kv(), nil}},
		{"lines and tabs", "/block T3 one\r\ntwo\tthree", want{"block", "", args("T3", "one", "two", "three"), kv(), nil}},
		{"quoted text keeps lines", "/block T3 \"one\ntwo\"", want{"block", "", args("T3", "one\ntwo"), kv(), nil}},
		{"empty quotes are an empty arg", `/task new "" @bob`, want{"task", "new", args(""), kv(), args("bob")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text, "en")
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			checkCommand(t, got, tt.want)
		})
	}
}

// checkCommand compares the parts of got that w describes.
func checkCommand(t *testing.T, got Command, w want) {
	t.Helper()
	if got.Name != w.name || got.Sub != w.sub {
		t.Errorf("command = %q %q, want %q %q", got.Name, got.Sub, w.name, w.sub)
	}
	if !sameStrings(got.Args, w.args) {
		t.Errorf("Args = %q, want %q", got.Args, w.args)
	}
	if !reflect.DeepEqual(got.KV, w.kv) {
		t.Errorf("KV = %q, want %q", got.KV, w.kv)
	}
	if !sameStrings(got.Mentions, w.mentions) {
		t.Errorf("Mentions = %q, want %q", got.Mentions, w.mentions)
	}
}

// sameStrings compares two slices, taking nil and empty as equal.
func sameStrings(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func TestParseErrors(t *testing.T) {
	long := "/block T1 " + strings.Repeat("字", MaxLength)
	tests := []struct {
		name, text, lang string
		has              []string // what the message must mention
		hasNot           []string
	}{
		{"empty", "", "en", args("empty", "/help"), nil},
		{"only spaces", " \t\u3000\n", "zh", args("空", "/帮助"), nil},
		{"no slash", "task new x", "en", args("“task new x”", "start with /", "/help"), nil},
		{"no slash zh", "你好", "zh", args("“你好”", "/帮助"), nil},
		{"slash alone", "/", "en", args("/help"), nil},
		{"unknown with suggestion", "/tsk new x", "en", args("/tsk", "/task", "/help"), nil},
		{"unknown plural suggestion", "/taks mine", "en", args("/taks", "/task"), nil},
		{"unknown zh with suggestion", "/任物 新建 x", "zh", args("/任物", "/任务", "/帮助"), nil},
		{"unknown without suggestion", "/xyzzy", "en", args("/xyzzy", "/help"), args("Did you mean")},
		{"unrelated zh is not corrected", "/你好", "zh", args("/你好", "/帮助"), args("是不是")},
		{"double slash", "//task new x", "en", args("//task", "/task"), nil},
		{"missing sub", "/task", "en", args("new, show", "/task new <title>", "/task show <T>"), nil},
		{"missing sub before mention", "/task @bob", "en", args("new, show", "/task new <title>"), nil},
		{"missing sub zh", "/项目", "zh", args("新建、绑定、列表、成员、关闭", "/项目 新建 <名称>"), nil},
		{"unknown sub", "/task foo", "en", args("“foo”", "/task show <T>"), nil},
		{"unknown sub zh", "/节假日 清空", "zh", args("“清空”", "添加、删除", "/节假日 添加 <日期>"), nil},
		{"unknown settings sub", "/settings color red", "en", args("“color”", "checkin, timezone, lang"), nil},
		{"unterminated quote", `/task new "Fix login @bob`, "en",
			args(`"`, "Fix login @bob", "/task new <title> @assignee"), nil},
		{"unterminated corner quote", "/任务 新建 「修复登录 @bob", "zh", args("」", "修复登录", "/任务 新建 <标题>"), nil},
		{"unterminated quoted value", `/task new x @bob due:"next mon`, "en", args("next mon", "/task new"), nil},
		{"duplicate key", "/task new x @bob due:fri due:mon", "en", args("due:", "fri", "mon", "/task new"), nil},
		{"duplicate key by alias", "/任务 新建 x @bob 截止:周五 到期:周一", "zh",
			args("到期:", "周五", "周一", "/任务 新建"), nil},
		{"empty value", "/task new x @bob due: fri", "en", args("due:", "due:<date>", "/task new"), nil},
		{"empty value at end zh", "/任务 新建 x @bob 截止：", "zh", args("截止:", "截止:<日期>", "/任务 新建"), nil},
		{"empty quoted value", `/export P1 from:""`, "en", args("from:", "/export [<P>]"), nil},
		{"too long", long, "en", args("2,000", "2010"), nil},
		{"too long zh", long, "zh", args("2000", "2010"), nil},
		{"bell character", "/done T3 \a", "en", args("U+0007"), nil},
		{"escape character zh", "/完成 T3 \x1b[31m", "zh", args("U+001B"), nil},
		{"C1 control", "/done T3 a\u0085b", "en", args("U+0085"), nil},
		{"invalid UTF-8", "/task new \xff\xfe @bob", "en", args("UTF-8"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.text, tt.lang)
			msg := checkInvalid(t, err)
			for _, s := range tt.has {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not mention %q", msg, s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(msg, s) {
					t.Errorf("message %q should not say %q", msg, s)
				}
			}
		})
	}
}

// checkInvalid asserts that err is an EINVALID domain error and returns its
// message.
func checkInvalid(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if code := bot.ErrorCode(err); code != bot.EINVALID {
		t.Fatalf("code = %q, want %q (%v)", code, bot.EINVALID, err)
	}
	return bot.ErrorMessage(err)
}

func TestParseLengthLimitCountsCharacters(t *testing.T) {
	prefix := "/block T1 "
	text := prefix + strings.Repeat("字", MaxLength-len(prefix))
	if _, err := Parse(text, "en"); err != nil {
		t.Fatalf("a text of exactly %d characters was refused: %v", MaxLength, err)
	}
	if _, err := Parse(text+"字", "en"); err == nil {
		t.Fatalf("a text of %d characters was accepted", MaxLength+1)
	}
}

func TestParseEnglishAndChineseAgree(t *testing.T) {
	pairs := [][2]string{
		{`/task new "Fix login" @bob due:fri after:T1 prio:high`, `/任务 新建 "Fix login" @bob 截止:fri 依赖:T1 优先级:high`},
		{"/project members P1 remove @a", "/项目 成员 P1 删除 @a"},
		{"/holiday remove 2026-10-01", "/节假日 删除 2026-10-01"},
		{"/export P1 md from:2026-01-01 to:2026-02-01", "/导出 P1 md 从:2026-01-01 结束:2026-02-01"},
	}
	for _, p := range pairs {
		en, err1 := Parse(p[0], "en")
		zh, err2 := Parse(p[1], "zh")
		if err1 != nil || err2 != nil {
			t.Fatalf("errors: %v, %v", err1, err2)
		}
		if en.Lang != "en" || zh.Lang != "zh" {
			t.Errorf("Lang = %q and %q, want en and zh", en.Lang, zh.Lang)
		}
		en.Raw, zh.Raw, en.Lang, zh.Lang = "", "", "", ""
		if !reflect.DeepEqual(en, zh) {
			t.Errorf("%q and %q differ:\n%+v\n%+v", p[0], p[1], en, zh)
		}
	}
}

func TestParseEveryCommandByBothNames(t *testing.T) {
	for _, s := range Specs() {
		for _, name := range []string{s.Name, s.Zh} {
			texts := []string{"/" + name}
			if len(s.Subs) > 0 {
				texts = nil
				for _, sub := range s.Subs {
					texts = append(texts, "/"+name+" "+sub.Name, "/"+name+" "+sub.Zh)
				}
			}
			for _, text := range texts {
				c, err := Parse(text, "zh")
				if err != nil || c.Name != s.Name {
					t.Errorf("Parse(%q) = %q, %v; want %q", text, c.Name, err, s.Name)
				}
			}
		}
	}
}

func TestParseRaw(t *testing.T) {
	c, err := Parse("  /done T3 ok\r\n", "en")
	if err != nil {
		t.Fatal(err)
	}
	if c.Raw != "/done T3 ok" {
		t.Errorf("Raw = %q", c.Raw)
	}
	if c.Rest(1) != "ok" || c.Rest(2) != "" || c.Rest(-1) != "" {
		t.Errorf("Rest = %q, %q, %q", c.Rest(1), c.Rest(2), c.Rest(-1))
	}
}

func TestIsCommand(t *testing.T) {
	tests := map[string]bool{
		"/help": true, "  /task new": true, "／帮助": true, "\u200b/done": true,
		"": false, "help": false, "hi /help": false, "\\help": false, "\xff/": false,
	}
	for text, want := range tests {
		if got := IsCommand(text); got != want {
			t.Errorf("IsCommand(%q) = %v, want %v", text, got, want)
		}
	}
}
