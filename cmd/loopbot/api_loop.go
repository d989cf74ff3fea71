package main

import (
	"net/http"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/command"
)

// loopRoutes registers the admin API of the loop: check-ins and
// escalations.
func (a *App) loopRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/checkins", a.auth(a.apiCheckins))
	mux.HandleFunc("GET /api/v1/escalations", a.auth(a.apiEscalations))
}

type apiCheckinJSON struct {
	Person      bot.PersonID        `json:"person"`
	Day         bot.Date            `json:"day"`
	Answers     []bot.CheckInAnswer `json:"answers"`
	SubmittedAt time.Time           `json:"submitted_at"`
	Late        bool                `json:"late"`
	Leave       bool                `json:"leave"`
	NoChange    bool                `json:"no_change"`
	Revisions   int                 `json:"revisions"`
}

// apiCheckins answers GET /api/v1/checkins?person=&from=&to= (dates as
// 2006-01-02; the last 30 days by default).
func (a *App) apiCheckins(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var person bot.PersonID
	if v := q.Get("person"); v != "" {
		p, err := bot.ParsePersonID(v, "")
		if err != nil {
			writeError(w, http.StatusBadRequest, bot.EINVALID, "person: "+v+" is not a person id like feishu:ou_x")
			return
		}
		person = p
	}
	to := bot.DateOf(a.now().In(a.cal.Location()))
	from := to.AddDays(-30)
	for _, d := range []struct {
		key string
		dst *bot.Date
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(d.key); v != "" {
			day, err := bot.ParseISODate(v)
			if err != nil {
				writeError(w, http.StatusBadRequest, bot.EINVALID, d.key+": "+bot.ErrorMessage(err))
				return
			}
			*d.dst = day
		}
	}
	out := []apiCheckinJSON{}
	err := a.store.View(r.Context(), func(tx bot.Tx) error {
		// A linked identity stands for its person, whose id the check-ins keep.
		if person != "" {
			canon, err := tx.ResolvePerson(person)
			if err != nil {
				return err
			}
			person = canon
		}
		cis, err := tx.CheckIns(person, from, to)
		for _, c := range cis {
			out = append(out, apiCheckinJSON{c.Person, c.Day, c.Answers, c.SubmittedAt, c.Late, c.Leave, c.NoChange, len(c.History)})
		}
		return err
	})
	if a.apiFailed(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkins": out})
}

type apiEscalationJSON struct {
	ID             string       `json:"id"`
	Task           string       `json:"task,omitempty"`
	Project        string       `json:"project,omitempty"`
	Person         bot.PersonID `json:"person"`
	Rule           string       `json:"rule"`
	Level          int          `json:"level"`
	Color          string       `json:"color"`
	OpenedAt       time.Time    `json:"opened_at"`
	AcknowledgedAt *time.Time   `json:"acknowledged_at"`
	SnoozedUntil   *time.Time   `json:"snoozed_until"`
	ResolvedAt     *time.Time   `json:"resolved_at"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func escalationJSON(e bot.Escalation) apiEscalationJSON {
	out := apiEscalationJSON{ID: e.Code(), Person: e.Person, Rule: e.Rule, Level: e.Level, Color: bot.LevelColor(e.Level),
		OpenedAt: e.OpenedAt, AcknowledgedAt: optTime(e.AcknowledgedAt), SnoozedUntil: optTime(e.SnoozedUntil), ResolvedAt: optTime(e.ResolvedAt)}
	if e.Task != 0 {
		out.Task = bot.TaskCode(e.Task)
	}
	if e.Project != 0 {
		out.Project = bot.ProjectCode(e.Project)
	}
	return out
}

// apiEscalations answers GET /api/v1/escalations?project=&open=true.
func (a *App) apiEscalations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var project uint64
	if v := q.Get("project"); v != "" {
		id, ok := command.ParseProjectID(v)
		if !ok {
			writeError(w, http.StatusBadRequest, bot.EINVALID, "project: "+v+" is not a project id like P1")
			return
		}
		project = id
	}
	openOnly := q.Get("open") == "true" || q.Get("open") == "1"
	out := []apiEscalationJSON{}
	err := a.store.View(r.Context(), func(tx bot.Tx) error {
		var escs []bot.Escalation
		var err error
		if openOnly {
			escs, err = tx.OpenEscalations()
		} else {
			escs, err = tx.Escalations(time.Time{}, a.now().Add(time.Hour))
		}
		for _, e := range escs {
			if project == 0 || e.Project == project {
				out = append(out, escalationJSON(e))
			}
		}
		return err
	})
	if a.apiFailed(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalations": out})
}
