// Package dingtalktest is a local fake of the DingTalk OpenAPI and Stream
// gateway for tests: connections/open, the websocket gateway, the access
// token, robot batchSend and groupMessages/send (sampleFile messages too),
// media/upload of the older server API, card createAndDeliver and update,
// and chatbot session webhooks. It speaks the documented wire
// formats (see ../testdata/fixtures) and records what loopbot
// sent.
package dingtalktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Fake is the fake DingTalk. Its URL is the openapi_host.
type Fake struct {
	*httptest.Server
	ClientID, ClientSecret string

	mu       sync.Mutex
	conn     *websocket.Conn
	wmu      sync.Mutex // one writer on conn
	conns    int
	acks     []Ack
	calls    []Call
	tokens   int
	opens    []map[string]any
	unions   map[string]string
	busy     int
	users    map[string]User
	depts    map[int64]string
	refuse   int // errcode of every contact call, when not 0
	changed  chan struct{}
	uploads  []Upload
	refuseUp int
}

// Upload is a file uploaded with media/upload.
type Upload struct {
	Name    string
	Data    []byte
	MediaID string
}

// Ack is an answer loopbot sent to a frame.
type Ack struct {
	Code      int               `json:"code"`
	Headers   map[string]string `json:"headers"`
	Message   string            `json:"message"`
	Data      string            `json:"data"`
	MessageID string            `json:"-"`
}

// Call is one OpenAPI or session-webhook call loopbot made.
type Call struct {
	Method, Path string
	Body         map[string]any
}

// New starts a fake for an app's credentials.
func New(clientID, clientSecret string) *Fake {
	f := &Fake{ClientID: clientID, ClientSecret: clientSecret, changed: make(chan struct{}), unions: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1.0/gateway/connections/open", f.open)
	mux.HandleFunc("GET /connect", f.connect)
	mux.HandleFunc("POST /v1.0/oauth2/accessToken", f.token)
	mux.HandleFunc("POST /v1.0/robot/oToMessages/batchSend", f.api(checkBatchSend, `{"processQueryKey":"pqk-%d","invalidStaffIdList":[],"flowControlledStaffIdList":[]}`))
	mux.HandleFunc("POST /v1.0/robot/groupMessages/send", f.api(checkGroupSend, `{"processQueryKey":"pqk-%d"}`))
	mux.HandleFunc("POST /v1.0/card/instances/createAndDeliver", f.api(checkCreateAndDeliver, `{"success":true,"result":{"outTrackId":"x","deliverResults":[{"spaceType":"IM","spaceId":"s","success":true,"carrierId":"c-%d"}]}}`))
	mux.HandleFunc("PUT /v1.0/card/instances", f.api(checkUpdateCard, `{"success":true,"result":true,"n":%d}`))
	mux.HandleFunc("POST /robot/sendBySession", f.sessionHook)
	mux.HandleFunc("POST /topapi/user/getbyunionid", f.getByUnionID)
	mux.HandleFunc("POST /topapi/v2/user/get", f.userGet)
	mux.HandleFunc("POST /topapi/v2/department/get", f.deptGet)
	mux.HandleFunc("POST /media/upload", f.upload)
	f.Server = httptest.NewServer(mux)
	return f
}

// notify wakes the waiters of Wait.
func (f *Fake) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Wait blocks until cond, checked after every change, holds, or fails
// after a minute (a test's safety net, not a timing assertion). cond reads
// the fake through its exported methods.
func (f *Fake) Wait(what string, cond func() bool) error {
	deadline := time.After(time.Minute)
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-deadline:
			return fmt.Errorf("dingtalk fake: gave up waiting for %s", what)
		}
	}
}

