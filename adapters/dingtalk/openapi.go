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
	"sync"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// The OpenAPI paths loopbot calls, under Config.OpenAPIHost. They follow
// the DingTalk server API reference (open.dingtalk.com/document):
//   - accessToken: 获取企业内部应用的 accessToken (POST, appKey/appSecret → accessToken, expireIn s);
//   - batchSend: 批量发送人与机器人会话中机器人消息 (at most 20 userIds a call);
//   - groupSend: 机器人发送群聊消息;
//   - createAndDeliver / updateCard: 创建并投放卡片 / 更新卡片 (PUT).
const (
	pathAccessToken      = "/v1.0/oauth2/accessToken"
	pathBatchSend        = "/v1.0/robot/oToMessages/batchSend"
	pathGroupSend        = "/v1.0/robot/groupMessages/send"
	pathCreateAndDeliver = "/v1.0/card/instances/createAndDeliver"
	pathUpdateCard       = "/v1.0/card/instances"
	// MaxBatchUsers is the most userIds batchSend takes in one call.
	MaxBatchUsers = 20
	// tokenHeader carries the access token on every OpenAPI call.
	tokenHeader = "x-acs-dingtalk-access-token"
)

// APIError is an error answer of the OpenAPI: the HTTP status and the
// body's code and message, such as 400 "invalidClientSecret". It never holds
// a secret: DingTalk's error bodies carry none.
type APIError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// throttled reports whether DingTalk refused the call for its rate limits
// (HTTP 429, or a code such as Forbidden.AccessDenied.QpsLimitForApi).
func (e *APIError) throttled() bool {
	c := strings.ToLower(e.Code)
	return e.Status == http.StatusTooManyRequests || strings.Contains(c, "qpslimit") ||
		strings.Contains(c, "throttl") || strings.Contains(c, "flowcontrol")
}

// authFailed reports whether the token was refused (expired or revoked).
// A code with "denied", such as Forbidden.AccessDenied.
// AccessTokenPermissionDenied (the app lacks the API's permission), is no
// refused token: fetching a new one does not help.
func (e *APIError) authFailed() bool {
	c := strings.ToLower(e.Code)
	if strings.Contains(c, "denied") {
		return false
	}
	return e.Status == http.StatusUnauthorized || strings.Contains(c, "invalidauthentication") || strings.Contains(c, "token")
}

// apiClient is a small OpenAPI client: the access token is fetched once and
// cached until shortly before it expires, or until DingTalk refuses it.
type apiClient struct {
	host, id, secret string
	oapi             string // the older server API (topapi), for unionIds
	ua               string // the User-Agent of every call
	http             *http.Client
	now              func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// accessToken returns a valid token, fetching a new one when needed.
func (c *apiClient) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, nil
	}
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
	}
	body := map[string]string{"appKey": c.id, "appSecret": c.secret}
	if err := c.do(ctx, http.MethodPost, pathAccessToken, "", body, &out); err != nil {
		return "", fmt.Errorf("access token: %w", err)
	}
	if out.AccessToken == "" {
		return "", errors.New("access token: the answer has no accessToken")
	}
	// Refresh five minutes early, so that a token never expires in flight.
	c.token, c.expires = out.AccessToken, c.now().Add(time.Duration(max(out.ExpireIn-300, 60))*time.Second)
	return c.token, nil
}

// forget drops the cached token after DingTalk refused it.
func (c *apiClient) forget() {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
}

// call makes an authenticated OpenAPI call; a refused token is fetched
// again once.
func (c *apiClient) call(ctx context.Context, method, path string, in, out any) error {
	for try := 0; ; try++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = c.do(ctx, method, path, tok, in, out)
		var ae *APIError
		if try == 0 && errors.As(err, &ae) && ae.authFailed() {
			c.forget()
			continue
		}
		return err
	}
}

// do sends one JSON request and decodes a 2xx answer into out; any other
// answer is an *APIError.
func (c *apiClient) do(ctx context.Context, method, path, token string, in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.host+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if token != "" {
		req.Header.Set(tokenHeader, token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(body, ae)
		return deliveryError(ae, resp.Header.Get("Retry-After"))
	}
	if out == nil || len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode %s answer: %w", path, err)
	}
	return nil
}

// deliveryError classifies an error answer for the outbox: rate limits and
// server errors are retried (after the Retry-After hint, or a second for a
// rate limit), anything else is permanent.
func deliveryError(ae *APIError, retryAfter string) error {
	switch {
	case ae.throttled():
		hint := time.Second
		if s, err := strconv.Atoi(retryAfter); err == nil && s > 0 {
			hint = time.Duration(s) * time.Second
		}
		return bot.Temporary(ae, hint)
	case ae.Status >= 500:
		return bot.Temporary(ae, 0)
	case ae.authFailed():
		// The caller fetches a new token once; if that fails too, the
		// outbox retries later.
		return bot.Temporary(ae, 0)
	}
	return bot.Permanent(ae)
}

