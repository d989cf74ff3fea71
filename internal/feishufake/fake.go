// Package feishufake is a local fake of the Feishu/Lark open platform for
// tests: the tenant token, im/v1 messages (with uuid idempotency) and their
// PATCH, im/v1 files (multipart uploads, and file messages that show them), the contact and bot-info APIs, the long connection's endpoint and a
// WebSocket server that speaks the SDK's protobuf frames, and a sender of
// signed, encrypted webhook callbacks. It follows the wire formats of
// github.com/larksuite/oapi-sdk-go/v3 v3.5.4 (ws/, core/) and the official
// docs, not loopbot's own code.
package feishufake

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// Server is a fake Feishu. Its fields configure it before use.
type Server struct {
	AppID, AppSecret  string
	BotOpenID         string
	BotName           string
	EncryptKey        string
	VerificationToken string
	// Users are the contact directory, open_id to name.
	Users map[string]string
	// NoContactScope makes the contact API refuse (no scope).
	NoContactScope bool
	// Profiles add to Users what contact v3 user/get returns with the
	// field permissions: email, mobile, department and leader, by open_id.
	Profiles map[string]Profile
	// Departments are the department names of department/get, by
	// open_department_id.
	Departments map[string]string
	// OnSend, if set, runs when a send is accepted, before it is answered;
	// a test can hold the answer there.
	OnSend func(Message)

	srv *httptest.Server

	mu         sync.Mutex
	tokens     map[string]bool
	tokenCalls int
	seq        int
	messages   []Message
	byUUID     map[string]int
	sendCalls  map[string]int
	patches    []Patch
	uploads    []Upload
	refuseUp   int
	limited    int    // sends still to refuse with 429
	reset      string // x-ogw-ratelimit-reset of those
	refused    map[string]int
	rateHits   int
	conns      []*wsConn
	accepted   int
	connCh     chan struct{}
	acks       map[string]chan larkws.Response
	frameSeq   uint64
	contact    int
}

// Profile is the rest of a contact v3 user.
type Profile struct {
	Email      string
	Mobile     string
	Department string // an open_department_id
	Leader     string // the leader's open_id
}

// Message is a message an app sent.
type Message struct {
	ID            string
	ReceiveIDType string
	ReceiveID     string
	UUID          string
	// MsgType is "interactive" (Card is set) or "file" (FileKey is).
	MsgType string
	Card    map[string]any
	FileKey string
	At      time.Time
}

// Upload is a file uploaded with im/v1/files.
type Upload struct {
	FileType string
	FileName string
	// PartName is the file part's filename in its Content-Disposition.
	PartName string
	Data     []byte
	FileKey  string
}

// maxUpload is im/v1/files' limit: "文件大小不得超过30M，且不允许上传空文件".
const maxUpload = 30 << 20

// fileTypes are the file_type values im/v1/files takes.
var fileTypes = map[string]bool{"opus": true, "mp4": true, "pdf": true, "doc": true, "xls": true, "ppt": true, "stream": true}

// Patch is an update of a sent card.
type Patch struct {
	MessageID string
	Card      map[string]any
}

