package feishu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// The long connection (长连接) follows the SDK's ws/client.go: POST
// /callback/ws/endpoint with AppID and AppSecret returns a wss URL (with
// device_id and service_id in its query) and a ClientConfig; the socket
// carries protobuf frames (ws/pbbp2.pb.go). Control frames (method 0) are
// ping and pong; data frames (method 1) carry an event in their payload,
// split in sum parts numbered by seq under one message_id. Each data frame
// is answered with the same frame whose payload is a JSON Response {code,
// headers, data}: data holds the card callback's answer.

// Defaults of the long connection, until the server's ClientConfig says
// otherwise.
const (
	defaultPingInterval = 2 * time.Minute
	minReconnect        = time.Second
	maxReconnect        = 2 * time.Minute
	// fragmentTTL is how long the parts of a split event are kept.
	fragmentTTL = 10 * time.Second
)

// runLongConnection keeps the long connection up until ctx ends,
// reconnecting with a growing, jittered wait.
func (a *Adapter) runLongConnection(ctx context.Context) {
	wait := minReconnect
	for ctx.Err() == nil {
		began := time.Now()
		err := a.connectOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > time.Minute {
			wait = minReconnect
		}
		a.log.Warn("long connection lost; reconnecting", "in", wait.String(), slog.Any("error", err))
		if sleep(ctx, wait+rand.N(wait/2+1)) != nil {
			return
		}
		wait = min(wait*2, maxReconnect)
	}
}

// endpoint asks for the long connection's URL.
func (a *Adapter) endpoint(ctx context.Context) (string, *larkws.ClientConfig, error) {
	body, _ := json.Marshal(map[string]string{"AppID": a.cfg.AppID, "AppSecret": a.cfg.AppSecret})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.BaseURL+larkws.GenEndpointUri, bytes.NewReader(body))
	if err != nil {
		return "", nil, fmt.Errorf("feishu: ws endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("locale", "zh")
	hc := a.cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("feishu: ws endpoint: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var er larkws.EndpointResp
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &er) != nil {
		return "", nil, fmt.Errorf("feishu: ws endpoint: HTTP %d", resp.StatusCode)
	}
	if er.Code != larkws.OK || er.Data == nil || er.Data.Url == "" {
		return "", nil, &APIError{Op: "ws endpoint", Status: resp.StatusCode, Code: er.Code, Msg: er.Msg}
	}
	return er.Data.Url, er.Data.ClientConfig, nil
}

// connectOnce opens one connection and serves it until it breaks or ctx
// ends.
func (a *Adapter) connectOnce(ctx context.Context) error {
	addr, conf, err := a.endpoint(ctx)
	if err != nil {
		return err
	}
	u, err := url.Parse(addr)
	if err != nil {
		return fmt.Errorf("feishu: ws endpoint: bad URL: %w", err)
	}
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	conn, resp, err := dialer.DialContext(ctx, addr, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("feishu: ws connect: HTTP %d %s", resp.StatusCode, resp.Header.Get(larkws.HeaderHandshakeMsg))
		}
		return fmt.Errorf("feishu: ws connect: %w", err)
	}
	serviceID, _ := strconv.ParseInt(u.Query().Get(larkws.ServiceID), 10, 32)
	s := &wsSession{a: a, conn: conn, serviceID: int32(serviceID), ping: defaultPingInterval,
		parts: map[string]*fragments{}}
	s.configure(conf)
	a.log.Info("long connection up", "conn_id", u.Query().Get(larkws.DeviceID))
	a.connectedOnce.Do(func() { close(a.connected) })
	return s.serve(ctx)
}

// wsSession is one open long connection.
type wsSession struct {
	a         *Adapter
	conn      *websocket.Conn
	serviceID int32

	writeMu sync.Mutex
	mu      sync.Mutex
	ping    time.Duration
	parts   map[string]*fragments
}

// fragments are the parts of a split event.
type fragments struct {
	parts [][]byte
	until time.Time
}

// configure applies the server's ClientConfig (intervals in seconds).
func (s *wsSession) configure(c *larkws.ClientConfig) {
	if c == nil || c.PingInterval <= 0 {
		return
	}
	s.mu.Lock()
	s.ping = time.Duration(c.PingInterval) * time.Second
	s.mu.Unlock()
}

func (s *wsSession) pingInterval() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ping
}

