package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/flows"
)

// peopleConfig enables Feishu (never reached: the import sends nothing)
// beside the playground people of testConfig.
var peopleConfig = strings.Replace(strings.Replace(testConfig, "[store]", "secret = \"people-secret-0123456789\"\n[store]", 1), "[playground]", `[feishu]
enabled = true
mode = "webhook"
app_id = "cli_people"
app_secret = "app-secret-people"
encrypt_key = "encrypt-key-people"
verification_token = "verify-token-people"
base_url = "http://127.0.0.1:1"
[playground]`, 1)

// peopleFile is an HR export with Chinese headers and a BOM: managers by
// name, by email, by a bare id, and one that matches nobody.
const peopleFile = "\ufeff工号,姓名,部门,直属上级,邮箱,手机,备注\n" +
	"ou_wang,王伟,研发部,,wang@example.com,+86 138-0013-8000,\n" +
	"ou_li,李娜,研发部,王伟,li@example.com,13900139000,\n" +
	"ou_zhao,赵强,测试部,li@example.com,,,\n" +
	"ou_sun,孙丽,测试部,Nobody,,,\n" +
	"playground:carol,,质量部,ou_wang,,,\n"

func (ta *testApp) postPeople(query, contentType string, body []byte) (int, apiPeopleJSON) {
	ta.tb.Helper()
	req, _ := http.NewRequest("POST", ta.base+"/api/v1/people/import?"+query, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer test-token")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out apiPeopleJSON
	if err := json.Unmarshal(raw, &out); err != nil {
		ta.tb.Fatalf("answer %q: %v", raw, err)
	}
	return resp.StatusCode, out
}

// people returns what the store keeps of some people: id, name,
// department, manager, email, mobile.
func (ta *testApp) people(ids ...bot.PersonID) []string {
	ta.tb.Helper()
	var out []string
	err := ta.app.store.View(context.Background(), func(tx bot.Tx) error {
		for _, id := range ids {
			p, err := tx.Person(id)
			if bot.ErrorCode(err) == bot.ENOTFOUND {
				out = append(out, string(id)+" unknown")
				continue
			} else if err != nil {
				return err
			}
			out = append(out, strings.Join([]string{string(p.ID), p.Name, p.Department, string(p.Manager), p.Email, p.Mobile}, " "))
		}
		return nil
	})
	if err != nil {
		ta.tb.Fatal(err)
	}
	return out
}

var importedPeople = []bot.PersonID{"feishu:ou_wang", "feishu:ou_li", "feishu:ou_zhao", "feishu:ou_sun", "playground:carol"}

var wantPeople = []string{
	"feishu:ou_wang 王伟 研发部  wang@example.com +8613800138000",
	"feishu:ou_li 李娜 研发部 feishu:ou_wang li@example.com 13900139000",
	"feishu:ou_zhao 赵强 测试部 feishu:ou_li  ",
	"feishu:ou_sun 孙丽 测试部   ",
	"playground:carol Carol 质量部 feishu:ou_wang  ",
}

// TestPeopleImportAPI: a dry run says what would change per person and
// writes nothing; apply writes it; the same file again changes nothing.
// Managers are found by name, email and id, one matching nobody is a
// warning. The file may be UTF-8 with a BOM, GBK, or XLSX.
func TestPeopleImportAPI(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(strings.TrimPrefix(peopleFile, "\ufeff"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"utf-8 bom": []byte(peopleFile), "gbk": []byte(gbk), "xlsx": planXLSX(t, []byte(peopleFile))} {
		t.Run(name, func(t *testing.T) {
			ta := startApp(t, peopleConfig, "")
			before := ta.people(importedPeople...)
			code, dry := ta.postPeople("platform=feishu", "", body)
			if code != 200 || dry.Applied || dry.Changed != 5 || len(dry.People) != 5 || len(dry.Problems) != 0 {
				t.Fatalf("dry run: %d %+v", code, dry)
			}
			if w := dry.Warnings; len(w) != 1 || w[0].Row != 5 || !strings.Contains(w[0].Message, `"Nobody" matches no row's id, name or email`) {
				t.Errorf("warnings %+v", w)
			}
			carol := dry.People[4]
			if carol.New || !reflect.DeepEqual(carol.Changes, []flows.FieldChange{{Field: "department", New: "质量部"},
				{Field: "manager", Old: "playground:alice", New: "feishu:ou_wang"}}) {
				t.Errorf("carol: %+v", carol)
			}
			if !dry.People[0].New || len(dry.People[0].Changes) != 4 {
				t.Errorf("wang: %+v", dry.People[0])
			}
			if got := ta.people(importedPeople...); !reflect.DeepEqual(got, before) {
				t.Fatalf("the dry run wrote: %q", got)
			}
			code, done := ta.postPeople("platform=feishu&apply=true", "", body)
			if code != 201 || !done.Applied || done.Changed != 5 {
				t.Fatalf("apply: %d %+v", code, done)
			}
			if got := ta.people(importedPeople...); !reflect.DeepEqual(got, wantPeople) {
				t.Errorf("people:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantPeople, "\n"))
			}
			if code, again := ta.postPeople("platform=feishu", "", body); code != 200 || again.Changed != 0 {
				t.Errorf("the same file again: %d, %d changes", code, again.Changed)
			}
		})
	}
}

// TestPeopleImportProblems: a problem anywhere writes nothing.
func TestPeopleImportProblems(t *testing.T) {
	ta := startApp(t, peopleConfig, "")
	cases := []struct {
		name, query, file string
		want              []string
	}{
		{"no platform", "", "工号,姓名\nou_wang,王伟\n",
			[]string{`row 2, column 工号 (id): "ou_wang" names no platform; write feishu:ou_wang, dingtalk:ou_wang, wecom:ou_wang or playground:ou_wang, or give -platform`}},
		{"platform off", "", "id,name\nfeishu:ou_wang,王伟\ndingtalk:0123,李娜\n",
			[]string{`row 3, column id: "dingtalk:0123" is on dingtalk, which is not enabled in this deployment`}},
		{"unknown playground person", "platform=playground", "id,name\nzed,Zed\n",
			[]string{`row 2, column id: "playground:zed" is not a playground person; they are listed in [[playground.people]]`}},
		{"bad email", "platform=feishu", "id,email\nou_wang,wang-at-example\n",
			[]string{`row 2, column email: "wang-at-example" is not an email address`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, apply := range []string{"", "&apply=true"} {
				code, out := ta.postPeople(c.query+apply, "text/csv", []byte(c.file))
				var got []string
				for _, p := range out.Problems {
					got = append(got, p.String())
				}
				if code != 422 || out.Error == nil || out.Applied || !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s: %d %+v\nproblems %q\nwant     %q", c.query+apply, code, out.Error, got, c.want)
				}
			}
			if got := ta.people("feishu:ou_wang"); got[0] != "feishu:ou_wang unknown" {
				t.Errorf("written: %q", got)
			}
		})
	}
	if code, _ := ta.postPeople("platform=slack", "text/csv", []byte("id\nx\n")); code != 400 {
		t.Errorf("platform=slack: %d, want 400", code)
	}
}

// TestPeopleImportCommand: loopbot people import, offline: a dry run, then
// -apply, and a database in use is refused.
func TestPeopleImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "loopbot.db")
	cfg := filepath.Join(dir, "config.toml")
	writeFile(t, cfg, strings.ReplaceAll(peopleConfig, "%DB%", filepath.ToSlash(db)))
	file := filepath.Join(dir, "people.csv")
	writeFile(t, file, peopleFile)
	ta := startApp(t, peopleConfig, db)
	ta.stop()
	run := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := Run(context.Background(), append([]string{"people", "import"}, args...), nil, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}
	out, _, err := run("-config", cfg, file)
	if err == nil || !strings.Contains(out, `row 2, column 工号 (id): "ou_wang" names no platform`) || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("without -platform: %v\n%s", err, out)
	}
	out, _, err = run("-config", cfg, "-platform", "feishu", file)
	for _, want := range []string{"people.csv (CSV): 5 person(s)", "Ignored columns: 备注",
		`row 5, column 直属上级 (manager): "Nobody" matches no row's id`,
		"Dry run: 5 person(s) would change, 4 of them new to the bot; 0 unchanged. Nothing was written",
		"feishu:ou_li      new; name: 李娜; department: 研发部; manager: feishu:ou_wang; email: li@example.com; mobile: 13900139000",
		"playground:carol  department: 质量部; manager: playground:alice → feishu:ou_wang"} {
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("dry run: %v; want %q in\n%s", err, want, out)
		}
	}
	// Flags may follow the file.
	out, _, err = run("-config", cfg, file, "-platform", "feishu", "-apply")
	if err != nil || !strings.Contains(out, "Imported: 5 person(s) changed, 4 of them new to the bot; 0 unchanged.") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if _, stderr, err := run("-config", cfg); err == nil || !strings.Contains(stderr, "give one file") {
		t.Fatalf("no file: %v %q", err, stderr)
	}
	if _, stderr, err := run("-config", cfg, "-platform", "slack", file); err == nil || !strings.Contains(stderr, `-platform "slack"`) {
		t.Fatalf("bad platform: %v %q", err, stderr)
	}
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"people", "export"}, nil, &stdout, &stderr); err == nil || !strings.Contains(stderr.String(), "the subcommand is import") {
		t.Fatalf("people export: %v %q", err, stderr.String())
	}
	// [[playground.people]] fills a playground person at every start, so
	// carol's manager is the config's again.
	ta = startApp(t, peopleConfig, db)
	want := append(slices.Clone(wantPeople[:4]), "playground:carol Carol 质量部 playground:alice  ")
	if got := ta.people(importedPeople...); !reflect.DeepEqual(got, want) {
		t.Errorf("people:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, _, err := run("-config", cfg, "-platform", "feishu", file); err == nil || !strings.Contains(err.Error(), "in use by a running loopbot") {
		t.Fatalf("database in use: %v", err)
	}
}

// TestPeopleImportLinkedIdentity: a row naming a linked identity fills its
// person, and a manager given by a linked identity is that person.
func TestPeopleImportLinkedIdentity(t *testing.T) {
	ta := startApp(t, peopleConfig, "")
	if got := ta.reply("alice", "dm", "/link @carol feishu:ou_carol"); !strings.Contains(got, "feishu:ou_carol") {
		t.Fatalf("/link @carol: %q", got)
	}
	ta.reply("alice", "dm", "/link @bob feishu:ou_bob")
	file := "id,部门,直属上级\nfeishu:ou_carol,质量部,feishu:ou_bob\n"
	code, out := ta.postPeople("apply=true", "text/csv", []byte(file))
	if code != 201 || len(out.People) != 1 || out.People[0].ID != "playground:carol" || out.People[0].New {
		t.Fatalf("apply: %d %+v", code, out)
	}
	if got := ta.people("playground:carol"); got[0] != "playground:carol Carol 质量部 playground:bob  " {
		t.Errorf("carol: %q", got)
	}
}