// batchSendResult is the answer of batchSend.
type batchSendResult struct {
	ProcessQueryKey           string   `json:"processQueryKey"`
	InvalidStaffIDList        []string `json:"invalidStaffIdList"`
	FlowControlledStaffIDList []string `json:"flowControlledStaffIdList"`
}

// sendToUsers sends one robot message to people's direct chats with the
// robot, at most MaxBatchUsers a call. It returns the processQueryKey of
// the last call.
func (c *apiClient) sendToUsers(ctx context.Context, robotCode string, users []string, msgKey string, param any) (string, error) {
	p, err := json.Marshal(param)
	if err != nil {
		return "", err
	}
	var key string
	for start := 0; start < len(users); start += MaxBatchUsers {
		chunk := users[start:min(start+MaxBatchUsers, len(users))]
		var out batchSendResult
		in := map[string]any{"robotCode": robotCode, "userIds": chunk, "msgKey": msgKey, "msgParam": string(p)}
		if err := c.call(ctx, http.MethodPost, pathBatchSend, in, &out); err != nil {
			return "", fmt.Errorf("batchSend: %w", err)
		}
		if len(out.InvalidStaffIDList) > 0 {
			return "", bot.Permanent(fmt.Errorf("batchSend: staff %s not in the app's visible scope (invalidStaffIdList)", strings.Join(out.InvalidStaffIDList, ",")))
		}
		if len(out.FlowControlledStaffIDList) > 0 {
			return "", bot.Temporary(fmt.Errorf("batchSend: flow-controlled for %s", strings.Join(out.FlowControlledStaffIDList, ",")), time.Second)
		}
		key = out.ProcessQueryKey
	}
	return key, nil
}

// sendToGroup sends one robot message to a group the robot is in.
func (c *apiClient) sendToGroup(ctx context.Context, robotCode, conversation, msgKey string, param any) (string, error) {
	p, err := json.Marshal(param)
	if err != nil {
		return "", err
	}
	var out struct {
		ProcessQueryKey string `json:"processQueryKey"`
	}
	in := map[string]any{"robotCode": robotCode, "openConversationId": conversation, "msgKey": msgKey, "msgParam": string(p)}
	if err := c.call(ctx, http.MethodPost, pathGroupSend, in, &out); err != nil {
		return "", fmt.Errorf("groupMessages/send: %w", err)
	}
	return out.ProcessQueryKey, nil
}

// cardData is the cardData of the card API: the template's variables.
type cardData struct {
	CardParamMap map[string]string `json:"cardParamMap"`
}

// createAndDeliver creates an interactive card from a template and
// delivers it to a group or to a person's chat with the robot (创建并投放卡片,
// POST /v1.0/card/instances/createAndDeliver): {cardTemplateId, outTrackId,
// callbackType "STREAM", cardData {cardParamMap: string values},
// userIdType 1, openSpaceId "dtv1.card//IM_GROUP.<openConversationId>" with
// imGroupOpenSpaceModel and imGroupOpenDeliverModel {robotCode}, or
// "dtv1.card//IM_ROBOT.<userId>" with imRobotOpenSpaceModel and
// imRobotOpenDeliverModel {spaceType "IM_ROBOT", robotCode}}. Its callbacks
// come back on the stream. A space DingTalk did not deliver to
// (deliverResults[].success false) is a permanent error.
func (c *apiClient) createAndDeliver(ctx context.Context, robotCode, template, outTrackID string, t bot.Target, params map[string]string) error {
	in := map[string]any{
		"cardTemplateId": template,
		"outTrackId":     outTrackID,
		"callbackType":   "STREAM",
		"cardData":       cardData{CardParamMap: params},
		"userIdType":     userIDTypeUserID,
	}
	if t.DM {
		in["openSpaceId"] = "dtv1.card//IM_ROBOT." + t.Chat
		in["imRobotOpenSpaceModel"] = map[string]any{"supportForward": false}
		in["imRobotOpenDeliverModel"] = map[string]any{"spaceType": "IM_ROBOT", "robotCode": robotCode}
	} else {
		in["openSpaceId"] = "dtv1.card//IM_GROUP." + t.Chat
		in["imGroupOpenSpaceModel"] = map[string]any{"supportForward": true}
		in["imGroupOpenDeliverModel"] = map[string]any{"robotCode": robotCode}
	}
	var out struct {
		Success bool `json:"success"`
		Result  struct {
			DeliverResults []struct {
				Success  bool   `json:"success"`
				ErrorMsg string `json:"errorMsg"`
				SpaceID  string `json:"spaceId"`
			} `json:"deliverResults"`
		} `json:"result"`
	}
	if err := c.call(ctx, http.MethodPost, pathCreateAndDeliver, in, &out); err != nil {
		return fmt.Errorf("createAndDeliver: %w", err)
	}
	for _, r := range out.Result.DeliverResults {
		if !r.Success {
			return bot.Permanent(fmt.Errorf("createAndDeliver: not delivered to %s: %s", r.SpaceID, r.ErrorMsg))
		}
	}
	return nil
}

