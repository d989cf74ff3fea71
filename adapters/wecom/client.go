package wecom

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
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// DefaultAPIBase is WeCom's server API.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// WeCom errcodes the client acts on (全局错误码, path/90313).
const (
	errcodeBusy          = -1    // 系统繁忙
	errcodeInvalidSecret = 40001 // 不合法的secret参数
	errcodeInvalidToken  = 40014 // 不合法的access_token
	errcodeTokenExpired  = 42001 // access_token已过期
	errcodeNoToken       = 41001 // 缺少access_token参数
	errcodeInvalidCorpID = 40013 // 不合法的CorpID
	errcodeInvalidAgent  = 40056 // 不合法的agentid
	errcodeFreqLimit     = 45009 // 接口调用超过限制
	errcodeSendLimit     = 45033 // 接口并发调用超过限制
	errcodeAPIFreq       = 45011 // API调用太频繁
)

// APIError is an errcode/errmsg answer of the WeCom API. Its text never
// holds the access token or a webhook key.
type APIError struct {
	Path    string
	Code    int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom: %s: errcode %d: %s", e.Path, e.Code, e.Message)
}

// client calls the server API with a cached access token (获取access_token,
// path/91039), refreshed on expiry and on an invalid-token answer.
type client struct {
	base    string
	corpID  string
	secret  string
	agentID int
	http    *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

type commonResp struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// accessToken returns a valid token, fetching one when needed.
func (c *client) accessToken(ctx context.Context, refresh bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !refresh && c.token != "" && time.Now().Before(c.expires) {
		return c.token, nil
	}
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}}
	var out struct {
		commonResp
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.do(ctx, http.MethodGet, "/cgi-bin/gettoken", q, nil, &out); err != nil {
		return "", err
	}
	if out.ErrCode != 0 || out.AccessToken == "" {
		return "", &APIError{Path: "gettoken", Code: out.ErrCode, Message: out.ErrMsg}
	}
	// Refresh a few minutes early, so that a token never expires in flight.
	life := time.Duration(max(out.ExpiresIn, 600)) * time.Second
	c.token, c.expires = out.AccessToken, time.Now().Add(life-5*time.Minute)
	return c.token, nil
}

// call POSTs (or GETs, when body is nil) an API path with the access token,
// and decodes the answer into out, which must embed commonResp. A token
// answer of invalid or expired is retried once with a fresh token.
func (c *client) call(ctx context.Context, path string, q url.Values, body, out any) error {
	for attempt := 0; ; attempt++ {
		token, err := c.accessToken(ctx, attempt > 0)
		if err != nil {
			return err
		}
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("access_token", token)
		method := http.MethodPost
		if body == nil {
			method = http.MethodGet
		}
		var raw json.RawMessage
		if err := c.do(ctx, method, path, qq, body, &raw); err != nil {
			return err
		}
		var cr commonResp
		if err := json.Unmarshal(raw, &cr); err != nil {
			return fmt.Errorf("wecom: %s: the answer is not JSON", strings.TrimPrefix(path, "/cgi-bin/"))
		}
		if (cr.ErrCode == errcodeInvalidToken || cr.ErrCode == errcodeTokenExpired || cr.ErrCode == errcodeNoToken) && attempt == 0 {
			continue
		}
		if cr.ErrCode != 0 {
			return &APIError{Path: strings.TrimPrefix(path, "/cgi-bin/"), Code: cr.ErrCode, Message: cr.ErrMsg}
		}
		if out != nil {
			return json.Unmarshal(raw, out)
		}
		return nil
	}
}

// do runs one HTTP request. Errors name the path, never the query (which
// holds the secret or the token).
func (c *client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	return doJSON(ctx, c.http, method, c.base+path+"?"+q.Encode(), strings.TrimPrefix(path, "/cgi-bin/"), body, out)
}

