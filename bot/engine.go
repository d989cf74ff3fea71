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
// handler in one transaction (shared with the events handled at the same
// moment, whose commit it joins; see Store.Batch), and on failure rolls
// back and answers with a refusal. Internal errors are logged here, once,
// without message text. The returned error is only for failures of the
// store itself.
func (e *Engine) Handle(ctx context.Context, ev Event) (Response, error) {
	_, resp, err := e.HandleWith(ctx, ev, nil)
	return resp, err
}

// HandleWith is Handle for a messenger that records the inbound message
// itself (the playground's chat line): prepare, when not nil, runs first in
// the event's transaction, and again in the refusal's, so that the record
// and the handling commit together; it may complete ev (its ID, its Time)
// from what it wrote. Like any Batch callback it may run more than once. It
// returns the event as handled.
func (e *Engine) HandleWith(ctx context.Context, ev Event, prepare func(tx Tx, ev *Event) error) (Event, Response, error) {
	hooks := &commitHooks{}
	hctx := context.WithValue(ctx, hooksKey{}, hooks)
	done, resp, err := e.run(hctx, ev, prepare, func(tx Tx, ev Event) (Response, error) {
		if ev.Kind == EventAction {
			return e.handler.HandleAction(hctx, tx, ev)
		}
		return Response{}, e.handler.HandleMessage(hctx, tx, ev)
	})
	switch {
	case errors.Is(err, errDuplicate):
		e.observe(done, "duplicate")
		return done, Response{}, nil
	case err == nil:
		hooks.run()
		e.observe(done, "")
		e.committed()
		return done, resp, nil
	}
	e.observe(done, ErrorCode(err))
	refused := &commitHooks{}
	rctx := context.WithValue(ctx, hooksKey{}, refused)
	done, resp, rerr := e.run(rctx, ev, prepare, func(tx Tx, ev Event) (Response, error) {
		return e.handler.Refused(rctx, tx, ev, err)
	})
	if errors.Is(rerr, errDuplicate) {
		e.logRefusal(done, err)
		return done, Response{}, nil
	} else if rerr != nil {
		// The caller gets an internal error and logs it, so it is logged
		// once, by the edge that answers it: the event's own when it was
		// one (a damaged store), else the refusal's.
		if ErrorCode(err) == EINTERNAL {
			return done, Response{Toast: ErrorMessage(err)}, err
		}
		e.logRefusal(done, err)
		return done, Response{Toast: ErrorMessage(rerr)}, rerr
	}
	e.logRefusal(done, err)
	refused.run()
	e.committed()
	return done, resp, nil
}

// run runs prepare and fn in the event's transaction, which it may share
// with other events handled at the same moment (Store.Batch). Each run
// starts afresh from ev, with no commit hooks and no response, since a
// shared transaction that rolls back runs it again.
func (e *Engine) run(ctx context.Context, ev Event, prepare func(Tx, *Event) error, fn func(Tx, Event) (Response, error)) (Event, Response, error) {
	var (
		resp Response
		done Event
	)
	hooks, _ := ctx.Value(hooksKey{}).(*commitHooks)
	err := e.store.Batch(ctx, func(tx Tx) error {
		resp, done = Response{}, ev
		if hooks != nil {
			hooks.reset()
		}
		if prepare != nil {
			if err := prepare(tx, &done); err != nil {
				return err
			}
		}
		if done.ID != "" {
			seen, err := tx.SeenEvent(done.ID)
			if err != nil {
				return err
			} else if seen {
				return errDuplicate
			}
			if err := tx.MarkEvent(done.ID, done.Time); err != nil {
				return err
			}
		}
		var err error
		resp, err = fn(tx, done)
		return err
	})
	return done, resp, err
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

func (h *commitHooks) reset() {
	h.mu.Lock()
	h.fns = nil
	h.mu.Unlock()
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