// Start starts the fake. It is closed when the test ends.
func Start(tb interface {
	Cleanup(func())
}, s *Server) *Server {
	if s.BotName == "" {
		s.BotName = "loopbot"
	}
	s.tokens, s.byUUID, s.refused, s.acks = map[string]bool{}, map[string]int{}, map[string]int{}, map[string]chan larkws.Response{}
	s.sendCalls = map[string]int{}
	s.connCh = make(chan struct{}, 16)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /open-apis/auth/v3/tenant_access_token/internal", s.token)
	mux.HandleFunc("POST /open-apis/im/v1/messages", s.authed(s.create))
	mux.HandleFunc("PATCH /open-apis/im/v1/messages/{id}", s.authed(s.patch))
	mux.HandleFunc("POST /open-apis/im/v1/files", s.authed(s.upload))
	mux.HandleFunc("GET /open-apis/bot/v3/info", s.authed(s.botInfo))
	mux.HandleFunc("GET /open-apis/contact/v3/users/{id}", s.authed(s.user))
	mux.HandleFunc("GET /open-apis/contact/v3/departments/{id}", s.authed(s.department))
	mux.HandleFunc("POST /callback/ws/endpoint", s.endpoint)
	mux.HandleFunc("GET /ws", s.ws)
	s.srv = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// URL is the base URL to give as feishu.base_url.
func (s *Server) URL() string { return s.srv.URL }

// Close closes the connections and the server.
func (s *Server) Close() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.conn.Close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func codeErr(w http.ResponseWriter, status, code int, msg string) {
	reply(w, status, map[string]any{"code": code, "msg": msg})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	switch {
	case in.AppID != s.AppID:
		codeErr(w, http.StatusBadRequest, 10003, "invalid param")
		return
	case in.AppSecret != s.AppSecret:
		codeErr(w, http.StatusBadRequest, 10014, "app secret invalid")
		return
	}
	s.mu.Lock()
	s.tokenCalls++
	tok := fmt.Sprintf("t-%s-%d", s.AppID, s.tokenCalls)
	s.tokens[tok] = true
	s.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": tok, "expire": 7200})
}

// RevokeTokens makes every issued tenant token invalid, as when it expires
// early.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]bool{}
}

// TokenCalls counts the tokens issued.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		ok := s.tokens[tok]
		s.mu.Unlock()
		if !ok {
			codeErr(w, http.StatusBadRequest, 99991663, "Invalid access token for authorization. Please make a request with token attached.")
			return
		}
		h(w, r)
	}
}

// RateLimit makes the next n sends fail with HTTP 429, code 99991400 and
// the x-ogw-ratelimit-reset header reset (seconds).
func (s *Server) RateLimit(n int, reset string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited, s.reset = n, reset
}

// RateLimited counts the sends refused with 429.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateHits
}

