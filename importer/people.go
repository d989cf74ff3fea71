package importer

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"

	"github.com/loopbot/loopbot/bot"
)

// The columns of a people file (`loopbot people import`). ID is required;
// the rest are optional, and an empty cell changes nothing.
const (
	FieldName       Field = "name"
	FieldDepartment Field = "department"
	FieldManager    Field = "manager"
	FieldEmail      Field = "email"
	FieldMobile     Field = "mobile"
)

// PeopleFields lists the columns of a people file in the order of its
// template.
var PeopleFields = []Field{FieldID, FieldName, FieldDepartment, FieldManager, FieldEmail, FieldMobile}

// peopleHeaders are the names a people column may have, in Chinese and
// English, as HR exports and the admin consoles of Feishu, DingTalk and WeCom
// write them; compared after fold.
var peopleHeaders = map[Field][]string{
	FieldID: {"id", "工号", "用户id", "userid", "user id", "员工id", "员工编号", "人员编号", "账号", "帐号", "成员id", "成员账号",
		"openid", "open id", "staffid", "employeeid", "employee id", "员工工号"},
	FieldName:       {"name", "姓名", "名字", "员工姓名", "成员姓名", "fullname", "full name", "displayname", "display name"},
	FieldDepartment: {"department", "部门", "所属部门", "部门名称", "dept", "team", "团队"},
	FieldManager: {"manager", "直属上级", "上级", "直接上级", "汇报对象", "直属主管", "主管", "领导", "直属领导", "leader",
		"supervisor", "reportsto", "reports to", "line manager"},
	FieldEmail:  {"email", "邮箱", "电子邮箱", "邮件", "邮箱地址", "企业邮箱", "mail", "e-mail", "emailaddress"},
	FieldMobile: {"mobile", "手机", "手机号", "手机号码", "移动电话", "电话", "联系电话", "phone", "mobile phone", "cellphone", "cell", "tel"},
}

// byPeopleHeader maps a folded header to its people field.
var byPeopleHeader = func() map[string]Field {
	m := map[string]Field{}
	for f, names := range peopleHeaders {
		for _, n := range names {
			m[fold(n)] = f
		}
	}
	return m
}()

// Limits of the cells of a people file.
const (
	MaxPersonName  = 100
	MaxDepartment  = 200
	maxPersonLocal = 200
)

// PersonRow is one row of a people file, read and checked.
type PersonRow struct {
	Row int // the file's row number
	// ID is the person's identity, "<platform>:<id>".
	ID         bot.PersonID
	Name       string
	Department string
	// Manager is the cell as written: a person id, or the name or email of
	// another row, or of someone the bot knows; flows resolves it.
	Manager string
	Email   string
	Mobile  string
}

// People is a decoded and checked people file.
type People struct {
	Layout
	Rows []PersonRow
}

// PeopleOptions are how ParsePeople reads ids.
type PeopleOptions struct {
	// Platform is the platform of an id written without one ("ou_x" for
	// "feishu:ou_x"); "" makes such an id a problem.
	Platform string
}

// ParsePeople reads a decoded file as people: the first row is the header,
// each other row a person. It reports every problem with its row and
// column: a missing id column, a column named twice, an id without a
// known platform, an id given twice, a name or department too long, an
// email or mobile number that does not read. Empty cells are no problem:
// missing data is never an error.
func ParsePeople(t Table, opt PeopleOptions) *People {
	p := &People{Layout: Layout{Format: t.Format, Sheet: t.Sheet}}
	if len(t.Rows) == 0 {
		p.problem(Problem{Message: "the file has no rows; the first row names the columns (id, name, department, manager, email, mobile)"})
		return p
	}
	if !p.header(t.Rows[0]) {
		return p
	}
	if len(t.Rows) == 1 {
		p.problem(Problem{Row: t.Rows[0].Num, Message: "the file has a header but no people"})
		return p
	}
	seen := map[bot.PersonID]int{}
	for _, r := range t.Rows[1:] {
		pr, ok := p.row(r, opt)
		if !ok {
			continue
		}
		if first, dup := seen[pr.ID]; dup {
			p.cell(r, FieldID, fmt.Sprintf("%s is also the id of row %d; each person needs one row", quote(string(pr.ID)), first))
			continue
		}
		seen[pr.ID] = r.Num
		p.Rows = append(p.Rows, pr)
	}
	return p
}