// doJSON sends body as JSON and decodes a JSON answer. name is what errors
// call the endpoint; the URL itself is never put in an error.
func doJSON(ctx context.Context, hc *http.Client, method, u, name string, body, out any) error {
	var rd io.Reader
	if body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		// Markdown's <font> tags stay readable in the request.
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return fmt.Errorf("wecom: %s: %w", name, err)
		}
		rd = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("wecom: %s: bad request URL", name)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("wecom: %s: %w", name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("wecom: %s: read answer: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &httpStatusError{name: name, status: resp.StatusCode, retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("wecom: %s: the answer is not JSON", name)
	}
	return nil
}

type httpStatusError struct {
	name       string
	status     int
	retryAfter time.Duration
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("wecom: %s: HTTP %d", e.name, e.status)
}

func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// deliveryError classifies an error for the outbox: network failures, 5xx,
// "system busy" and rate-limit answers are temporary (rate limits wait a
// minute, WeCom's window); everything else is permanent.
func deliveryError(err error) error {
	var ae *APIError
	var he *httpStatusError
	switch {
	case errors.As(err, &ae):
		switch ae.Code {
		case errcodeBusy:
			return bot.Temporary(err, 0)
		case errcodeFreqLimit, errcodeSendLimit, errcodeAPIFreq:
			return bot.Temporary(err, time.Minute)
		}
		return bot.Permanent(err)
	case errors.As(err, &he):
		if he.status >= 500 || he.status == http.StatusTooManyRequests {
			return bot.Temporary(err, he.retryAfter)
		}
		return bot.Permanent(err)
	}
	return bot.Temporary(err, 0)
}

// sendResp is the answer of message/send (发送应用消息, path/90236):
// invaliduser and unlicenseduser list, "|"-separated, the recipients it
// did not deliver to.
type sendResp struct {
	commonResp
	InvalidUser    string `json:"invaliduser"`
	UnlicensedUser string `json:"unlicenseduser"`
	MsgID          string `json:"msgid"`
	ResponseCode   string `json:"response_code"`
}

// listed reports whether user is in a "|"-separated id list.
func listed(list, user string) bool {
	for _, id := range strings.Split(list, "|") {
		if strings.TrimSpace(id) == user {
			return true
		}
	}
	return false
}

// send posts one app message to touser, one member. An errcode 0 answer
// that names that member in invaliduser (outside the app's visible range,
// or left) or unlicenseduser (no licence) is an error no retry will cure.
func (c *client) send(ctx context.Context, touser string, msg any) (sendResp, error) {
	var out sendResp
	err := c.call(ctx, "/cgi-bin/message/send", nil, msg, &out)
	switch {
	case err != nil:
	case listed(out.InvalidUser, touser):
		err = &APIError{Path: "message/send", Code: 0, Message: "the member is not in the app's visible range (invaliduser)"}
	case listed(out.UnlicensedUser, touser):
		err = &APIError{Path: "message/send", Code: 0, Message: "the member has no WeCom licence for the app (unlicenseduser)"}
	}
	return out, err
}

// updateCard posts message/update_template_card (更新模版卡片消息,
// path/94888).
func (c *client) updateCard(ctx context.Context, body any) error {
	var out commonResp
	return c.call(ctx, "/cgi-bin/message/update_template_card", nil, body, &out)
}

// Agent is what agent/get (获取指定的应用详情, path/90227) tells doctor.
type Agent struct {
	AgentID int    `json:"agentid"`
	Name    string `json:"name"`
	Close   int    `json:"close"`
}

// agent reads the app's details.
func (c *client) agent(ctx context.Context) (Agent, error) {
	var out struct {
		commonResp
		Agent
	}
	err := c.call(ctx, "/cgi-bin/agent/get", url.Values{"agentid": {strconv.Itoa(c.agentID)}}, nil, &out)
	return out.Agent, err
}

// CheckToken gets an access token with corp_id and secret, for loopbot
// doctor. It returns an *APIError (40001 a wrong secret, 40013 a wrong corp
// id) or the network error.
func (a *Adapter) CheckToken(ctx context.Context) error {
	_, err := a.api.accessToken(ctx, true)
	return err
}

// CheckAgent reads the app's details (agent/get), for loopbot doctor.
func (a *Adapter) CheckAgent(ctx context.Context) (Agent, error) {
	return a.api.agent(ctx)
}
