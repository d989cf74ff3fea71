package dingtalk

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
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/utils"
)

// The Stream protocol (open-dingtalk/developerpedia docs/learn/stream/
// protocol.md; SDK v0.9.1 client/client.go): POST
// /v1.0/gateway/connections/open with the app's credentials and the
// subscriptions returns an endpoint and a one-time ticket; the websocket at
// endpoint?ticket=… then pushes frames {specVersion, type, headers, data}
// of type SYSTEM, EVENT or CALLBACK, and each frame is answered with
// {code, headers{messageId, contentType}, message, data}.
//
// The SDK's own loop writes each answer from the frame's goroutine without
// a lock, which gorilla/websocket does not allow (concurrent writes panic
// and answers are lost). So loopbot uses the SDK for its constants
// and payload types only, and runs the connection itself: one reader,
// one writer goroutine that owns every write, and the frames handled
// concurrently, each answered only after its event has committed.

// Frame types and SYSTEM topics.
const (
	typeSystem   = utils.SubscriptionTypeKSystem
	typeEvent    = utils.SubscriptionTypeKEvent
	typeCallback = utils.SubscriptionTypeKCallback
	topicPing    = "ping"
	topicDisconn = "disconnect"
)

// Defaults of the connection loop.
const (
	maxInFlight   = 32
	minBackoff    = time.Second
	maxBackoff    = time.Minute
	writeTimeout  = 10 * time.Second
	keepAliveIdle = 2 * time.Minute
)

// FrameHandler handles one CALLBACK or EVENT frame and returns the answer
// to send. It returns only once what the frame asked for has committed.
type FrameHandler func(ctx context.Context, df *payload.DataFrame) *payload.DataFrameResponse

// Stream is a Stream-mode connection that is kept open: it reconnects with
// backoff after a drop, and at once after a SYSTEM disconnect.
type Stream struct {
	Host, ClientID, ClientSecret string
	// Topics are the CALLBACK topics to subscribe to.
	Topics []string
	Handle FrameHandler
	Logger *slog.Logger
	Dialer *websocket.Dialer
	// HTTPClient makes the connections/open call (15 s timeout when nil).
	HTTPClient *http.Client
	// UA is the client's name in the connection-open request's ua field
	// (and its User-Agent header), such as "loopbot/1.4.0"; "loopbot" when
	// empty.
	UA string
	// MinBackoff is the first wait before reconnecting after a drop (1 s
	// when zero); it doubles up to a minute while connecting fails.
	MinBackoff time.Duration
	backoff    time.Duration
}

// errDisconnect ends a session after the gateway asked for it.
var errDisconnect = errors.New("gateway asked to disconnect")

// Run keeps the stream connected until ctx ends.
func (s *Stream) Run(ctx context.Context) error {
	if s.MinBackoff <= 0 {
		s.MinBackoff = minBackoff
	}
	s.backoff = s.MinBackoff
	for ctx.Err() == nil {
		err := s.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errDisconnect) {
			s.Logger.Info("stream: reconnecting as the gateway asked")
			s.backoff = s.MinBackoff
			continue
		}
		wait := s.backoff/2 + rand.N(s.backoff/2+1)
		s.Logger.Warn("stream: connection lost; reconnecting", "in", wait.String(), slog.Any("error", err))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		s.backoff = min(s.backoff*2, maxBackoff)
	}
	return nil
}

// Subscriptions are what loopbot subscribes to, in the order of
// protocol.md's example: every EVENT ("*", answered SUCCESS and otherwise
// ignored), then the CALLBACK topics. SYSTEM frames (ping, disconnect) come
// without a subscription.
func (s *Stream) Subscriptions() []*payload.SubscriptionModel {
	subs := []*payload.SubscriptionModel{{Type: typeEvent, Topic: "*"}}
	for _, t := range s.Topics {
		subs = append(subs, &payload.SubscriptionModel{Type: typeCallback, Topic: t})
	}
	return subs
}