func (f *Fake) open(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID      string `json:"clientId"`
		ClientSecret  string `json:"clientSecret"`
		Subscriptions []struct {
			Type, Topic string
		} `json:"subscriptions"`
	}
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if json.Unmarshal(raw, &body) == nil {
		delete(body, "clientSecret")
		f.mu.Lock()
		f.opens = append(f.opens, body)
		f.mu.Unlock()
	}
	if err := json.Unmarshal(raw, &req); err != nil || req.ClientID != f.ClientID || req.ClientSecret != f.ClientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"code":"InvalidAuthentication","message":"clientId or clientSecret is invalid"}`)
		return
	}
	ws := "ws" + strings.TrimPrefix(f.URL, "http") + "/connect"
	fmt.Fprintf(w, `{"endpoint":%q,"ticket":"7724109a-ea43-4aa2-b803-87d82c5aaee6"}`, ws)
}

func (f *Fake) connect(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("ticket") != "7724109a-ea43-4aa2-b803-87d82c5aaee6" {
		http.Error(w, "bad ticket", http.StatusForbidden)
		return
	}
	up := websocket.Upgrader{}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.conn = conn
	f.conns++
	f.notify()
	f.mu.Unlock()
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var a Ack
		if json.Unmarshal(raw, &a) != nil {
			continue
		}
		a.MessageID = a.Headers["messageId"]
		f.mu.Lock()
		f.acks = append(f.acks, a)
		f.notify()
		f.mu.Unlock()
	}
}

// OpenRequests returns the bodies of the connections/open requests, without
// their clientSecret.
func (f *Fake) OpenRequests() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.opens...)
}

// AddUnion makes getbyunionid map a unionId to a userId; an unknown
// unionId is answered errcode 60121 (找不到该用户).
func (f *Fake) AddUnion(unionID, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unions[unionID] = userID
}

// Busy makes the next n getbyunionid calls answer errcode -1 (系统繁忙).
func (f *Fake) Busy(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.busy = n
}

// getByUnionID is topapi/user/getbyunionid: the access token in the query,
// {"unionid": …} in the body, errors as HTTP 200 with an errcode.
func (f *Fake) getByUnionID(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Query().Get("access_token"), "token-") {
		io.WriteString(w, `{"errcode":40014,"errmsg":"不合法的access_token","request_id":"r1"}`)
		return
	}
	f.record(r)
	var req struct {
		UnionID string `json:"unionid"`
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls[len(f.calls)-1]
	req.UnionID, _ = c.Body["unionid"].(string)
	if f.busy > 0 {
		f.busy--
		io.WriteString(w, `{"errcode":-1,"errmsg":"系统繁忙","request_id":"r2"}`)
		return
	}
	id, ok := f.unions[req.UnionID]
	if !ok {
		io.WriteString(w, `{"errcode":60121,"errmsg":"找不到该用户","request_id":"r3"}`)
		return
	}
	fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","result":{"contact_type":0,"userid":%q},"request_id":"r4"}`, id)
}

// User is a person of the fake's contact directory (查询用户详情).
type User struct {
	Name, Email, OrgEmail, Mobile, Manager string
	Depts                                  []int64
}

// AddUser puts a person in the contact directory; an unknown userid is
// answered errcode 60121.
func (f *Fake) AddUser(userID string, u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.users == nil {
		f.users = map[string]User{}
	}
	f.users[userID] = u
}

// AddDept names a department of 获取部门详情.
func (f *Fake) AddDept(id int64, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.depts == nil {
		f.depts = map[int64]string{}
	}
	f.depts[id] = name
}

// RefuseContact makes every contact call answer errcode code (88 with
// sub_code 60011: the app lacks the permission); 0 stops refusing.
func (f *Fake) RefuseContact(code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = code
}

// contact checks a contact call's token and returns its body, or "" after
// answering it with an error.
func (f *Fake) contact(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	if !strings.HasPrefix(r.URL.Query().Get("access_token"), "token-") {
		io.WriteString(w, `{"errcode":40014,"errmsg":"不合法的access_token","request_id":"r1"}`)
		return nil, false
	}
	f.record(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch f.refuse {
	case 0:
		return f.calls[len(f.calls)-1].Body, true
	case 88:
		io.WriteString(w, `{"errcode":88,"errmsg":"不具备调用该接口的权限","sub_code":"60011","sub_msg":"应用尚未开通所需的权限：[qyapi_get_member]","request_id":"r5"}`)
	default:
		fmt.Fprintf(w, `{"errcode":%d,"errmsg":"no permission","request_id":"r5"}`, f.refuse)
	}
	return nil, false
}

// userGet is topapi/v2/user/get: {"userid","language"} → the person.
func (f *Fake) userGet(w http.ResponseWriter, r *http.Request) {
	body, ok := f.contact(w, r)
	if !ok {
		return
	}
	id, _ := body["userid"].(string)
	f.mu.Lock()
	u, ok := f.users[id]
	f.mu.Unlock()
	if !ok {
		io.WriteString(w, `{"errcode":60121,"errmsg":"找不到该用户","request_id":"r3"}`)
		return
	}
	res := map[string]any{"userid": id, "unionid": "u-" + id, "name": u.Name, "active": true, "dept_id_list": u.Depts}
	if u.Email != "" {
		res["email"] = u.Email
	}
	if u.OrgEmail != "" {
		res["org_email"] = u.OrgEmail
	}
	if u.Mobile != "" {
		res["mobile"] = u.Mobile
	}
	if u.Manager != "" {
		res["manager_userid"] = u.Manager
	}
	json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "result": res, "request_id": "r6"})
}

