package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/command"
)

// adminRoutes registers the admin API (SPEC §10) behind the bearer
// server.admin_token. Without a token the API answers 403.
func (a *App) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/projects", a.auth(a.apiProjects))
	mux.HandleFunc("GET /api/v1/projects/{id}", a.auth(a.apiProject))
	mux.HandleFunc("GET /api/v1/tasks", a.auth(a.apiTasks))
	mux.HandleFunc("GET /api/v1/tasks/{id}", a.auth(a.apiTask))
	mux.HandleFunc("GET /api/v1/outbox/dead", a.auth(a.apiDead))
	mux.HandleFunc("POST /api/v1/backup", a.auth(a.apiBackup))
	mux.HandleFunc("GET /api/v1/export", a.auth(a.apiExport))
	a.loopRoutes(mux)
	a.importRoutes(mux)
	a.peopleRoutes(mux)
}

func (a *App) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := a.cfg.Server.AdminToken
		if token == "" {
			writeError(w, http.StatusForbidden, bot.EFORBIDDEN, "the admin API is off; set server.admin_token")
			return
		}
		// Both sides are hashed first, so that the comparison takes the
		// same time whatever the length of what was sent.
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		want := sha256.Sum256([]byte("Bearer " + token))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="loopbot"`)
			writeError(w, http.StatusUnauthorized, bot.EFORBIDDEN, "a valid bearer token is required")
			return
		}
		next(w, r)
	}
}

// apiProjectJSON is a project as the admin API shows it.
type apiProjectJSON struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Owner      bot.PersonID `json:"owner"`
	Managers   []string     `json:"managers"`
	Members    []string     `json:"members"`
	Groups     []string     `json:"groups"`
	Start      bot.Date     `json:"start,omitzero"`
	Deadline   bot.Date     `json:"deadline,omitzero"`
	Acceptance bool         `json:"acceptance"`
	Closed     bool         `json:"closed"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

