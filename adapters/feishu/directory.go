package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/loopbot/loopbot/bot"
)

// pathDepartment is 获取单个部门信息 (contact v3, GET
// /open-apis/contact/v3/departments/:department_id), answered with
// {"code":0,"data":{"department":{"name":…,"open_department_id":…}}}.
const pathDepartment = "/open-apis/contact/v3/departments/:department_id"

// scopeContact is the permission the directory needs, as the developer
// console names it: one of contact:contact.base:readonly,
// contact:contact:readonly_as_app or contact:contact:access_as_app, plus
// the person in the app's contact scope (通讯录权限范围).
const scopeContact = "contact:contact.base:readonly (获取通讯录基本信息) and the app's contact scope (通讯录权限范围)"

// forbiddenCodes are the answers of the contact API that mean the app may
// not read the person (contact v3 user/get and department/get error codes,
// and the generic 99991672/99991679 of a missing API scope): no retry helps
// until an admin grants the permission.
var forbiddenCodes = map[int]string{
	99991672: "the app lacks an API scope",
	99991679: "the app lacks a user permission",
	40004:    "the department is outside the app's contact scope (no dept authority)",
	41050:    "the person is outside the app's contact scope (no user authority)",
}

// notFoundCodes are contact API answers for an id that names nobody.
var notFoundCodes = map[int]bool{
	41012: true, // user id invalid
	40011: true, // department id invalid
	41001: true, // user not exist
}

// contactUser is the part of a contact v3 user that the directory reads
// (service/contact/v3 model.go User in oapi-sdk-go v3.5.4). Every field is
// returned only with its field permission (contact:user.base:readonly for
// the name, contact:user.email:readonly, contact:user.phone:readonly,
// contact:user.department:readonly, contact:user.employee:readonly for the
// leader); a missing one decodes as "".
type contactUser struct {
	Name            string   `json:"name"`
	Email           string   `json:"email"`
	EnterpriseEmail string   `json:"enterprise_email"`
	Mobile          string   `json:"mobile"`
	DepartmentIDs   []string `json:"department_ids"`
	LeaderUserID    string   `json:"leader_user_id"`
}

// decodeUser reads the data of a user/get answer: {"user": {…}}. Fields of
// the wrong type are an error; missing ones are "".
func decodeUser(data []byte) (contactUser, error) {
	var out struct {
		User contactUser `json:"user"`
	}
	if len(data) == 0 {
		return contactUser{}, errors.New("feishu: get user: the answer has no data")
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return contactUser{}, fmt.Errorf("feishu: get user: %w", err)
	}
	return out.User, nil
}

// decodeDepartment reads the name in the data of a department/get answer:
// {"department": {"name": …}}.
func decodeDepartment(data []byte) (string, error) {
	var out struct {
		Department struct {
			Name string `json:"name"`
		} `json:"department"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", fmt.Errorf("feishu: get department: %w", err)
	}
	return strings.TrimSpace(out.Department.Name), nil
}

// LookUp implements bot.Directory with contact v3 获取单个用户信息: GET
// /open-apis/contact/v3/users/:user_id?user_id_type=open_id&
// department_id_type=open_department_id, with the tenant_access_token. The
// name of the person's first department comes from 获取单个部门信息 (kept
// for a day); the manager is leader_user_id, an open_id. Errors:
// EFORBIDDEN when the app lacks the contact permission or the person is
// outside its contact scope (codes 99991672, 99991679, 40004, 41050, or
// HTTP 403), ENOTFOUND for an unknown open_id, else the transport or
// platform error.
func (a *Adapter) LookUp(ctx context.Context, openID string) (bot.DirectoryEntry, error) {
	if openID == "" {
		return bot.DirectoryEntry{}, bot.Errorf(bot.ENOTFOUND, "feishu: no open_id to look up")
	}
	q := larkcore.QueryParams{}
	q.Set("user_id_type", "open_id")
	q.Set("department_id_type", "open_department_id")
	res, err := a.api.call(ctx, "get user", &larkcore.ApiReq{HttpMethod: http.MethodGet, ApiPath: pathUser,
		PathParams: larkcore.PathParams{"user_id": openID}, QueryParams: q})
	if err != nil {
		return bot.DirectoryEntry{}, directoryError(err)
	}
	u, err := decodeUser(res.Data)
	if err != nil {
		return bot.DirectoryEntry{}, err
	}
	e := bot.DirectoryEntry{Name: strings.TrimSpace(u.Name), Email: strings.TrimSpace(cmpOr(u.EnterpriseEmail, u.Email)),
		Mobile: strings.TrimSpace(u.Mobile), Manager: strings.TrimSpace(u.LeaderUserID)}
	if e.Manager == openID {
		e.Manager = ""
	}
	if len(u.DepartmentIDs) > 0 {
		e.Department = a.departmentName(ctx, u.DepartmentIDs[0])
	}
	return e, nil
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// departmentName returns a department's name, "" when it cannot be read
// (the department is outside the contact scope, say): a missing department
// is no error.
func (a *Adapter) departmentName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	now := a.cfg.Now()
	if name, ok := a.depts.Get(id, now); ok {
		return name
	}
	q := larkcore.QueryParams{}
	q.Set("department_id_type", "open_department_id")
	res, err := a.api.call(ctx, "get department", &larkcore.ApiReq{HttpMethod: http.MethodGet, ApiPath: pathDepartment,
		PathParams: larkcore.PathParams{"department_id": id}, QueryParams: q})
	if err != nil {
		if bot.ErrorCode(directoryError(err)) != bot.EINTERNAL {
			a.depts.Put(id, "", now) // refused: do not ask again today
		}
		return ""
	}
	name, err := decodeDepartment(res.Data)
	if err != nil {
		return ""
	}
	a.depts.Put(id, name, now)
	return name
}

// directoryError turns a refusal of the contact API into EFORBIDDEN or
// ENOTFOUND; other errors pass through.
func directoryError(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	if why, ok := forbiddenCodes[ae.Code]; ok || ae.Status == http.StatusForbidden {
		if why == "" {
			why = "the contact API refused the app"
		}
		return &bot.Error{Code: bot.EFORBIDDEN, Message: fmt.Sprintf("feishu: %s (code %d); grant %s", why, ae.Code, scopeContact)}
	}
	if notFoundCodes[ae.Code] || ae.Status == http.StatusNotFound {
		return bot.Errorf(bot.ENOTFOUND, "feishu: the contact API knows no such person (code %d)", ae.Code)
	}
	return err
}