// deptGet is topapi/v2/department/get: {"dept_id","language"} → its name.
func (f *Fake) deptGet(w http.ResponseWriter, r *http.Request) {
	body, ok := f.contact(w, r)
	if !ok {
		return
	}
	id, _ := body["dept_id"].(float64)
	f.mu.Lock()
	name, ok := f.depts[int64(id)]
	f.mu.Unlock()
	if !ok {
		io.WriteString(w, `{"errcode":60003,"errmsg":"部门不存在","request_id":"r7"}`)
		return
	}
	fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","result":{"dept_id":%d,"name":%q,"parent_id":1},"request_id":"r8"}`, int64(id), name)
}

// Connections returns how many websocket connections were opened.
func (f *Fake) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

// WaitConnections waits until n connections were opened.
func (f *Fake) WaitConnections(n int) error {
	return f.Wait(fmt.Sprintf("%d connections", n), func() bool { return f.Connections() >= n })
}

// Push sends a frame on the current connection.
func (f *Fake) Push(frame any) error {
	raw, ok := frame.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(frame); err != nil {
			return err
		}
	}
	f.mu.Lock()
	conn := f.conn
	f.mu.Unlock()
	if conn == nil {
		return fmt.Errorf("dingtalk fake: no connection")
	}
	f.wmu.Lock()
	defer f.wmu.Unlock()
	return conn.WriteMessage(websocket.TextMessage, raw)
}

// Drop closes the current connection without a goodbye, as a network
// failure would.
func (f *Fake) Drop() {
	f.mu.Lock()
	conn := f.conn
	f.conn = nil
	f.mu.Unlock()
	if conn != nil {
		conn.UnderlyingConn().Close()
	}
}

// Acks returns the answers received so far.
func (f *Fake) Acks() []Ack {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Ack(nil), f.acks...)
}

// AcksFor returns the answers to one messageId.
func (f *Fake) AcksFor(id string) []Ack {
	var out []Ack
	for _, a := range f.Acks() {
		if a.MessageID == id {
			out = append(out, a)
		}
	}
	return out
}

// WaitAck waits for an answer to a messageId.
func (f *Fake) WaitAck(id string) (Ack, error) {
	var got Ack
	err := f.Wait("the answer to "+id, func() bool {
		for _, a := range f.Acks() {
			if a.MessageID == id {
				got = a
				return true
			}
		}
		return false
	})
	return got, err
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.AppKey != f.ClientID || req.AppSecret != f.ClientSecret {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code":"invalidClientIdOrSecret","message":"无效的clientId或者clientSecret"}`)
		return
	}
	f.mu.Lock()
	f.tokens++
	n := f.tokens
	f.mu.Unlock()
	fmt.Fprintf(w, `{"accessToken":"token-%d","expireIn":7200}`, n)
}