func projectJSON(p bot.Project) apiProjectJSON {
	groups := make([]string, len(p.Groups))
	for i, g := range p.Groups {
		groups[i] = g.String()
	}
	return apiProjectJSON{ID: p.Code(), Name: p.Name, Owner: p.Owner, Managers: ids(p.Managers), Members: ids(p.Members), Groups: groups,
		Start: p.Start, Deadline: p.Deadline, Acceptance: p.Acceptance, Closed: p.Closed, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func ids(people []bot.PersonID) []string {
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = string(p)
	}
	return out
}

// apiTaskJSON is a task with the fields SPEC §10 lists, and its
// milestone flag (SPEC §2).
type apiTaskJSON struct {
	ID           string         `json:"id"`
	Project      string         `json:"project"`
	Parent       string         `json:"parent"`
	Title        string         `json:"title"`
	Description  string         `json:"description"`
	Assignee     bot.PersonID   `json:"assignee"`
	Assigner     bot.PersonID   `json:"assigner"`
	Status       bot.TaskStatus `json:"status"`
	Progress     int            `json:"progress"`
	Priority     string         `json:"priority"`
	Due          bot.Date       `json:"due"`
	BaselineDue  bot.Date       `json:"baseline_due"`
	PlannedStart bot.Date       `json:"planned_start"`
	EstimateDays float64        `json:"estimate_days"`
	DependsOn    []string       `json:"depends_on"`
	Milestone    bool           `json:"milestone"`
	Hours        float64        `json:"hours"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

func taskJSON(t bot.Task) apiTaskJSON {
	deps := make([]string, len(t.DependsOn))
	for i, d := range t.DependsOn {
		deps[i] = bot.TaskCode(d)
	}
	out := apiTaskJSON{ID: t.Code(), Title: t.Title, Description: t.Description, Assignee: t.Assignee, Assigner: t.Assigner,
		Status: t.Status, Progress: t.Progress, Priority: t.Priority, Due: t.Due, BaselineDue: t.BaselineDue, PlannedStart: t.PlannedStart,
		EstimateDays: t.EstimateDays, DependsOn: deps, Milestone: t.Milestone, Hours: t.Hours, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.Project != 0 {
		out.Project = bot.ProjectCode(t.Project)
	}
	if t.Parent != 0 {
		out.Parent = bot.TaskCode(t.Parent)
	}
	return out
}

func (a *App) apiProjects(w http.ResponseWriter, r *http.Request) {
	var out []apiProjectJSON
	err := a.store.View(r.Context(), func(tx bot.Tx) error {
		ps, err := tx.Projects()
		for _, p := range ps {
			out = append(out, projectJSON(p))
		}
		return err
	})
	if a.apiFailed(w, err) {
		return
	}
	if out == nil {
		out = []apiProjectJSON{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": out})
}

func (a *App) apiProject(w http.ResponseWriter, r *http.Request) {
	id, ok := command.ParseProjectID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "id: "+strconv.Quote(r.PathValue("id"))+" is not a project id like P1")
		return
	}
	var p bot.Project
	err := a.store.View(r.Context(), func(tx bot.Tx) (err error) { p, err = tx.Project(id); return err })
	if a.apiFailed(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, projectJSON(p))
}

func (a *App) apiTasks(w http.ResponseWriter, r *http.Request) {
	f, err := taskFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, bot.EINVALID, bot.ErrorMessage(err))
		return
	}
	out := []apiTaskJSON{}
	err = a.store.View(r.Context(), func(tx bot.Tx) error {
		// A linked identity stands for its person, whose id the tasks keep.
		if f.Assignee != "" {
			canon, err := tx.ResolvePerson(f.Assignee)
			if err != nil {
				return err
			}
			f.Assignee = canon
		}
		ts, err := tx.Tasks(f)
		for _, t := range ts {
			out = append(out, taskJSON(t))
		}
		return err
	})
	if a.apiFailed(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": out})
}

// taskFilter reads ?project=&assignee=&status=.
func taskFilter(r *http.Request) (bot.TaskFilter, error) {
	q := r.URL.Query()
	var f bot.TaskFilter
	if v := q.Get("project"); v != "" {
		id, ok := command.ParseProjectID(v)
		if !ok {
			return f, bot.Errorf(bot.EINVALID, "project: %q is not a project id like P1", v)
		}
		f.Project = id
	}
	if v := q.Get("assignee"); v != "" {
		p, err := bot.ParsePersonID(v, "")
		if err != nil {
			return f, bot.Errorf(bot.EINVALID, "assignee: %q is not a person id like feishu:ou_x", v)
		}
		f.Assignee = p
	}
	switch v := bot.TaskStatus(q.Get("status")); v {
	case "", bot.StatusAssigned, bot.StatusAccepted, bot.StatusBlocked, bot.StatusDone, bot.StatusVerified, bot.StatusDeclined, bot.StatusCancelled:
		f.Status = v
	default:
		return f, bot.Errorf(bot.EINVALID, "status: %q is not a task status", v)
	}
	return f, nil
}

func (a *App) apiTask(w http.ResponseWriter, r *http.Request) {
	id, ok := command.ParseTaskID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "id: "+strconv.Quote(r.PathValue("id"))+" is not a task id like T3")
		return
	}
	var t bot.Task
	err := a.store.View(r.Context(), func(tx bot.Tx) (err error) { t, err = tx.Task(id); return err })
	if a.apiFailed(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, taskJSON(t))
}

func (a *App) apiDead(w http.ResponseWriter, r *http.Request) {
	var items []bot.OutboxItem
	err := a.store.View(r.Context(), func(tx bot.Tx) (err error) { items, err = tx.DeadLetters(); return err })
	if a.apiFailed(w, err) {
		return
	}
	type dead struct {
		ID        uint64    `json:"id"`
		Op        string    `json:"op"`
		Target    string    `json:"target"`
		Attempts  int       `json:"attempts"`
		LastError string    `json:"last_error"`
		CreatedAt time.Time `json:"created_at"`
		DeadAt    time.Time `json:"dead_at"`
	}
	out := make([]dead, len(items))
	for i, it := range items {
		out[i] = dead{it.ID, it.Op, it.Target.String(), it.Attempts, it.LastError, it.CreatedAt, it.DeadAt}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead": out})
}

// apiBackup streams a consistent copy of the store. Each chunk must reach
// the client within timeouts.Chunk (a rolling write deadline), so that a
// client that stops reading is cut off instead of holding the store's read
// transaction, and with it Close, for ever.
func (a *App) apiBackup(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="loopbot-backup.db"`)
	dw := deadlineWriter{w: w, rc: http.NewResponseController(w), every: a.timeouts.Chunk}
	if _, err := a.store.Backup(r.Context(), dw); err != nil {
		a.logger.Error("backup failed", slog.Any("error", err))
	}
}

// deadlineWriter writes a streamed response, giving each write its own
// deadline from now.
type deadlineWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	every time.Duration
}

func (d deadlineWriter) Write(p []byte) (int, error) {
	if err := d.rc.SetWriteDeadline(time.Now().Add(d.every)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	return d.w.Write(p)
}

// apiFailed writes the error answer for err, if any.
func (a *App) apiFailed(w http.ResponseWriter, err error) bool {
	switch bot.ErrorCode(err) {
	case "":
		return false
	case bot.ENOTFOUND:
		writeError(w, http.StatusNotFound, bot.ENOTFOUND, bot.ErrorMessage(err))
	default:
		a.logger.Error("admin api failed", slog.Any("error", err))
		writeError(w, http.StatusInternalServerError, bot.EINTERNAL, "internal error")
	}
	return true
}
