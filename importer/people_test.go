package importer

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/loopbot/loopbot/bot"
)

// TestParsePeopleHeaders: zh and en headers, with or without a BOM, in
// UTF-8 or GBK, read to the same rows; unknown columns are listed.
func TestParsePeopleHeaders(t *testing.T) {
	want := []PersonRow{
		{Row: 2, ID: "feishu:ou_wang", Name: "王伟", Department: "研发部", Email: "wang@example.com", Mobile: "+8613800138000"},
		{Row: 3, ID: "wecom:lina", Name: "李娜", Department: "研发部", Manager: "王伟", Mobile: "13900139000"},
	}
	zh := "工号,姓名,部门,直属上级,邮箱,手机,备注\nfeishu:ou_wang,王伟,研发部,,wang@example.com,+86 138-0013-8000,x\nwecom:lina,李娜, 研发部 ,王伟,,139 0013 9000,\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(zh)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"zh":     zh,
		"zh bom": "\xEF\xBB\xBF" + zh,
		"gbk":    gbk,
		"en":     "User ID,Name,Department,Manager,E-mail,Mobile Phone,Note\nfeishu:ou_wang,王伟,研发部,,wang@example.com,+86 138-0013-8000,x\nwecom:lina,李娜,研发部,王伟,,13900139000,\n",
		"mixed":  "ID,姓名,所属部门,上级,Email,手机号码,备注\r\nFEISHU:ou_wang,王伟,研发部,,wang@example.com,+86 138-0013-8000,\r\nwecom:lina,李娜,研发部,王伟,,13900139000,\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			tab, err := DecodeCSV([]byte(data))
			if err != nil {
				t.Fatal(err)
			}
			p := ParsePeople(tab, PeopleOptions{})
			if len(p.Problems) != 0 || !reflect.DeepEqual(p.Rows, want) {
				t.Fatalf("problems %v\nrows %+v\nwant %+v", p.Problems, p.Rows, want)
			}
			if len(p.Ignored) != 1 {
				t.Errorf("ignored %q, want the note column", p.Ignored)
			}
		})
	}
}

// TestParsePeopleProblems: each problem names its row and column.
func TestParsePeopleProblems(t *testing.T) {
	cases := []struct {
		name, file, platform string
		want                 []string
	}{
		{"no id column", "姓名,部门\n王伟,研发部\n", "",
			[]string{`row 1, column id: the required column is missing; name it id, 工号 or 用户ID (the headers are: "姓名", "部门")`}},
		{"bare id", "工号,姓名\nou_wang,王伟\n", "",
			[]string{`row 2, column 工号 (id): "ou_wang" names no platform; write feishu:ou_wang, dingtalk:ou_wang, wecom:ou_wang or playground:ou_wang, or give -platform`}},
		{"empty id", "工号,姓名\n,王伟\n", "wecom",
			[]string{`row 2, column 工号 (id): is empty; every person needs an id, such as feishu:ou_xxx, dingtalk:0123, wecom:zhangsan`}},
		{"duplicate", "工号,姓名\nwang,王伟\nwecom:wang,王伟\n", "wecom",
			[]string{`row 3, column 工号 (id): "wecom:wang" is also the id of row 2; each person needs one row`}},
		{"bad cells", "id,email,mobile,manager\nwang,wang@,13800138000x,\"a,b\"\n", "wecom",
			[]string{`row 2, column email: "wang@" is not an email address`,
				`row 2, column mobile: "13800138000x" is not a phone number; write digits, such as 13800138000 or +86 138 0013 8000`,
				`row 2, column manager: "a,b" names several people; a person has one direct manager`}},
		{"two id columns", "工号,用户ID\n1,2\n", "wecom",
			[]string{`row 1, column 用户ID (id): a second id column (the first is "工号"); keep one`}},
		{"header only", "id,name\n", "wecom", []string{`row 1: the file has a header but no people`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab, err := DecodeCSV([]byte(c.file))
			if err != nil {
				t.Fatal(err)
			}
			p := ParsePeople(tab, PeopleOptions{Platform: c.platform})
			var got []string
			for _, pr := range p.Problems {
				got = append(got, pr.String())
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("problems\n%q\nwant\n%q", got, c.want)
			}
		})
	}
	// A bare id takes -platform; an id whose prefix is no platform is bare.
	tab, _ := DecodeCSV([]byte("id\nzhangsan\nwecom:lisi\nabc:def\n"))
	p := ParsePeople(tab, PeopleOptions{Platform: bot.DingTalk})
	var ids []bot.PersonID
	for _, r := range p.Rows {
		ids = append(ids, r.ID)
	}
	if want := []bot.PersonID{"dingtalk:zhangsan", "wecom:lisi", "dingtalk:abc:def"}; !reflect.DeepEqual(ids, want) || len(p.Problems) > 0 {
		t.Errorf("ids %q, want %q (problems %v)", ids, want, p.Problems)
	}
}

// FuzzParsePeople: any bytes decode and parse into rows with valid ids and
// UTF-8 cells, or problems that all say something, without a panic.
func FuzzParsePeople(f *testing.F) {
	for _, s := range []string{
		"工号,姓名,部门,直属上级,邮箱,手机\nou_1,王伟,研发部,,w@example.com,+86 138-0013-8000\n",
		"\xEF\xBB\xBFid,name,manager\nwecom:a,A,b\nwecom:b,B,\n", "id\n\n\n", "id,id\n1,2\n", "\"id\nx",
		"id;name\nfeishu:;x\n", "\xb9\xa4\xba\xc5,\xd0\xd5\xc3\xfb\n1,a\n", // GBK 工号,姓名
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "wecom")
	}
	f.Fuzz(func(t *testing.T, data []byte, platform string) {
		tab, err := DecodeCSV(data)
		if err != nil {
			return
		}
		p := ParsePeople(tab, PeopleOptions{Platform: platform})
		for _, pr := range p.Problems {
			if pr.Message == "" {
				t.Fatalf("problem without a message: %+v", pr)
			}
		}
		for _, r := range p.Rows {
			if !bot.KnownPlatform(r.ID.Platform()) || r.ID.Local() == "" || strings.ContainsAny(string(r.ID), " \t\n") {
				t.Fatalf("row %d has id %q", r.Row, r.ID)
			}
			for _, s := range []string{r.Name, r.Department, r.Manager, r.Email, r.Mobile} {
				if !utf8.ValidString(s) {
					t.Fatalf("cell %q is not UTF-8", s)
				}
			}
		}
	})
}
