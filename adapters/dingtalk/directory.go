package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// The contact API of the older server API (topapi), under Config.OAPIHost,
// with the internal app's access token as ?access_token=:
//   - pathUserGet is 查询用户详情 (open.dingtalk.com/document/orgapp/
//     query-user-details): POST {"userid","language"} → {"errcode":0,
//     "result":{"userid","name","email","org_email","mobile",
//     "dept_id_list":[…],"manager_userid",…}}. It needs the 成员信息读权限
//     (qyapi_get_member); email and mobile need their own field permissions
//     and are left out without them.
//   - pathDeptGet is 获取部门详情 (query-department-details0-v2): POST
//     {"dept_id","language"} → {"errcode":0,"result":{"dept_id","name",…}}.
const (
	pathUserGet = "/topapi/v2/user/get"
	pathDeptGet = "/topapi/v2/department/get"
)

// permContact names the permission the directory needs, as the developer
// console shows it.
const permContact = "the contact read permission 成员信息读权限 (qyapi_get_member) and the app's contact scope (通讯录权限范围)"

// topForbidden are topapi errcodes of a permission the app lacks: 88 (no
// permission for the API; sub_code says which), 60011 (管理员权限不足),
// 60020 (the server's IP is not in the app's allow-list), 50001/50002 (the
// person is outside the app's contact scope), 50004 (the department is).
var topForbidden = map[int]bool{88: true, 60011: true, 60020: true, 50001: true, 50002: true, 50004: true}

// topNotFound are topapi errcodes of an id that names nobody: 60121 (找不到该
// 用户), 33012 (无效的 userid), 60003 (部门不存在).
var topNotFound = map[int]bool{60121: true, 33012: true, 60003: true}

// topUser is the part of 查询用户详情's result the directory reads.
type topUser struct {
	Name     string  `json:"name"`
	Email    string  `json:"email"`
	OrgEmail string  `json:"org_email"`
	Mobile   string  `json:"mobile"`
	Depts    []int64 `json:"dept_id_list"`
	Manager  string  `json:"manager_userid"`
}

// topAnswer is a topapi answer: errcode, errmsg (and for errcode 88 the
// sub_code naming the reason), and the result.
type topAnswer struct {
	Code    int             `json:"errcode"`
	Message string          `json:"errmsg"`
	SubCode json.RawMessage `json:"sub_code"`
	SubMsg  string          `json:"sub_msg"`
	Result  json.RawMessage `json:"result"`
}

// decodeTop reads a topapi answer; a non-zero errcode is a *TopAPIError.
func decodeTop(body []byte) (json.RawMessage, error) {
	var a topAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("the answer is not JSON: %w", err)
	}
	if a.Code != 0 {
		msg := a.Message
		if a.SubMsg != "" {
			sub := strings.Trim(string(a.SubCode), `"`)
			msg += " (" + sub + " " + a.SubMsg + ")"
		}
		return nil, &TopAPIError{Code: a.Code, Message: oneLine(msg)}
	}
	return a.Result, nil
}

// decodeUser reads 查询用户详情's result; missing fields are "".
func decodeUser(result json.RawMessage) (topUser, error) {
	var u topUser
	if len(result) == 0 || string(result) == "null" {
		return u, errors.New("the answer has no result")
	}
	if err := json.Unmarshal(result, &u); err != nil {
		return topUser{}, fmt.Errorf("decode the user: %w", err)
	}
	return u, nil
}

// topCall POSTs a JSON body to a topapi path with the access token and
// returns the result; a refused token is fetched again once. Errors are
// *TopAPIError for DingTalk's refusals, *APIError for an HTTP failure, or
// transport errors (without the URL, which holds the token).
func (c *apiClient) topCall(ctx context.Context, path string, in any) (json.RawMessage, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		res, err := c.topOnce(ctx, path, tok, raw)
		var te *TopAPIError
		if try == 0 && errors.As(err, &te) && te.tokenRefused() {
			c.forget()
			continue
		}
		return res, err
	}
}