// serve reads frames until the connection breaks or ctx ends, then waits
// for the events being handled.
func (s *wsSession) serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	go func() {
		<-ctx.Done()
		_ = s.conn.Close()
	}()
	wg.Go(func() { s.pingLoop(ctx) })
	for {
		mt, msg, err := s.conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("feishu: ws read: %w", err)
		}
		if mt != websocket.BinaryMessage {
			continue
		}
		var f larkws.Frame
		if err := f.Unmarshal(msg); err != nil {
			s.a.log.Warn("bad long connection frame", slog.Any("error", err))
			continue
		}
		switch larkws.FrameType(f.Method) {
		case larkws.FrameTypeControl:
			s.control(f)
		case larkws.FrameTypeData:
			wg.Go(func() { s.data(context.WithoutCancel(ctx), f) })
		}
	}
}

// pingLoop sends a ping frame every ping interval.
func (s *wsSession) pingLoop(ctx context.Context) {
	for {
		if sleep(ctx, s.pingInterval()) != nil {
			return
		}
		f := larkws.NewPingFrame(s.serviceID)
		if err := s.write(f); err != nil {
			s.a.log.Debug("ping failed", slog.Any("error", err))
		}
	}
}

// control handles a pong, which may carry a new ClientConfig.
func (s *wsSession) control(f larkws.Frame) {
	hs := larkws.Headers(f.Headers)
	if larkws.MessageType(hs.GetString(larkws.HeaderType)) != larkws.MessageTypePong || len(f.Payload) == 0 {
		return
	}
	var c larkws.ClientConfig
	if json.Unmarshal(f.Payload, &c) == nil {
		s.configure(&c)
	}
}

// data handles an event frame and answers it once the engine has committed
// the event. A frame of another type (the card frames loopbot does not
// subscribe to) is left unanswered, as the SDK does.
func (s *wsSession) data(ctx context.Context, f larkws.Frame) {
	hs := larkws.Headers(f.Headers)
	if larkws.MessageType(hs.GetString(larkws.HeaderType)) != larkws.MessageTypeEvent {
		return
	}
	payload := f.Payload
	if sum := hs.GetInt(larkws.HeaderSum); sum > 1 {
		if payload = s.combine(hs.GetString(larkws.HeaderMessageID), sum, hs.GetInt(larkws.HeaderSeq), payload); payload == nil {
			return
		}
	}
	began := time.Now()
	resp := larkws.NewResponseByCode(http.StatusOK)
	env, err := parseEnvelope(payload)
	if err == nil {
		// Feishu waits 3 s for the answer here as over HTTP.
		hctx, cancel := context.WithTimeout(ctx, answerWithin)
		var answer any
		answer, err = s.a.handleEnvelope(hctx, env)
		cancel()
		if err != nil {
			s.a.log.Error("event not handled; Feishu will deliver it again", "event_id", env.Header.EventID, slog.Any("error", err))
			resp = larkws.NewResponseByCode(http.StatusInternalServerError)
		} else if answer != nil {
			resp.Data, _ = json.Marshal(answer)
		}
	} else {
		s.a.log.Warn("event dropped", slog.Any("error", err))
	}
	hs.Add(larkws.HeaderBizRt, strconv.FormatInt(time.Since(began).Milliseconds(), 10))
	f.Headers = hs
	f.Payload, _ = json.Marshal(resp)
	if err := s.write(&f); err != nil {
		s.a.log.Warn("event answer not sent; Feishu will deliver it again", slog.Any("error", err))
	}
}

// combine collects the parts of a split event; it returns the whole
// payload once every part is in, else nil.
func (s *wsSession) combine(id string, sum, seq int, part []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for k, fr := range s.parts {
		if now.After(fr.until) {
			delete(s.parts, k)
		}
	}
	if seq < 0 || seq >= sum || sum > 1000 {
		return nil
	}
	fr, ok := s.parts[id]
	if !ok || len(fr.parts) != sum {
		fr = &fragments{parts: make([][]byte, sum)}
		s.parts[id] = fr
	}
	fr.parts[seq], fr.until = part, now.Add(fragmentTTL)
	var whole []byte
	for _, p := range fr.parts {
		if p == nil {
			return nil
		}
		whole = append(whole, p...)
	}
	delete(s.parts, id)
	return whole
}

// write sends a frame; writes are serialized.
func (s *wsSession) write(f *larkws.Frame) error {
	b, err := f.Marshal()
	if err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := s.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		return errors.Join(errors.New("feishu: ws write"), err)
	}
	return nil
}
