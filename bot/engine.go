package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Handler holds the business rules the engine routes events to. Each method
// runs inside the event's transaction: what it writes, and the outbox items
// it queues, commit together with the event's de-duplication mark.
type Handler interface {
	HandleMessage(ctx context.Context, tx Tx, ev Event) error
	HandleAction(ctx context.Context, tx Tx, ev Event) (Response, error)
	// Refused answers an event whose handling failed with err (whose
	// changes were rolled back): a reply in chat, or a toast.
	Refused(ctx context.Context, tx Tx, ev Event, err error) (Response, error)
}

// Engine routes verified inbound events to the handler, once each.
type Engine struct {
	store   Store
	handler Handler
	logger  *slog.Logger
	// Committed is called after every transaction that may have queued
	// outgoing messages, to wake the dispatcher.
	Committed func()
	// Observe, if set, is told of each handled event and its outcome code
	// ("" for success, "duplicate", or an error code).
	Observe func(ev Event, outcome string)
}

// NewEngine returns an engine over store and handler.
func NewEngine(store Store, handler Handler, logger *slog.Logger) *Engine {
	return &Engine{store: store, handler: handler, logger: logger.With("component", "engine")}
}

var errDuplicate = errors.New("duplicate event")

// Handle processes one event: it de-duplicates by event id, runs the
// handler in one transaction, and on failure rolls back and answers with a
// refusal. Internal errors are logged here, once, without message text. The
// returned error is only for failures of the store itself.
func (e *Engine) Handle(ctx context.Context, ev Event) (Response, error) {
	hooks := &commitHooks{}
	ctx = context.WithValue(ctx, hooksKey{}, hooks)
	resp, err := e.run(ctx, ev, func(tx Tx) (Response, error) {
		if ev.Kind == EventAction {
			return e.handler.HandleAction(ctx, tx, ev)
		}
		return Response{}, e.handler.HandleMessage(ctx, tx, ev)
	})
	switch {
	case errors.Is(err, errDuplicate):
		e.observe(ev, "duplicate")
		return Response{}, nil
	case err == nil:
		hooks.run()
		e.observe(ev, "")
		e.committed()
		return resp, nil
	}
	e.observe(ev, ErrorCode(err))
	refused := &commitHooks{}
	ctx = context.WithValue(ctx, hooksKey{}, refused)
	resp, rerr := e.run(ctx, ev, func(tx Tx) (Response, error) {
		return e.handler.Refused(ctx, tx, ev, err)
	})
	if errors.Is(rerr, errDuplicate) {
		e.logRefusal(ev, err)
		return Response{}, nil
	} else if rerr != nil {
		// The caller gets an internal error and logs it, so it is logged
		// once, by the edge that answers it: the event's own when it was
		// one (a damaged store), else the refusal's.
		if ErrorCode(err) == EINTERNAL {
			return Response{Toast: ErrorMessage(err)}, err
		}
		e.logRefusal(ev, err)
		return Response{Toast: ErrorMessage(rerr)}, rerr
	}
	e.logRefusal(ev, err)
	refused.run()
	e.committed()
	return resp, nil
}

func (e *Engine) run(ctx context.Context, ev Event, fn func(Tx) (Response, error)) (Response, error) {
	var resp Response
	err := e.store.Update(ctx, func(tx Tx) error {
		if ev.ID != "" {
			seen, err := tx.SeenEvent(ev.ID)
			if err != nil {
				return err
			} else if seen {
				return errDuplicate
			}
			if err := tx.MarkEvent(ev.ID, ev.Time); err != nil {
				return err
			}
		}
		var err error
		resp, err = fn(tx)
		return err
	})
	return resp, err
}

func (e *Engine) logRefusal(ev Event, err error) {
	attrs := []any{"event_id", ev.ID, "platform", ev.Platform, "kind", ev.Kind, "from", string(ev.From)}
	if ev.Action != nil {
		attrs = append(attrs, "action", ev.Action.Name)
	}
	switch ErrorCode(err) {
	case EINTERNAL:
		e.logger.Error("event failed", append(attrs, slog.Any("error", err))...)
	case EFORBIDDEN:
		e.logger.Warn("event refused", append(attrs, "code", EFORBIDDEN)...)
	default:
		e.logger.Debug("event refused", append(attrs, "code", ErrorCode(err))...)
	}
}

func (e *Engine) committed() {
	if e.Committed != nil {
		e.Committed()
	}
}

func (e *Engine) observe(ev Event, outcome string) {
	if e.Observe != nil {
		e.Observe(ev, outcome)
	}
}

type hooksKey struct{}

type commitHooks struct {
	mu  sync.Mutex
	fns []func()
}

func (h *commitHooks) run() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, fn := range h.fns {
		fn()
	}
	h.fns = nil
}

// AfterCommit registers fn to run once the transaction of the event being
// handled in ctx has committed; if it rolls back, fn never runs. Outside an
// engine-handled event it runs fn at once. Use it for in-memory state that
// mirrors the store (the calendar).
func AfterCommit(ctx context.Context, fn func()) {
	h, ok := ctx.Value(hooksKey{}).(*commitHooks)
	if !ok {
		fn()
		return
	}
	h.mu.Lock()
	h.fns = append(h.fns, fn)
	h.mu.Unlock()
}