// api records a call made with a token whose body check accepts, and
// answers with the template, in which %d is the call's number. A body the
// check refuses is answered 400 {"code":"param.invalid"}, as DingTalk
// answers a malformed request, and is not recorded.
func (f *Fake) api(check func(map[string]any) error, answer string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("x-acs-dingtalk-access-token"), "token-") {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code":"InvalidAuthentication","message":"token is invalid"}`)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		err := json.Unmarshal(raw, &body)
		if err == nil {
			err = check(body)
		}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"code":"param.invalid","message":%q}`, err.Error())
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(raw)))
		n := f.record(r)
		fmt.Fprintf(w, answer, n)
	}
}

// str returns a body's string field, or an error naming it.
func str(body map[string]any, key string) (string, error) {
	s, ok := body[key].(string)
	if !ok || s == "" {
		return "", fmt.Errorf("%s: a non-empty string is required", key)
	}
	return s, nil
}

// robotMessage checks robotCode, msgKey and msgParam (a JSON object
// written as a string) of a robot message.
func robotMessage(body map[string]any) error {
	for _, k := range []string{"robotCode", "msgKey"} {
		if _, err := str(body, k); err != nil {
			return err
		}
	}
	p, err := str(body, "msgParam")
	if err != nil {
		return err
	}
	var m map[string]any
	if json.Unmarshal([]byte(p), &m) != nil {
		return fmt.Errorf("msgParam: not a JSON object in a string")
	}
	if body["msgKey"] == "sampleFile" {
		for _, k := range []string{"mediaId", "fileName", "fileType"} {
			if _, err := str(m, k); err != nil {
				return fmt.Errorf("msgParam.%w", err)
			}
		}
	}
	return nil
}

// maxUpload is media/upload's limit for type file.
const maxUpload = 20 << 20

// upload answers media/upload: access_token and type=file in the query, a
// multipart form whose part "media" holds a non-empty file with a filename.
// Errors are errcode answers, as the older server API gives them.
func (f *Fake) upload(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	refuse := f.refuseUp
	f.mu.Unlock()
	q := r.URL.Query()
	switch {
	case !strings.HasPrefix(q.Get("access_token"), "token-"):
		io.WriteString(w, `{"errcode":40014,"errmsg":"不合法的access_token"}`)
		return
	case refuse != 0:
		fmt.Fprintf(w, `{"errcode":%d,"errmsg":"refused"}`, refuse)
		return
	case q.Get("type") != "file":
		io.WriteString(w, `{"errcode":40004,"errmsg":"不合法的媒体文件类型"}`)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	file, hdr, err := r.FormFile("media")
	if err != nil {
		io.WriteString(w, `{"errcode":40003,"errmsg":"缺少media参数"}`)
		return
	}
	data, _ := io.ReadAll(file)
	file.Close()
	if hdr.Filename == "" || len(data) == 0 || len(data) > maxUpload {
		io.WriteString(w, `{"errcode":40006,"errmsg":"不合法的文件大小"}`)
		return
	}
	f.mu.Lock()
	id := fmt.Sprintf("@lAzPDe%d", len(f.uploads)+1)
	f.uploads = append(f.uploads, Upload{Name: hdr.Filename, Data: data, MediaID: id})
	f.mu.Unlock()
	fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","type":"file","media_id":%q,"created_at":1605863153573}`, id)
}

// Uploads returns the files uploaded so far.
func (f *Fake) Uploads() []Upload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Upload(nil), f.uploads...)
}

// RefuseUploads makes later uploads fail with errcode (0: accept again).
func (f *Fake) RefuseUploads(errcode int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuseUp = errcode
}

// checkBatchSend: robot/oToMessages/batchSend takes 1 to 20 userIds.
func checkBatchSend(body map[string]any) error {
	ids, _ := body["userIds"].([]any)
	if len(ids) == 0 || len(ids) > 20 {
		return fmt.Errorf("userIds: 1 to 20 ids, not %d", len(ids))
	}
	return robotMessage(body)
}

// checkGroupSend: robot/groupMessages/send names its group by
// openConversationId.
func checkGroupSend(body map[string]any) error {
	if _, err := str(body, "openConversationId"); err != nil {
		return err
	}
	return robotMessage(body)
}

// cardParams checks cardData.cardParamMap, whose values are strings.
func cardParams(body map[string]any) error {
	data, _ := body["cardData"].(map[string]any)
	params, ok := data["cardParamMap"].(map[string]any)
	if !ok {
		return fmt.Errorf("cardData.cardParamMap: required")
	}
	for k, v := range params {
		if _, ok := v.(string); !ok {
			return fmt.Errorf("cardData.cardParamMap.%s: values are strings", k)
		}
	}
	return nil
}

// checkCreateAndDeliver: card/instances/createAndDeliver with a template,
// an outTrackId, and an IM_GROUP or IM_ROBOT space with its models.
func checkCreateAndDeliver(body map[string]any) error {
	for _, k := range []string{"cardTemplateId", "outTrackId", "openSpaceId"} {
		if _, err := str(body, k); err != nil {
			return err
		}
	}
	space := body["openSpaceId"].(string)
	switch {
	case strings.HasPrefix(space, "dtv1.card//IM_GROUP.") && len(space) > len("dtv1.card//IM_GROUP."):
		deliver, _ := body["imGroupOpenDeliverModel"].(map[string]any)
		if _, ok := body["imGroupOpenSpaceModel"].(map[string]any); !ok || deliver["robotCode"] == nil {
			return fmt.Errorf("imGroupOpenSpaceModel and imGroupOpenDeliverModel.robotCode are required for IM_GROUP")
		}
	case strings.HasPrefix(space, "dtv1.card//IM_ROBOT.") && len(space) > len("dtv1.card//IM_ROBOT."):
		deliver, _ := body["imRobotOpenDeliverModel"].(map[string]any)
		if _, ok := body["imRobotOpenSpaceModel"].(map[string]any); !ok || deliver["spaceType"] != "IM_ROBOT" {
			return fmt.Errorf("imRobotOpenSpaceModel and imRobotOpenDeliverModel.spaceType IM_ROBOT are required for IM_ROBOT")
		}
	default:
		return fmt.Errorf("openSpaceId %q: not dtv1.card//IM_GROUP.<cid> or dtv1.card//IM_ROBOT.<userId>", space)
	}
	if cb, ok := body["callbackType"]; ok && cb != "STREAM" && cb != "HTTP" {
		return fmt.Errorf("callbackType %v: STREAM or HTTP", cb)
	}
	return cardParams(body)
}