func (c *apiClient) topOnce(ctx context.Context, path, token string, raw []byte) (json.RawMessage, error) {
	u := c.oapi + path + "?access_token=" + url.QueryEscape(token)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		return nil, errors.New("bad oapi_host")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{Status: resp.StatusCode, Code: "HTTP", Message: oneLine(string(body))}
	}
	return decodeTop(body)
}

// LookUp implements bot.Directory with 查询用户详情 (POST
// {oapi_host}/topapi/v2/user/get) and, for the name of the person's first
// department, 获取部门详情 (kept for a day). The manager is manager_userid;
// the email is org_email, else email. Errors: EFORBIDDEN for errcode 88,
// 60011, 60020, 50001, 50002 or 50004 (the permission or the contact scope
// is missing), ENOTFOUND for 60121 or 33012, else the transport or
// platform error.
func (a *Adapter) LookUp(ctx context.Context, userID string) (bot.DirectoryEntry, error) {
	if userID == "" {
		return bot.DirectoryEntry{}, bot.Errorf(bot.ENOTFOUND, "dingtalk: no userid to look up")
	}
	res, err := a.api.topCall(ctx, pathUserGet, map[string]string{"userid": userID, "language": "zh_CN"})
	if err != nil {
		return bot.DirectoryEntry{}, directoryError("user/get", err)
	}
	u, err := decodeUser(res)
	if err != nil {
		return bot.DirectoryEntry{}, fmt.Errorf("dingtalk: user/get: %w", err)
	}
	e := bot.DirectoryEntry{Name: strings.TrimSpace(u.Name), Email: strings.TrimSpace(u.OrgEmail),
		Mobile: strings.TrimSpace(u.Mobile), Manager: strings.TrimSpace(u.Manager)}
	if e.Email == "" {
		e.Email = strings.TrimSpace(u.Email)
	}
	if e.Manager == userID {
		e.Manager = ""
	}
	if len(u.Depts) > 0 {
		e.Department = a.departmentName(ctx, u.Depts[0])
	}
	return e, nil
}

// departmentName returns a department's name, "" when it cannot be read.
func (a *Adapter) departmentName(ctx context.Context, id int64) string {
	key := strconv.FormatInt(id, 10)
	now := a.api.now()
	if name, ok := a.depts.Get(key, now); ok {
		return name
	}
	res, err := a.api.topCall(ctx, pathDeptGet, map[string]any{"dept_id": id, "language": "zh_CN"})
	if err != nil {
		if c := bot.ErrorCode(directoryError("department/get", err)); c == bot.EFORBIDDEN || c == bot.ENOTFOUND {
			a.depts.Put(key, "", now)
		}
		return ""
	}
	var d struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(res, &d) != nil {
		return ""
	}
	name := strings.TrimSpace(d.Name)
	a.depts.Put(key, name, now)
	return name
}

// directoryError turns a refusal into EFORBIDDEN (naming the permission)
// or ENOTFOUND; other errors are wrapped.
func directoryError(op string, err error) error {
	var te *TopAPIError
	var ae *APIError
	switch {
	case errors.As(err, &te) && topForbidden[te.Code]:
		return &bot.Error{Code: bot.EFORBIDDEN, Message: fmt.Sprintf("dingtalk: %s refused (errcode %d: %s); grant %s", op, te.Code, te.Message, permContact)}
	case errors.As(err, &te) && topNotFound[te.Code]:
		return bot.Errorf(bot.ENOTFOUND, "dingtalk: %s: no such person or department (errcode %d)", op, te.Code)
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		return &bot.Error{Code: bot.EFORBIDDEN, Message: fmt.Sprintf("dingtalk: %s refused (HTTP 403); grant %s", op, permContact)}
	}
	return fmt.Errorf("dingtalk: %s: %w", op, err)
}
