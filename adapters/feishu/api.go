package feishu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/loopbot/loopbot/bot"
)

// OpenAPI paths (open.feishu.cn/document/server-docs).
const (
	pathToken    = "/open-apis/auth/v3/tenant_access_token/internal"
	pathMessages = "/open-apis/im/v1/messages"
	pathFiles    = "/open-apis/im/v1/files"
	pathMessage  = "/open-apis/im/v1/messages/:message_id"
	pathBotInfo  = "/open-apis/bot/v3/info"
	pathUser     = "/open-apis/contact/v3/users/:user_id"
)

// Error codes of the OpenAPI that the client treats specially.
const (
	codeRateLimited = 99991400 // request trigger frequency limit
	codeAppSecret   = 10014    // app secret invalid
	codeAppID       = 10003    // invalid param (an unknown app_id)
)

// tokenCodes are the codes of a missing, invalid or expired tenant token:
// the client refreshes the token once and tries again.
var tokenCodes = map[int]bool{99991661: true, 99991663: true, 99991664: true, 99991665: true, 99991668: true, 99991671: true, 99991677: true}

// temporaryCodes are codes worth retrying after a while.
var temporaryCodes = map[int]bool{
	codeRateLimited: true,
	230020:          true, // this operation triggers the frequency limit
	230049:          true, // the message is being sent
	11232:           true, // create message trigger rate limit
}

// reasons explain the permanent errors an admin meets most, in their words
// (im/v1/messages create and patch docs, error codes).
var reasons = map[int]string{
	230001:   "the request was refused as invalid",
	230002:   "the bot is not in this group chat; add the bot to the group",
	230006:   "the app's bot capability is not enabled",
	230013:   "the person is outside the app's availability range, or has left the company",
	230017:   "the bot does not own this resource",
	230018:   "the group's settings do not allow this",
	230025:   "the message is too long for Feishu",
	230027:   "the app lacks a permission it needs",
	230029:   "the person has left the company",
	230031:   "the card can no longer be updated",
	230034:   "the chat or person id is not valid",
	230035:   "the bot may not send to this chat (muted group, or the person blocked the bot)",
	230053:   "the person turned off messages from the bot",
	230099:   "Feishu could not build the card",
	232009:   "the group chat was disbanded",
	99991672: "the app lacks an API permission (scope) it needs",
	99991679: "the app lacks a user permission it needs",
}

// client calls the Feishu OpenAPI through the SDK's request layer, with its
// own tenant token: the SDK's token cache is global and keyed by app id,
// which two adapters (or tests) with one app id would share.
type client struct {
	appID, appSecret string
	sdk              *lark.Client

	mu      sync.Mutex
	token   string
	expires time.Time
	now     func() time.Time
}

func newClient(appID, appSecret, baseURL string, hc *http.Client) *client {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	sdk := lark.NewClient(appID, appSecret,
		lark.WithOpenBaseUrl(strings.TrimRight(baseURL, "/")),
		lark.WithEnableTokenCache(false),
		lark.WithHttpClient(hc),
		lark.WithLogger(quietLogger{}),
		lark.WithLogLevel(larkcore.LogLevelError))
	return &client{appID: appID, appSecret: appSecret, sdk: sdk, now: time.Now}
}

// quietLogger drops the SDK's logs: they can hold message bodies, and the
// adapter logs what matters itself.
type quietLogger struct{}

func (quietLogger) Debug(context.Context, ...any) {}
func (quietLogger) Info(context.Context, ...any)  {}
func (quietLogger) Warn(context.Context, ...any)  {}
func (quietLogger) Error(context.Context, ...any) {}

// APIError is a refusal of the OpenAPI: the HTTP status, the platform's
// code and message, and a reason an admin understands.
type APIError struct {
	Op     string
	Status int
	Code   int
	Msg    string
	Reason string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("feishu: %s: code %d", e.Op, e.Code)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Msg != "" {
		s += " (" + e.Msg + ")"
	}
	if e.Code == 0 && e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return s
}

// tenantToken returns a valid tenant_access_token, fetching a new one when
// none is cached or it expires within five minutes.
func (c *client) tenantToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Add(5*time.Minute).Before(c.expires) {
		return c.token, nil
	}
	resp, err := c.sdk.GetTenantAccessTokenBySelfBuiltApp(ctx, &larkcore.SelfBuiltTenantAccessTokenReq{AppID: c.appID, AppSecret: c.appSecret})
	if err != nil {
		return "", fmt.Errorf("feishu: get tenant_access_token: %w", err)
	}
	if resp.Code != 0 || resp.TenantAccessToken == "" {
		e := &APIError{Op: "get tenant_access_token", Code: resp.Code, Msg: resp.Msg}
		if resp.ApiResp != nil {
			e.Status = resp.StatusCode
		}
		switch {
		case e.Status == http.StatusNotFound:
			// No such path: the host is not Feishu's OpenAPI, or the
			// base URL has a path of its own.
			e.Reason = "feishu.base_url does not serve Feishu's OpenAPI (HTTP 404); use the host only, such as " + DefaultBaseURL
		case resp.Code == codeAppSecret:
			e.Reason = "feishu.app_secret is wrong"
		case resp.Code == codeAppID:
			e.Reason = "feishu.app_id is not a known app"
		default:
			e.Reason = "Feishu refused feishu.app_id and feishu.app_secret"
		}
		return "", e
	}
	c.token = resp.TenantAccessToken
	c.expires = c.now().Add(time.Duration(resp.Expire) * time.Second)
	return c.token, nil
}

// dropToken forgets a token the platform called invalid.
func (c *client) dropToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token = ""
	}
}