// header maps the header row's columns to fields.
func (p *People) header(r Row) bool {
	p.mapColumns(r, func(h string) (Field, bool) { return lookupHeader(byPeopleHeader, h) })
	if _, ok := p.col(FieldID); !ok {
		p.problem(Problem{Row: r.Num, Column: string(FieldID), Field: FieldID, Message: fmt.Sprintf(
			"the required column is missing; name it id, 工号 or 用户ID (the headers are: %s)", strings.Join(headerNames(r), ", "))})
	}
	return len(p.Problems) == 0
}

// row reads a row's cells, recording each problem; ok is false when the
// row's id cannot be read. A row with an id and nothing else is kept: it
// makes the person known.
func (p *People) row(r Row, opt PeopleOptions) (PersonRow, bool) {
	out := PersonRow{Row: r.Num, Manager: clean(p.value(r, FieldManager)), Email: clean(p.value(r, FieldEmail))}
	id, err := parsePersonID(p.value(r, FieldID), opt.Platform)
	if err != nil {
		p.cell(r, FieldID, err.Error())
	}
	out.ID = id
	if out.Name, err = parseText(p.value(r, FieldName), MaxPersonName); err != nil {
		p.cell(r, FieldName, err.Error())
	}
	if out.Department, err = parseText(p.value(r, FieldDepartment), MaxDepartment); err != nil {
		p.cell(r, FieldDepartment, err.Error())
	}
	if out.Email != "" && !validEmail(out.Email) {
		p.cell(r, FieldEmail, quote(out.Email)+" is not an email address")
	}
	if out.Mobile, err = parseMobile(p.value(r, FieldMobile)); err != nil {
		p.cell(r, FieldMobile, err.Error())
	}
	if strings.ContainsAny(out.Manager, ",;、，；") {
		p.cell(r, FieldManager, quote(out.Manager)+" names several people; a person has one direct manager")
	}
	return out, err == nil && id != ""
}

// parsePersonID reads "<platform>:<id>", or a bare id on the given
// platform. An id whose part before the first colon is no platform is
// bare (WeCom and DingTalk ids may hold colons).
func parsePersonID(s, platform string) (bot.PersonID, error) {
	s = strings.TrimPrefix(clean(s), "@")
	if s == "" {
		return "", fmt.Errorf("is empty; every person needs an id, such as feishu:ou_xxx, dingtalk:0123, wecom:zhangsan")
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%s has spaces; an id is one word, such as wecom:zhangsan", quote(s))
	}
	prefix, local, ok := strings.Cut(s, ":")
	switch {
	case ok && bot.KnownPlatform(strings.ToLower(prefix)):
		prefix = strings.ToLower(prefix)
	case platform == "" || !bot.KnownPlatform(platform):
		return "", fmt.Errorf("%s names no platform; write feishu:%s, dingtalk:%s, wecom:%s or playground:%s, or give -platform", quote(s), s, s, s, s)
	default:
		prefix, local = platform, s
	}
	if local == "" {
		return "", fmt.Errorf("%s has no id after the platform", quote(s))
	} else if len(local) > maxPersonLocal {
		return "", fmt.Errorf("%s is longer than %d bytes", quote(s), maxPersonLocal)
	}
	return bot.PersonID(prefix + ":" + local), nil
}

// validEmail reports whether s is one plain address (name@domain).
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

// parseMobile reads a mobile number as HR files write it: digits, with an
// optional leading + and country code, and spaces, hyphens or brackets
// between groups, which are dropped ("+86 138-0013-8000" reads as
// "+8613800138000"). It returns "" for an empty cell.
func parseMobile(s string) (string, error) {
	s = clean(s)
	if s == "" {
		return "", nil
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("%s is not a phone number; write digits, such as 13800138000 or +86 138 0013 8000", quote(s))
		}
	}
	digits := strings.TrimPrefix(b.String(), "+")
	if len(digits) < 5 || len(digits) > 20 {
		return "", fmt.Errorf("%s is not a phone number: it has %d digits", quote(s), len(digits))
	}
	return b.String(), nil
}