// RefuseChat makes sends to a chat_id or open_id fail with a code, such as
// 230002 (the bot is not in the group).
func (s *Server) RefuseChat(id string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[id] = code
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ReceiveID string `json:"receive_id"`
		MsgType   string `json:"msg_type"`
		Content   string `json:"content"`
		UUID      string `json:"uuid"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		codeErr(w, http.StatusBadRequest, 230001, "invalid request body")
		return
	}
	idType := r.URL.Query().Get("receive_id_type")
	var (
		card    map[string]any
		fileKey string
		err     error
	)
	if in.MsgType == "file" {
		fileKey, err = s.parseFile(in.Content)
	} else {
		card, err = parseCard(in.MsgType, in.Content)
	}
	switch {
	case idType != "open_id" && idType != "chat_id":
		codeErr(w, http.StatusBadRequest, 230001, "invalid receive_id_type")
		return
	case len(in.UUID) > 50:
		codeErr(w, http.StatusBadRequest, 230001, "uuid is longer than 50 characters")
		return
	case err != nil:
		codeErr(w, http.StatusBadRequest, 230099, err.Error())
		return
	}
	m, status, answer := s.accept(idType, in.ReceiveID, in.UUID, in.MsgType, card, fileKey)
	if status == http.StatusOK && s.OnSend != nil {
		s.OnSend(m)
	}
	for k, v := range answer.header {
		w.Header().Set(k, v)
	}
	reply(w, status, answer.body)
}

type answer struct {
	header map[string]string
	body   any
}

// accept records a send, or refuses it, and returns the message and the
// answer.
func (s *Server) accept(idType, receiveID, uuid, msgType string, card map[string]any, fileKey string) (Message, int, answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendCalls[uuid]++
	if s.limited > 0 {
		s.limited--
		s.rateHits++
		return Message{}, http.StatusTooManyRequests, answer{
			header: map[string]string{"x-ogw-ratelimit-limit": "50", "x-ogw-ratelimit-reset": s.reset},
			body:   map[string]any{"code": 99991400, "msg": "request trigger frequency limit"}}
	}
	if code, ok := s.refused[receiveID]; ok {
		return Message{}, http.StatusBadRequest, answer{body: map[string]any{"code": code, "msg": "Bot can NOT be out of the chat."}}
	}
	if i, ok := s.byUUID[uuid]; ok && uuid != "" {
		// The same uuid within the hour: the same message, not a new one.
		return s.messages[i], http.StatusOK, answer{body: s.messageAnswer(s.messages[i])}
	}
	s.seq++
	m := Message{ID: fmt.Sprintf("om_%032x", s.seq), ReceiveIDType: idType, ReceiveID: receiveID, UUID: uuid,
		MsgType: msgType, Card: card, FileKey: fileKey, At: time.Now()}
	s.messages = append(s.messages, m)
	if uuid != "" {
		s.byUUID[uuid] = len(s.messages) - 1
	}
	return m, http.StatusOK, answer{body: s.messageAnswer(m)}
}

// SendCalls counts the send requests with a uuid, accepted or not.
func (s *Server) SendCalls(uuid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendCalls[uuid]
}

func (s *Server) messageAnswer(m Message) map[string]any {
	chat := m.ReceiveID
	if m.ReceiveIDType == "open_id" {
		chat = "oc_p2p_" + m.ReceiveID
	}
	return map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"message_id": m.ID, "msg_type": m.MsgType, "chat_id": chat,
		"create_time": strconv.FormatInt(m.At.UnixMilli(), 10), "update_time": strconv.FormatInt(m.At.UnixMilli(), 10),
		"deleted": false, "updated": false,
		"sender": map[string]any{"id": s.AppID, "id_type": "app_id", "sender_type": "app"},
	}}
}

// parseCard checks an interactive message's content: a JSON 2.0 card.
func parseCard(msgType, content string) (map[string]any, error) {
	if msgType != "interactive" {
		return nil, fmt.Errorf("msg_type %q is not interactive", msgType)
	}
	var card map[string]any
	if err := json.Unmarshal([]byte(content), &card); err != nil {
		return nil, errors.New("content is not a JSON card")
	}
	if card["schema"] != "2.0" {
		return nil, errors.New("card is not JSON 2.0")
	}
	if _, ok := card["body"].(map[string]any); !ok {
		return nil, errors.New("card has no body")
	}
	return card, nil
}

// parseFile checks a file message's content, {"file_key": …}, naming a
// file uploaded before, and returns the key.
func (s *Server) parseFile(content string) (string, error) {
	var c struct {
		FileKey string `json:"file_key"`
	}
	if err := json.Unmarshal([]byte(content), &c); err != nil || c.FileKey == "" {
		return "", errors.New(`content is not {"file_key": …}`)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.uploads {
		if u.FileKey == c.FileKey {
			return c.FileKey, nil
		}
	}
	return "", fmt.Errorf("file_key %q was not uploaded", c.FileKey)
}

// upload answers POST im/v1/files: a multipart form with file_type (one of
// fileTypes), file_name and a non-empty file part of at most 30 MB.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	refuse := s.refuseUp
	s.mu.Unlock()
	if refuse != 0 {
		codeErr(w, http.StatusBadRequest, refuse, "Access denied. One of the following scopes is required: [im:resource]")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		codeErr(w, http.StatusBadRequest, 234001, "Invalid request param: not a multipart form")
		return
	}
	u := Upload{FileType: r.FormValue("file_type"), FileName: r.FormValue("file_name")}
	f, hdr, err := r.FormFile("file")
	if err == nil {
		u.PartName = hdr.Filename
		u.Data, err = io.ReadAll(f)
		f.Close()
	}
	switch {
	case !fileTypes[u.FileType]:
		codeErr(w, http.StatusBadRequest, 234001, "Invalid request param: file_type")
	case u.FileName == "":
		codeErr(w, http.StatusBadRequest, 234001, "Invalid request param: file_name")
	case err != nil || len(u.Data) == 0:
		codeErr(w, http.StatusBadRequest, 234010, "File's size can't be 0.")
	case len(u.Data) > maxUpload:
		codeErr(w, http.StatusBadRequest, 234006, "The file size exceed the max value.")
	default:
		s.mu.Lock()
		s.seq++
		u.FileKey = fmt.Sprintf("file_v3_%016x", s.seq)
		s.uploads = append(s.uploads, u)
		s.mu.Unlock()
		reply(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"file_key": u.FileKey}})
	}
}

// RefuseUploads makes every later file upload fail with code (HTTP 400),
// such as 99991672 (the app lacks the im:resource scope); 0 accepts them
// again.
func (s *Server) RefuseUploads(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseUp = code
}

// Uploads returns the files uploaded so far.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploads...)
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in struct {
		Content string `json:"content"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		codeErr(w, http.StatusBadRequest, 230001, "invalid request body")
		return
	}
	card, err := parseCard("interactive", in.Content)
	if err != nil {
		codeErr(w, http.StatusBadRequest, 230099, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.ID != id {
			continue
		}
		if cfg, _ := m.Card["config"].(map[string]any); cfg["update_multi"] != true {
			codeErr(w, http.StatusBadRequest, 230001, "the card was not sent with update_multi")
			return
		}
		s.patches = append(s.patches, Patch{MessageID: id, Card: card})
		reply(w, http.StatusOK, map[string]any{"code": 0, "data": map[string]any{}, "msg": "ok"})
		return
	}
	codeErr(w, http.StatusBadRequest, 230001, "message not found")
}

