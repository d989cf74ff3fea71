package flows

import (
	"strings"
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// TestImportMatcher: an assignee cell names a person by platform id, bare
// id, email, full name or one word of a name, without case; nobody or
// several people is a problem that says so.
func TestImportMatcher(t *testing.T) {
	m := matcher{platforms: []string{bot.Feishu, bot.Playground}, people: []bot.Person{
		{ID: "playground:bob", Name: "李博 Bob"},
		{ID: "playground:carol", Name: "陈晨 Carol", Email: "carol@example.com"},
		{ID: "feishu:ou_1", Name: "Carol Wu"},
		{ID: "feishu:ou_2", Name: "Dave  Miller"},
		{ID: "feishu:ou_3", Name: "Eve Miller"},
		{ID: "feishu:ou_4", Name: "Zoe"},
	}}
	cases := []struct {
		in, want string
		isNew    bool
		problem  string
	}{
		{in: "playground:bob", want: "playground:bob"},
		{in: "@bob", want: "playground:bob"},
		{in: "OU_1", want: "feishu:ou_1"},
		{in: "Carol@Example.com", want: "playground:carol"},
		{in: "李博 bob", want: "playground:bob"},
		{in: "李博", want: "playground:bob"},
		{in: "dave miller", want: "feishu:ou_2"},
		{in: "feishu:ou_new", want: "feishu:ou_new", isNew: true},
		{in: "周 Zoe", want: "feishu:ou_4"},
		{in: "Carol", want: "playground:carol"}, // an id before a name
		{in: "Miller", problem: `"Miller" matches 2 people: feishu:ou_2 (Dave  Miller), feishu:ou_3 (Eve Miller); write the platform id of the one you mean`},
		{in: "Zed", problem: `"Zed" matches nobody the bot knows`},
		{in: "wecom:zed", problem: `"wecom:zed" is on wecom, which is not enabled in this deployment`},
		{in: "playground:zed", problem: `"playground:zed" is not a playground person`},
		{in: "feishu:", problem: `"feishu:" has no id after the platform`},
	}
	for _, c := range cases {
		p, isNew, msg := m.match(c.in)
		if c.problem != "" {
			if !strings.HasPrefix(msg, c.problem) {
				t.Errorf("match(%q) = %s, %q; want the problem %q", c.in, p.ID, msg, c.problem)
			}
			continue
		}
		if string(p.ID) != c.want || isNew != c.isNew || msg != "" {
			t.Errorf("match(%q) = %s, new %v, %q; want %s, new %v", c.in, p.ID, isNew, msg, c.want, c.isNew)
		}
	}
}