// Endpoint asks the gateway for a connection endpoint and ticket: POST
// {Host}/v1.0/gateway/connections/open with {clientId, clientSecret,
// subscriptions, ua, localIp} (payload.ConnectionEndpointRequest), answered
// {endpoint, ticket}. The request is ours, not the SDK's: the SDK adds
// SYSTEM subscriptions in map order, the documented request has none, and
// the SDK's ua names the SDK ("dingtalk-sdk-go/…"), ours names loopbot.
func (s *Stream) Endpoint(ctx context.Context) (*payload.ConnectionEndpointResponse, error) {
	body := struct {
		ClientID      string                       `json:"clientId"`
		ClientSecret  string                       `json:"clientSecret"`
		Subscriptions []*payload.SubscriptionModel `json:"subscriptions"`
		UA            string                       `json:"ua"`
		LocalIP       string                       `json:"localIp"`
	}{s.ClientID, s.ClientSecret, s.Subscriptions(), s.ua(), ""}
	if ip, err := utils.GetFirstLanIP(); err == nil {
		body.LocalIP = ip
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Host+utils.GetConnectionEndpointAPIUrl, bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("connections/open: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", s.ua())
	hc := s.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("connections/open: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("connections/open: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		ae := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(out, ae)
		return nil, fmt.Errorf("connections/open: %s", oneLine(ae.Error()))
	}
	ep := &payload.ConnectionEndpointResponse{}
	if err := json.Unmarshal(out, ep); err != nil {
		return nil, fmt.Errorf("connections/open: answer is not JSON: %w", err)
	}
	if err := ep.Valid(); err != nil {
		return nil, fmt.Errorf("connections/open: answer without endpoint or ticket")
	}
	return ep, nil
}

// ua is the client's name in the connection-open request.
func (s *Stream) ua() string {
	if s.UA == "" {
		return "loopbot"
	}
	return s.UA
}

// Dial opens the websocket of an endpoint.
func (s *Stream) Dial(ctx context.Context, ep *payload.ConnectionEndpointResponse) (*websocket.Conn, error) {
	u, err := url.Parse(ep.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("stream endpoint %q: %w", ep.Endpoint, err)
	}
	q := u.Query()
	q.Set("ticket", ep.Ticket)
	u.RawQuery = q.Encode()
	d := s.Dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	conn, resp, err := d.DialContext(ctx, u.String(), http.Header{"User-Agent": {s.ua()}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("stream: connect: HTTP %d", resp.StatusCode)
		}
		return nil, fmt.Errorf("stream: connect: %w", err)
	}
	return conn, nil
}

// session runs one connection until it drops or the gateway asks to
// disconnect. The frames in hand are finished, and answered while the
// connection still takes writes, before it returns.
func (s *Stream) session(ctx context.Context) error {
	ep, err := s.Endpoint(ctx)
	if err != nil {
		return err
	}
	conn, err := s.Dial(ctx, ep)
	if err != nil {
		return err
	}
	s.backoff = s.MinBackoff
	w := newWriter(conn)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	var inflight sync.WaitGroup
	err = s.read(ctx, conn, w, &inflight)
	inflight.Wait()
	w.close()
	_ = conn.Close()
	return err
}

// read reads frames until the connection fails or a disconnect comes.
func (s *Stream) read(ctx context.Context, conn *websocket.Conn, w *writer, inflight *sync.WaitGroup) error {
	sem := make(chan struct{}, maxInFlight)
	// The connection is alive while frames or the pongs of the writer's
	// pings come in; three silent minutes mean it is gone.
	alive := func() { _ = conn.SetReadDeadline(time.Now().Add(keepAliveIdle + time.Minute)) }
	conn.SetPongHandler(func(string) error { alive(); return nil })
	alive()
	for {
		kind, raw, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		alive()
		if kind != websocket.TextMessage {
			continue
		}
		df, err := decodeFrame(raw)
		if err != nil {
			s.Logger.Warn("stream: undecodable frame dropped", "bytes", len(raw))
			continue
		}
		if df.Type == typeSystem {
			if df.GetTopic() == topicDisconn {
				return errDisconnect
			}
			w.send(systemAnswer(df))
			continue
		}
		sem <- struct{}{}
		inflight.Add(1)
		go func() {
			defer func() { <-sem; inflight.Done() }()
			w.send(s.answer(ctx, df))
		}()
	}
}

// decodeFrame reads a frame (payload.DataFrame). It also takes the two
// variants protocol.md itself shows: a frame with trailing commas (its
// ping example) and one whose headers are named "header" (its second EVENT
// example). A frame without headers is an error.
func decodeFrame(raw []byte) (*payload.DataFrame, error) {
	df, err := payload.DecodeDataFrame(raw)
	if err != nil {
		raw = dropTrailingCommas(raw)
		if df, err = payload.DecodeDataFrame(raw); err != nil {
			return nil, err
		}
	}
	if df.Headers == nil {
		var alt struct {
			Header payload.DataFrameHeader `json:"header"`
		}
		if json.Unmarshal(raw, &alt) == nil {
			df.Headers = alt.Header
		}
	}
	if df.Headers == nil {
		return nil, errors.New("frame without headers")
	}
	return df, nil
}

// dropTrailingCommas removes each comma, outside strings, that is followed
// only by white space before a closing brace or bracket.
func dropTrailingCommas(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	inString, escaped := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString:
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == ',':
			j := i + 1
			for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r') {
				j++
			}
			if j < len(raw) && (raw[j] == '}' || raw[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// answer runs the handler for a frame; a panic in it is an error answer,
// so that the frame is pushed again, never a crash.
func (s *Stream) answer(ctx context.Context, df *payload.DataFrame) (resp *payload.DataFrameResponse) {
	defer func() {
		if r := recover(); r != nil {
			s.Logger.Error("stream: frame handler panicked", "topic", df.GetTopic(), "message_id", df.GetMessageId(), "panic", fmt.Sprint(r))
			resp = errorAnswer(df, errors.New("internal error"))
		}
	}()
	resp = s.Handle(ctx, df)
	if resp == nil {
		resp = payload.NewSuccessDataFrameResponse()
	}
	resp.SetHeader(payload.DataFrameHeaderKMessageId, df.GetMessageId())
	resp.SetHeader(payload.DataFrameHeaderKContentType, payload.DataFrameContentTypeKJson)
	if resp.Message == "" {
		resp.Message = "OK"
	}
	return resp
}

// systemAnswer answers a SYSTEM frame: ping is answered with its own
// messageId and data (the opaque value), as protocol.md shows.
func systemAnswer(df *payload.DataFrame) *payload.DataFrameResponse {
	resp := payload.NewDataFrameAckPong(df.GetMessageId())
	resp.Message = "OK"
	resp.Data = df.Data
	return resp
}

// errorAnswer is a 500 answer: DingTalk pushes the frame again later.
func errorAnswer(df *payload.DataFrame, err error) *payload.DataFrameResponse {
	resp := payload.NewErrorDataFrameResponse(err)
	resp.SetHeader(payload.DataFrameHeaderKMessageId, df.GetMessageId())
	resp.SetHeader(payload.DataFrameHeaderKContentType, payload.DataFrameContentTypeKJson)
	return resp
}

// writer owns every write to the connection: frames' answers come in on a
// channel and one goroutine writes them in turn, with websocket pings when
// the connection is idle.
type writer struct {
	conn *websocket.Conn
	in   chan []byte
	done chan struct{}
	quit chan struct{}
	once sync.Once
}

func newWriter(conn *websocket.Conn) *writer {
	w := &writer{conn: conn, in: make(chan []byte, 64), done: make(chan struct{}), quit: make(chan struct{})}
	go w.loop()
	return w
}

func (w *writer) loop() {
	defer close(w.done)
	idle := time.NewTicker(keepAliveIdle)
	defer idle.Stop()
	for {
		select {
		case msg := <-w.in:
			_ = w.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := w.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				w.drain()
				return
			}
		case <-idle.C:
			_ = w.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout))
		case <-w.quit:
			w.flush()
			return
		}
	}
}

// flush writes what is queued, then stops.
func (w *writer) flush() {
	for {
		select {
		case msg := <-w.in:
			_ = w.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if w.conn.WriteMessage(websocket.TextMessage, msg) != nil {
				return
			}
		default:
			return
		}
	}
}

// drain discards answers after the connection failed until close, so that
// no sender blocks; DingTalk pushes those frames again.
func (w *writer) drain() {
	for {
		select {
		case <-w.in:
		case <-w.quit:
			return
		}
	}
}

// send queues an answer; it never blocks once the writer has stopped.
func (w *writer) send(resp *payload.DataFrameResponse) {
	raw, err := json.Marshal(resp)
	if err != nil {
		return
	}
	select {
	case w.in <- raw:
	case <-w.done:
	}
}

// close flushes the queued answers and stops the writer.
func (w *writer) close() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

// oneLine shortens an error text from the gateway to one line.
func oneLine(s string) string {
	for i, r := range s {
		if r == '\n' || i > 300 {
			return s[:i]
		}
	}
	return s
}