// checkUpdateCard: PUT card/instances names the card by outTrackId.
func checkUpdateCard(body map[string]any) error {
	if _, err := str(body, "outTrackId"); err != nil {
		return err
	}
	return cardParams(body)
}

func (f *Fake) sessionHook(w http.ResponseWriter, r *http.Request) {
	f.record(r)
	io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
}

func (f *Fake) record(r *http.Request) int {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: r.Method, Path: path, Body: body})
	f.notify()
	return len(f.calls)
}

// Calls returns the calls made to a path (without its query), in order.
func (f *Fake) Calls(path string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if p, _, _ := strings.Cut(c.Path, "?"); p == path {
			out = append(out, c)
		}
	}
	return out
}

// AllCalls returns every recorded call.
func (f *Fake) AllCalls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Frame builds a CALLBACK frame as the gateway pushes it.
func Frame(topic, messageID string, data any) map[string]any {
	raw, _ := json.Marshal(data)
	return map[string]any{
		"specVersion": "1.0", "type": "CALLBACK",
		"headers": map[string]string{"appId": "app", "contentType": "application/json", "messageId": messageID,
			"time": fmt.Sprint(time.Now().UnixMilli()), "topic": topic},
		"data": string(raw),
	}
}

// Message is the data of a chatbot message (topic
// /v1.0/im/bot/messages/get), as protocol.md shows it.
func (f *Fake) Message(msgID, staffID, nick, conversation string, group bool, text string, at ...string) map[string]any {
	ctype := "1"
	if group {
		ctype = "2"
	}
	users := []map[string]string{}
	if group {
		users = append(users, map[string]string{"dingtalkId": "$:LWCP_v1:$bot"})
	}
	for _, s := range at {
		users = append(users, map[string]string{"dingtalkId": "$:LWCP_v1:$" + s, "staffId": s})
	}
	return map[string]any{
		"conversationId": conversation, "atUsers": users, "chatbotCorpId": "dingcorp", "chatbotUserId": "$:LWCP_v1:$bot",
		"msgId": msgID, "senderNick": nick, "isAdmin": false, "senderStaffId": staffID,
		"sessionWebhookExpiredTime": time.Now().Add(time.Hour).UnixMilli(), "createAt": time.Now().UnixMilli(),
		"senderCorpId": "dingcorp", "conversationType": ctype, "senderId": "$:LWCP_v1:$" + staffID,
		"conversationTitle": "测试群", "isInAtList": true,
		"sessionWebhook": f.URL + "/robot/sendBySession?session=" + msgID,
		"text":           map[string]string{"content": text}, "robotCode": f.ClientID, "msgtype": "text",
	}
}

// CardCallback is the data of an interactive card's callback (topic
// /v1.0/card/instances/callback), as the card tutorial shows it, from a
// person named by userId (userIdType 1).
func CardCallback(userID, outTrackID string, params map[string]string) map[string]any {
	return CardCallbackAs(1, userID, outTrackID, params)
}

// CardCallbackAs is CardCallback from a person named by userId
// (userIdType 1) or by unionId (userIdType 2).
func CardCallbackAs(userIDType int, user, outTrackID string, params map[string]string) map[string]any {
	userID := user
	content, _ := json.Marshal(map[string]any{"cardPrivateData": map[string]any{"actionIds": []string{"btn"}, "params": params}})
	return map[string]any{
		"extension": "{}", "corpId": "dingcorp", "spaceType": "im", "userIdType": userIDType, "type": "actionCallback",
		"userId": userID, "content": string(content), "spaceId": "cidspace", "outTrackId": outTrackID, "value": string(content),
	}
}