// updateCard replaces the variables of a delivered card.
func (c *apiClient) updateCard(ctx context.Context, outTrackID string, params map[string]string) error {
	in := map[string]any{
		"outTrackId":        outTrackID,
		"cardData":          cardData{CardParamMap: params},
		"cardUpdateOptions": map[string]bool{"updateCardDataByKey": true},
	}
	if err := c.call(ctx, http.MethodPut, pathUpdateCard, in, nil); err != nil {
		return fmt.Errorf("update card: %w", err)
	}
	return nil
}

// sessionSend answers through a chatbot message's sessionWebhook, which
// needs no token while it is valid. Its answer is {"errcode":0,…}.
func (c *apiClient) sessionSend(ctx context.Context, webhook string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&out)
	if resp.StatusCode != http.StatusOK || out.ErrCode != 0 {
		return fmt.Errorf("sessionWebhook: HTTP %d errcode %d %s", resp.StatusCode, out.ErrCode, out.ErrMsg)
	}
	return nil
}

// pathGetByUnionID is 根据unionid获取用户userid on the older server API
// (open.dingtalk.com/document/orgapp/query-a-user-by-the-union-id): POST
// {oapi}/topapi/user/getbyunionid?access_token=… with {"unionid": "…"},
// answered HTTP 200 {"errcode":0,"errmsg":"ok","result":{"contact_type":0,
// "userid":"…"},"request_id":"…"}. It needs the app's 通讯录只读
// permission (qyapi_get_member). The internal app's access token of
// /v1.0/oauth2/accessToken is valid on this API too.
const pathGetByUnionID = "/topapi/user/getbyunionid"

// TopAPIError is an error answer of the older server API: HTTP 200 with a
// non-zero errcode, such as 60121 (找不到该用户, no such person in the
// organisation) or 60011 (the app lacks the permission).
type TopAPIError struct {
	Code    int    `json:"errcode"`
	Message string `json:"errmsg"`
}

func (e *TopAPIError) Error() string { return fmt.Sprintf("errcode %d: %s", e.Code, e.Message) }

// temporary reports whether trying again later may succeed: the system
// is busy (-1) or the app is rate-limited (90002, 90018 and the other 900xx
// flow-control codes).
func (e *TopAPIError) temporary() bool { return e.Code == -1 || e.Code/100 == 900 }

// tokenRefused reports whether the access token was refused: invalid
// (40001, 40014) or expired (42001).
func (e *TopAPIError) tokenRefused() bool {
	return e.Code == 40001 || e.Code == 40014 || e.Code == 42001
}

// userIDByUnionID asks DingTalk for the userId (staffId) of a unionId. A
// refused token is fetched again once. Errors are *TopAPIError for
// DingTalk's refusals, *APIError for an HTTP failure, or transport errors;
// bot.IsTemporary-style classification is left to the caller through
// unionTemporary.
func (c *apiClient) userIDByUnionID(ctx context.Context, unionID string) (string, error) {
	for try := 0; ; try++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return "", err
		}
		id, err := c.getByUnionID(ctx, tok, unionID)
		var te *TopAPIError
		if try == 0 && errors.As(err, &te) && te.tokenRefused() {
			c.forget()
			continue
		}
		return id, err
	}
}

// getByUnionID makes one getbyunionid call.
func (c *apiClient) getByUnionID(ctx context.Context, token, unionID string) (string, error) {
	raw, err := json.Marshal(map[string]string{"unionid": unionID})
	if err != nil {
		return "", err
	}
	u := c.oapi + pathGetByUnionID + "?access_token=" + url.QueryEscape(token)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds the token: report the error without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("getbyunionid: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", fmt.Errorf("getbyunionid: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &APIError{Status: resp.StatusCode, Code: "HTTP", Message: oneLine(string(body))}
	}
	var out struct {
		TopAPIError
		Result struct {
			UserID string `json:"userid"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("getbyunionid: answer is not JSON: %w", err)
	}
	if out.Code != 0 {
		return "", &out.TopAPIError
	}
	if out.Result.UserID == "" {
		return "", &TopAPIError{Code: 60121, Message: "the answer has no userid"}
	}
	return out.Result.UserID, nil
}

// unionTemporary reports whether a failed unionId lookup may succeed if
// the click is pushed again later: a network failure, a server error, a
// rate limit or a busy system. DingTalk's refusals (unknown person, missing
// permission) and a refused client secret are permanent.
func unionTemporary(err error) bool {
	var te *TopAPIError
	if errors.As(err, &te) {
		return te.temporary()
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500 || ae.throttled()
	}
	return true
}