func (s *Server) botInfo(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{
		"activate_status": 2, "app_name": s.BotName, "open_id": s.BotOpenID, "ip_white_list": []string{}}})
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.contact++
	s.mu.Unlock()
	if s.NoContactScope {
		codeErr(w, http.StatusBadRequest, 99991672, "Access denied. One of the following scopes is required: [contact:user.base:readonly]")
		return
	}
	name, ok := s.Users[r.PathValue("id")]
	if !ok || r.URL.Query().Get("user_id_type") != "open_id" {
		codeErr(w, http.StatusBadRequest, 41050, "no user authority error")
		return
	}
	u := map[string]any{"open_id": r.PathValue("id"), "name": name}
	if p, ok := s.Profiles[r.PathValue("id")]; ok {
		u["email"], u["mobile"], u["leader_user_id"] = p.Email, p.Mobile, p.Leader
		if p.Department != "" {
			u["department_ids"] = []string{p.Department}
		}
	}
	reply(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"user": u}})
}

// department answers department/get with the department's name.
func (s *Server) department(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.contact++
	s.mu.Unlock()
	name, ok := s.Departments[r.PathValue("id")]
	if s.NoContactScope || !ok {
		codeErr(w, http.StatusBadRequest, 40004, "no dept authority error")
		return
	}
	reply(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"department": map[string]any{"name": name, "open_department_id": r.PathValue("id")}}})
}

// ContactCalls counts the contact API calls.
func (s *Server) ContactCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contact
}

// Messages returns the messages sent so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Patches returns the card updates so far.
func (s *Server) Patches() []Patch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Patch(nil), s.patches...)
}

// ---- the long connection ----

