package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// The contact API (通讯录管理) the directory reads:
//   - 读取成员 (path/90196): GET /cgi-bin/user/get?access_token=&userid= →
//     {"errcode":0,"userid","name","department":[…],"main_department",
//     "mobile","email","biz_mail","direct_leader":[…],…}. Since 2022-08-15 an
//     app made after that date gets name, mobile and email only with the
//     corresponding privilege; missing fields are unknown.
//   - 获取单个部门详情 (path/95351): GET /cgi-bin/department/get?id= →
//     {"errcode":0,"department":{"id","name",…}}.
const (
	pathUserGet = "/cgi-bin/user/get"
	pathDeptGet = "/cgi-bin/department/get"
)

// permContact names what the directory needs, as the admin console says it.
const permContact = "the app's visible range (可见范围) covering the member, and the contact read privilege (通讯录 读取成员)"

// contactForbidden are errcodes of a privilege the app lacks (全局错误码):
// 60011 (指定的成员/部门/标签参数无权限), 48002 (API接口无权限调用), 301002
// (无权限操作指定的应用), 60020 (不安全的访问IP, the server's IP is not allowed).
var contactForbidden = map[int]bool{60011: true, 48002: true, 301002: true, 60020: true}

// contactNotFound are errcodes of an id that names nobody: 60111 (UserID
// 不存在), 46004 (不存在的成员), 60123 (无效的部门id), 40031 (不合法的UserID
// 列表).
var contactNotFound = map[int]bool{60111: true, 46004: true, 60123: true, 40031: true}

// contactMember is the part of 读取成员 the directory reads.
type contactMember struct {
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	BizMail        string   `json:"biz_mail"`
	Mobile         string   `json:"mobile"`
	Department     []int64  `json:"department"`
	MainDepartment int64    `json:"main_department"`
	DirectLeader   []string `json:"direct_leader"`
}

// decodeMember reads a 读取成员 answer (errcode already checked).
func decodeMember(raw []byte) (contactMember, error) {
	var m contactMember
	if err := json.Unmarshal(raw, &m); err != nil {
		return contactMember{}, fmt.Errorf("wecom: user/get: %w", err)
	}
	return m, nil
}

// mainDepartment returns the member's main department, else the first.
func (m contactMember) mainDepartment() int64 {
	if m.MainDepartment > 0 {
		return m.MainDepartment
	}
	if len(m.Department) > 0 {
		return m.Department[0]
	}
	return 0
}

// LookUp implements bot.Directory with 读取成员, and 获取单个部门详情 for the
// name of the member's main department (kept for a day). The manager is
// the first of direct_leader; the email is biz_mail, else email. Errors:
// EFORBIDDEN for errcode 60011, 48002, 301002 or 60020, ENOTFOUND for
// 60111, 46004 or 40031, else the transport or platform error.
func (a *Adapter) LookUp(ctx context.Context, userID string) (bot.DirectoryEntry, error) {
	if userID == "" {
		return bot.DirectoryEntry{}, bot.Errorf(bot.ENOTFOUND, "wecom: no userid to look up")
	}
	var raw json.RawMessage
	if err := a.api.call(ctx, pathUserGet, url.Values{"userid": {userID}}, nil, &raw); err != nil {
		return bot.DirectoryEntry{}, directoryError("user/get", err)
	}
	m, err := decodeMember(raw)
	if err != nil {
		return bot.DirectoryEntry{}, err
	}
	e := bot.DirectoryEntry{Name: strings.TrimSpace(m.Name), Email: strings.TrimSpace(m.BizMail), Mobile: strings.TrimSpace(m.Mobile)}
	if e.Email == "" {
		e.Email = strings.TrimSpace(m.Email)
	}
	if e.Name == userID {
		// Third-party apps get the userid in place of the name.
		e.Name = ""
	}
	for _, l := range m.DirectLeader {
		if l = strings.TrimSpace(l); l != "" && l != userID {
			e.Manager = l
			break
		}
	}
	if d := m.mainDepartment(); d > 0 {
		e.Department = a.departmentName(ctx, d)
	}
	return e, nil
}

// departmentName returns a department's name, "" when it cannot be read.
func (a *Adapter) departmentName(ctx context.Context, id int64) string {
	key := strconv.FormatInt(id, 10)
	now := time.Now()
	if name, ok := a.depts.Get(key, now); ok {
		return name
	}
	var out struct {
		commonResp
		Department struct {
			Name string `json:"name"`
		} `json:"department"`
	}
	if err := a.api.call(ctx, pathDeptGet, url.Values{"id": {key}}, nil, &out); err != nil {
		if c := bot.ErrorCode(directoryError("department/get", err)); c == bot.EFORBIDDEN || c == bot.ENOTFOUND {
			a.depts.Put(key, "", now)
		}
		return ""
	}
	name := strings.TrimSpace(out.Department.Name)
	a.depts.Put(key, name, now)
	return name
}

// directoryError turns a refusal into EFORBIDDEN (naming what is missing)
// or ENOTFOUND; other errors pass through.
func directoryError(op string, err error) error {
	var ae *APIError
	var he *httpStatusError
	switch {
	case errors.As(err, &ae) && contactForbidden[ae.Code]:
		return &bot.Error{Code: bot.EFORBIDDEN, Message: fmt.Sprintf("wecom: %s refused (errcode %d: %s); grant %s", op, ae.Code, ae.Message, permContact)}
	case errors.As(err, &ae) && contactNotFound[ae.Code]:
		return bot.Errorf(bot.ENOTFOUND, "wecom: %s: no such member or department (errcode %d)", op, ae.Code)
	case errors.As(err, &he) && he.status == http.StatusForbidden:
		return &bot.Error{Code: bot.EFORBIDDEN, Message: fmt.Sprintf("wecom: %s refused (HTTP 403); grant %s", op, permContact)}
	}
	return err
}