// apiResult is the common part of every OpenAPI answer.
type apiResult struct {
	Code int             `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
	Bot  json.RawMessage `json:"bot"`
}

// call makes one OpenAPI request with the tenant token and decodes its
// answer. A token error refreshes the token and tries once more. The error
// is a bot.DeliveryError: temporary (network, 5xx, rate limits, with the
// x-ogw-ratelimit-reset hint) or permanent (any other refusal), wrapping an
// *APIError where the platform answered.
func (c *client) call(ctx context.Context, op string, req *larkcore.ApiReq) (apiResult, error) {
	req.SupportedAccessTokenTypes = []larkcore.AccessTokenType{larkcore.AccessTokenTypeTenant}
	for try := 0; ; try++ {
		token, err := c.tenantToken(ctx)
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) {
				return apiResult{}, bot.Permanent(err)
			}
			return apiResult{}, bot.Temporary(err, 0)
		}
		resp, err := c.sdk.Do(ctx, req, larkcore.WithTenantAccessToken(token))
		if err != nil {
			return apiResult{}, bot.Temporary(fmt.Errorf("feishu: %s: %w", op, err), 0)
		}
		var res apiResult
		jsonErr := json.Unmarshal(resp.RawBody, &res)
		if tokenCodes[res.Code] && try == 0 {
			c.dropToken(token)
			continue
		}
		return res, classify(op, resp, res, jsonErr)
	}
}

// classify turns an answer into nil or a delivery error.
func classify(op string, resp *larkcore.ApiResp, res apiResult, jsonErr error) error {
	e := &APIError{Op: op, Status: resp.StatusCode, Code: res.Code, Msg: res.Msg, Reason: reasons[res.Code]}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || res.Code == codeRateLimited:
		e.Reason = "rate limited by Feishu"
		return bot.Temporary(e, resetHint(resp.Header))
	case resp.StatusCode >= 500:
		return bot.Temporary(e, 0)
	case jsonErr != nil:
		e.Reason = "the answer is not JSON"
		if resp.StatusCode == http.StatusOK {
			return bot.Temporary(e, 0)
		}
		return bot.Permanent(e)
	case temporaryCodes[res.Code]:
		return bot.Temporary(e, resetHint(resp.Header))
	case tokenCodes[res.Code]:
		e.Reason = "the tenant token was refused twice"
		return bot.Temporary(e, 0)
	case res.Code != 0 || resp.StatusCode >= 400:
		return bot.Permanent(e)
	}
	return nil
}

// resetHint reads x-ogw-ratelimit-reset: the seconds until the rate limit
// window resets.
func resetHint(h http.Header) time.Duration {
	s := h.Get("x-ogw-ratelimit-reset")
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || n <= 0 {
		return time.Second
	}
	return time.Duration(n * float64(time.Second))
}

// maxUUID is the longest uuid im/v1/messages accepts.
const maxUUID = 50

// uuidOf returns the idempotency key as the message uuid: as it is when it
// fits, else a hash of it.
func uuidOf(key string) string {
	if len(key) <= maxUUID {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:32]
}

// sendMessage posts a message of msgType ("interactive" for a card, "file")
// to an open_id or a chat_id and returns the message id. The uuid makes
// Feishu drop a repeat of the same send within an hour.
func (c *client) sendMessage(ctx context.Context, receiveIDType, receiveID, msgType, content, uuid string) (string, error) {
	body := map[string]string{"receive_id": receiveID, "msg_type": msgType, "content": content, "uuid": uuidOf(uuid)}
	q := larkcore.QueryParams{}
	q.Set("receive_id_type", receiveIDType)
	res, err := c.call(ctx, "send message", &larkcore.ApiReq{HttpMethod: http.MethodPost, ApiPath: pathMessages, Body: body, QueryParams: q})
	if err != nil {
		return "", err
	}
	var data struct {
		MessageID string `json:"message_id"`
	}
	if json.Unmarshal(res.Data, &data) != nil || data.MessageID == "" {
		return "", bot.Temporary(errors.New("feishu: send message: the answer has no message_id"), 0)
	}
	return data.MessageID, nil
}

// patchMessage replaces a sent card's content.
func (c *client) patchMessage(ctx context.Context, messageID, content string) error {
	_, err := c.call(ctx, "update card", &larkcore.ApiReq{HttpMethod: http.MethodPatch, ApiPath: pathMessage,
		Body: map[string]string{"content": content}, PathParams: larkcore.PathParams{"message_id": messageID}})
	return err
}

// botInfo returns the bot's open_id and name.
func (c *client) botInfo(ctx context.Context) (openID, name string, err error) {
	res, err := c.call(ctx, "get bot info", &larkcore.ApiReq{HttpMethod: http.MethodGet, ApiPath: pathBotInfo})
	if err != nil {
		return "", "", err
	}
	var b struct {
		OpenID  string `json:"open_id"`
		AppName string `json:"app_name"`
	}
	if json.Unmarshal(res.Bot, &b) != nil || b.OpenID == "" {
		return "", "", errors.New("feishu: get bot info: the answer has no bot open_id (is the bot capability enabled?)")
	}
	return b.OpenID, b.AppName, nil
}

// userName returns a person's name from the contact API (scope
// contact:user.base:readonly).
func (c *client) userName(ctx context.Context, openID string) (string, error) {
	q := larkcore.QueryParams{}
	q.Set("user_id_type", "open_id")
	res, err := c.call(ctx, "get user", &larkcore.ApiReq{HttpMethod: http.MethodGet, ApiPath: pathUser,
		PathParams: larkcore.PathParams{"user_id": openID}, QueryParams: q})
	if err != nil {
		return "", err
	}
	var data struct {
		User struct {
			Name string `json:"name"`
		} `json:"user"`
	}
	_ = json.Unmarshal(res.Data, &data)
	return data.User.Name, nil
}