func (s *Server) endpoint(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AppID     string `json:"AppID"`
		AppSecret string `json:"AppSecret"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	if in.AppID != s.AppID || in.AppSecret != s.AppSecret {
		reply(w, http.StatusOK, map[string]any{"code": larkws.AuthFailed, "msg": "auth failed"})
		return
	}
	u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws?device_id=fake-device&service_id=7"
	reply(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "data": map[string]any{
		"URL": u, "ClientConfig": map[string]any{"ReconnectCount": -1, "ReconnectInterval": 1, "ReconnectNonce": 1, "PingInterval": 120}}})
}

type wsConn struct {
	conn *websocket.Conn
	mu   sync.Mutex
}

func (c *wsConn) write(f larkws.Frame) error {
	b, err := f.Marshal()
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn.WriteMessage(websocket.BinaryMessage, b)
}

var upgrader = websocket.Upgrader{}

func (s *Server) ws(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{conn: conn}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.accepted++
	s.mu.Unlock()
	select {
	case s.connCh <- struct{}{}:
	default:
	}
	defer s.drop(c)
	for {
		mt, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var f larkws.Frame
		if mt != websocket.BinaryMessage || f.Unmarshal(msg) != nil {
			continue
		}
		hs := larkws.Headers(f.Headers)
		switch {
		case f.Method == int32(larkws.FrameTypeControl) && hs.GetString(larkws.HeaderType) == string(larkws.MessageTypePing):
			pong := larkws.Frame{Method: int32(larkws.FrameTypeControl), Service: f.Service,
				Headers: []larkws.Header{{Key: larkws.HeaderType, Value: string(larkws.MessageTypePong)}},
				Payload: []byte(`{"PingInterval":120}`)}
			_ = c.write(pong)
		case f.Method == int32(larkws.FrameTypeData):
			var resp larkws.Response
			_ = json.Unmarshal(f.Payload, &resp)
			s.mu.Lock()
			ch := s.acks[hs.GetString(larkws.HeaderMessageID)]
			s.mu.Unlock()
			if ch != nil {
				ch <- resp
			}
		}
	}
}

func (s *Server) drop(c *wsConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i], s.conns[i+1:]...)
			break
		}
	}
	_ = c.conn.Close()
}

// DropConnections closes every long connection, as when Feishu's gateway
// restarts.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.conns
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.conn.Close()
	}
}

// WaitConnected waits until a client holds a long connection.
func (s *Server) WaitConnected(ctx context.Context) error {
	return s.WaitConnections(ctx, 1)
}

// WaitConnections waits until n long connections were accepted in all and
// one is open; Push then uses the newest.
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		ok := s.accepted >= n && len(s.conns) > 0
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("feishufake: no long connection")
		case <-s.connCh:
		}
	}
}

// Push delivers an event over the long connection, split into parts of at
// most partSize bytes (0: one frame), and waits for the client's answer
// frame. It returns the answer's code and data.
func (s *Server) Push(ctx context.Context, event []byte, partSize int) (larkws.Response, error) {
	if err := s.WaitConnected(ctx); err != nil {
		return larkws.Response{}, err
	}
	s.mu.Lock()
	c := s.conns[len(s.conns)-1]
	s.frameSeq++
	id := fmt.Sprintf("msg-%d", s.frameSeq)
	ch := make(chan larkws.Response, 1)
	s.acks[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.acks, id)
		s.mu.Unlock()
	}()
	parts := [][]byte{event}
	if partSize > 0 {
		parts = nil
		for i := 0; i < len(event); i += partSize {
			parts = append(parts, event[i:min(i+partSize, len(event))])
		}
	}
	for i, p := range parts {
		f := larkws.Frame{SeqID: uint64(i), LogID: 1, Service: 7, Method: int32(larkws.FrameTypeData),
			Headers: []larkws.Header{
				{Key: larkws.HeaderType, Value: string(larkws.MessageTypeEvent)},
				{Key: larkws.HeaderMessageID, Value: id},
				{Key: larkws.HeaderSum, Value: strconv.Itoa(len(parts))},
				{Key: larkws.HeaderSeq, Value: strconv.Itoa(i)},
				{Key: larkws.HeaderTraceID, Value: "trace-" + id},
			}, Payload: p}
		if err := c.write(f); err != nil {
			return larkws.Response{}, err
		}
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-ctx.Done():
		return larkws.Response{}, errors.New("feishufake: no answer to the pushed event")
	}
}

// ---- webhook callbacks ----

// Signed is a webhook request as Feishu sends it: the encrypted body and
// its signature headers.
type Signed struct {
	Body      []byte
	Timestamp string
	Nonce     string
	Signature string
}

// Seal encrypts an event with EncryptKey and signs it at time at.
func (s *Server) Seal(event []byte, at time.Time) Signed {
	body, _ := json.Marshal(map[string]string{"encrypt": Encrypt(event, s.EncryptKey)})
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := "nonce-" + ts
	h := sha256.Sum256([]byte(ts + nonce + s.EncryptKey + string(body)))
	return Signed{Body: body, Timestamp: ts, Nonce: nonce, Signature: hex.EncodeToString(h[:])}
}

// Post sends a sealed callback to url and returns the status and body.
func Post(ctx context.Context, url string, sg Signed) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(sg.Body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Lark-Request-Timestamp", sg.Timestamp)
	req.Header.Set("X-Lark-Request-Nonce", sg.Nonce)
	req.Header.Set("X-Lark-Signature", sg.Signature)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, nil
}

// Encrypt encrypts as Feishu does: AES-256-CBC with key SHA-256(key), a
// random IV in front, PKCS#7 padding, base64.
func Encrypt(plain []byte, key string) string {
	k := sha256.Sum256([]byte(key))
	block, _ := aes.NewCipher(k[:])
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(append([]byte{}, plain...), bytes.Repeat([]byte{byte(n)}, n)...)
	out := make([]byte, aes.BlockSize+len(padded))
	_, _ = rand.Read(out[:aes.BlockSize])
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], padded)
	return base64.StdEncoding.EncodeToString(out)
}

// ---- events ----

// Mention is an @ in a message event.
type Mention struct {
	Key, OpenID, Name string
}

// MessageEvent returns an im.message.receive_v1 event, shaped like the
// official sample, of a text message.
func (s *Server) MessageEvent(eventID, messageID, chatType, chatID, senderOpenID, text string, mentions ...Mention) []byte {
	ms := []map[string]any{}
	for _, m := range mentions {
		id := map[string]any{"open_id": m.OpenID, "union_id": "on_" + m.OpenID, "user_id": "u_" + m.OpenID}
		if m.OpenID == s.BotOpenID {
			id = map[string]any{"open_id": m.OpenID, "union_id": "", "user_id": ""}
		}
		ms = append(ms, map[string]any{"key": m.Key, "id": id, "name": m.Name, "tenant_key": "736588c9260f175e"})
	}
	content, _ := json.Marshal(map[string]string{"text": text})
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	return s.event(eventID, "im.message.receive_v1", now, map[string]any{
		"sender": map[string]any{"sender_id": map[string]any{"open_id": senderOpenID, "union_id": "on_" + senderOpenID, "user_id": "u_" + senderOpenID},
			"sender_type": "user", "tenant_key": "736588c9260f175e"},
		"message": map[string]any{"message_id": messageID, "create_time": now, "update_time": now, "chat_id": chatID,
			"chat_type": chatType, "message_type": "text", "content": string(content), "mentions": ms},
	})
}

// CardAction returns a card.action.trigger callback, shaped like the
// official sample: a click on a button whose callback value is value, with
// a form's values.
func (s *Server) CardAction(eventID, operatorOpenID, messageID, chatID string, value, form map[string]any) []byte {
	action := map[string]any{"value": value, "tag": "button", "timezone": "Asia/Shanghai"}
	if form != nil {
		action["form_value"] = form
		action["name"] = "btn_submit"
	}
	return s.event(eventID, "card.action.trigger", strconv.FormatInt(time.Now().UnixMicro(), 10), map[string]any{
		"operator": map[string]any{"tenant_key": "2df73991750", "open_id": operatorOpenID, "union_id": "on_" + operatorOpenID},
		"token":    "c-token", "action": action, "host": "im_message",
		"context": map[string]any{"open_message_id": messageID, "open_chat_id": chatID},
	})
}

// BotAdded returns an im.chat.member.bot.added_v1 event.
func (s *Server) BotAdded(eventID, chatID, operatorOpenID string) []byte {
	return s.event(eventID, "im.chat.member.bot.added_v1", strconv.FormatInt(time.Now().UnixMilli(), 10), map[string]any{
		"chat_id": chatID, "operator_id": map[string]any{"open_id": operatorOpenID, "union_id": "on_" + operatorOpenID, "user_id": "u_" + operatorOpenID},
		"external": false, "name": "项目群",
	})
}

// URLVerification returns the challenge request.
func (s *Server) URLVerification(challenge, token string) []byte {
	b, _ := json.Marshal(map[string]string{"challenge": challenge, "token": token, "type": "url_verification"})
	return b
}

func (s *Server) event(eventID, typ, createTime string, body map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": eventID, "event_type": typ, "create_time": createTime,
			"token": s.VerificationToken, "app_id": s.AppID, "tenant_key": "2ca1d211f64f6438"},
		"event": body,
	})
	return b
}
