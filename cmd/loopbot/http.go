package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/loopbot/loopbot/adapters/playground"
	"github.com/loopbot/loopbot/bot"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes builds the one HTTP listener's handler (SPEC §10).
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !a.ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.registry, promhttp.HandlerOpts{}))
	a.adminRoutes(mux)
	a.fileRoutes(mux)
	if a.playground != nil {
		a.playground.Routes(mux)
	}
	a.boardRoutes(mux)
	a.feishuRoutes(mux)
	if a.wecom != nil {
		a.wecom.Routes(mux)
	}
	return a.recoverPanics(writeDeadlines(a.timeouts.Write, mux))
}

// writeDeadlines gives each response d to be written, counted from its
// first byte, so that a client that stops reading is cut off. Unlike
// http.Server.WriteTimeout, which counts from the request, it lets a handler
// work as long as its work takes (a long fake-clock advance) before it
// answers. A streamed response sets its own rolling deadline per chunk.
func writeDeadlines(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&deadlineResponse{ResponseWriter: w, d: d}, r)
	})
}

// deadlineResponse sets the write deadline of its connection when the
// response starts.
type deadlineResponse struct {
	http.ResponseWriter
	d       time.Duration
	started bool
}

func (w *deadlineResponse) start() {
	if !w.started {
		w.started = true
		_ = http.NewResponseController(w.ResponseWriter).SetWriteDeadline(time.Now().Add(w.d))
	}
}

func (w *deadlineResponse) WriteHeader(code int) {
	w.start()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineResponse) Write(p []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *deadlineResponse) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverPanics answers a request whose handler panicked with 500 and the
// internal error, and logs the panic once, without a stack trace, instead of
// letting net/http drop the connection and print the stack. The store turns
// its own panics (a damaged page) into errors; this is the last edge.
func (a *App) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			a.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
			writeError(w, http.StatusInternalServerError, bot.EINTERNAL, "internal error")
		}()
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (a *App) newPlayground() *playground.Adapter {
	pc := a.cfg.Playground
	people := make([]playground.Person, len(pc.People))
	for i, p := range pc.People {
		roles := p.Roles
		if roles == nil {
			roles = []string{}
		}
		people[i] = playground.Person{ID: p.ID, Name: p.Name, Roles: roles}
	}
	groups := make([]playground.Group, len(pc.Groups))
	for i, g := range pc.Groups {
		groups[i] = playground.Group{ID: g.ID, Name: g.Name, Members: g.Members}
	}
	cfg := playground.Config{People: people, Groups: groups, Log: a.store, Clock: a.clock, Logger: a.logger, PublicURL: a.cfg.Server.PublicURL}
	if a.fake != nil {
		cfg.FakeClock = a.fake
	}
	cfg.Zone = func(ctx context.Context, person string) *time.Location {
		if person == "" {
			return a.flows.Zone(ctx, "")
		}
		return a.flows.Zone(ctx, bot.PersonID(bot.Playground+":"+person))
	}
	return playground.New(cfg)
}

// seedPlayground writes the playground's people into the store. The config
// seeds them and fills their fields (name, manager, zone, role), but never
// overwrites what a person chose with /settings, or a role an admin gave
// with /role (bot.Person.Seed): those survive restarts.
func (a *App) seedPlayground(ctx context.Context) error {
	return a.store.Update(ctx, func(tx bot.Tx) error {
		for _, pp := range a.cfg.Playground.People {
			if err := seedPerson(tx, pp, a.now()); err != nil {
				return err
			}
		}
		return nil
	})
}

func seedPerson(tx bot.Tx, pp PlaygroundPerson, now time.Time) error {
	id := bot.PersonID(bot.Playground + ":" + pp.ID)
	p, err := tx.Person(id)
	isNew := bot.ErrorCode(err) == bot.ENOTFOUND
	if isNew {
		p = bot.Person{ID: id, Role: bot.RoleMember, CreatedAt: now}
	} else if err != nil {
		return err
	}
	seed := bot.Person{Name: pp.Name, Email: pp.Email, Timezone: pp.Timezone, Department: pp.Department}
	if pp.Manager != "" {
		// Records name a linked person by their canonical id.
		if seed.Manager, err = tx.ResolvePerson(bot.PersonID(bot.Playground + ":" + pp.Manager)); err != nil {
			return err
		}
	}
	if len(pp.Roles) > 0 {
		seed.Role = highestRole(pp.Roles)
	}
	if !p.Seed(seed) && !isNew {
		return nil
	}
	p.UpdatedAt = now
	return tx.PutPerson(p)
}

// seedAdmins gives each person of server.admins the admin role in the
// store, creating the ones it does not know yet. flows reads the list only
// when it first meets a person, so without this step a person added to the
// list after their first message would stay what they were. Someone taken
// off the list keeps the role the store has: /role may have granted it.
// It runs after seedPlayground, so that the list wins over a playground
// person's roles.
func (a *App) seedAdmins(ctx context.Context) error {
	if len(a.cfg.Server.Admins) == 0 {
		return nil
	}
	return a.store.Update(ctx, func(tx bot.Tx) error {
		for _, id := range a.admins() {
			if err := seedAdmin(tx, id, a.now()); err != nil {
				return err
			}
		}
		return nil
	})
}

// seedAdmin makes the person id an admin, recording a change of role in the
// audit log with no actor (the config made it).
func seedAdmin(tx bot.Tx, id bot.PersonID, now time.Time) error {
	p, err := tx.Person(id)
	switch {
	case bot.ErrorCode(err) == bot.ENOTFOUND:
		p = bot.Person{ID: id, CreatedAt: now}
	case err != nil:
		return err
	case p.Role == bot.RoleAdmin:
		return nil
	}
	old := p.Role
	p.Role, p.UpdatedAt = bot.RoleAdmin, now
	if err := tx.PutPerson(p); err != nil {
		return err
	}
	return tx.AppendAudit(bot.AuditEvent{Time: now, Kind: "role", Field: "role", Old: string(old), New: string(bot.RoleAdmin), Note: string(id)})
}

func highestRole(roles []string) bot.Role {
	best := bot.RoleMember
	for _, r := range roles {
		switch bot.Role(strings.ToLower(r)) {
		case bot.RoleAdmin:
			return bot.RoleAdmin
		case bot.RoleManager:
			best = bot.RoleManager
		}
	}
	return best
}
