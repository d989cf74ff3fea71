package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/internal/benchratio"
	"github.com/loopbot/loopbot/store"
)

// Playground API benchmark sizes: LOOPBOT_API_PEOPLE people (default
// 1,000), LOOPBOT_API_CLIENTS concurrent clients in the closed loop (16),
// LOOPBOT_API_CLOSED_SECONDS per closed-loop phase (5),
// LOOPBOT_API_RATE requests/s offered in the open loop (200) for
// LOOPBOT_API_SECONDS (15).
const (
	apiTeam  = 50 // people per project, with a manager and a group chat each
	apiTasks = 3  // open tasks per person
)

// BenchmarkPlaygroundAPI runs the real App over real HTTP on 127.0.0.1 and
// sends it a mix of what people do through the playground API: 60 %
// "/progress T<k> N" from a random person on one of their own tasks, 25 %
// clicks on the "submit" button of the person's check-in card (sent at
// 09:30 by the fan-out; each card once, then /progress again), and 15 %
// "/tasks mine". Every request answers once the bot's replies are in the
// chat (the API's contract), so its latency is what a person waits for.
//
// It measures, in the same run:
//   - closed loop: 1 client, then LOOPBOT_API_CLIENTS clients, each sending
//     its next request when the answer to the last one came, for
//     LOOPBOT_API_CLOSED_SECONDS each; the ratio of their throughputs
//     (target >= 3);
//   - open loop: LOOPBOT_API_RATE requests/s on a fixed schedule, each sent
//     at its time whatever the others do, for LOOPBOT_API_SECONDS; the
//     latency counts from the scheduled time, so that a stall is not
//     hidden by sending later (coordinated omission); p50, p99, max and
//     errors (target p99 < 100 ms);
//   - the raw bbolt commit and DB.Batch baselines (benchratio).
//
// Each phase also prints the process's CPU time (user + system; the server
// and its clients share the process) per request, which the load of a
// shared machine does not inflate.
//
//	go test -run XXX -bench PlaygroundAPI -benchtime 1x ./cmd/loopbot/
func BenchmarkPlaygroundAPI(b *testing.B) {
	people := envInt("LOOPBOT_API_PEOPLE", 1000)
	clients := envInt("LOOPBOT_API_CLIENTS", 16)
	closed := time.Duration(envInt("LOOPBOT_API_CLOSED_SECONDS", 5)) * time.Second
	rate := envInt("LOOPBOT_API_RATE", 200)
	open := time.Duration(envInt("LOOPBOT_API_SECONDS", 15)) * time.Second
	raw := benchratio.RawCommit(b)
	batch := benchratio.BatchWrites(b)
	for b.Loop() {
		r := newAPIRun(b, people)
		fmt.Printf("playground API: %d people, %d open tasks; load average at the start: %s\n", people, people*apiTasks, loadAvg())
		r.newDay()
		one := r.closedLoop(1, closed)
		many := r.closedLoop(clients, closed)
		fmt.Printf("closed loop: %d clients ÷ 1 client = %.2f (target >= 3)\n", clients, many/one)
		r.newDay()
		r.openLoop(rate, open)
		r.close()
	}
	fmt.Printf("baselines: raw bbolt commit %.0f/s, DB.Batch %.0f writes/s (64 writers)\n",
		float64(time.Second)/float64(raw), batch)
}

type apiRun struct {
	b      *testing.B
	app    *App
	base   string
	client *http.Client
	people int
	day    bot.Date
	// started is set once the first day began.
	started bool
	tasks   [][]string // person → their task codes

	mu    sync.Mutex
	cards []apiCard // today's check-in cards not clicked yet

	// commits counts the write transactions, and held their time from
	// the first write to the end of the commit (store.Options.ObserveWrite).
	commits, held atomic.Int64
}

// phase is what a phase measures besides its latencies: CPU time and
// write transactions.
type phase struct {
	start         time.Time
	cpu           time.Duration
	commits, held int64
}

func (r *apiRun) begin() phase {
	return phase{start: time.Now(), cpu: cpuTime(), commits: r.commits.Load(), held: r.held.Load()}
}

// end returns the phase's figures for n requests, as text.
func (r *apiRun) end(p phase, n int) string {
	took := time.Since(p.start)
	cpu := cpuTime() - p.cpu
	commits := r.commits.Load() - p.commits
	held := time.Duration(r.held.Load() - p.held)
	return fmt.Sprintf("CPU %.2f ms/request (%.0f %% of a core); %d write transactions (%.2f/request, %.1f ms each on average)",
		float64(cpu)/float64(time.Millisecond)/float64(max(n, 1)), 100*float64(cpu)/float64(took),
		commits, float64(commits)/float64(max(n, 1)), float64(held)/float64(time.Millisecond)/float64(max(commits, 1)))
}

// apiCard is a check-in card to submit.
type apiCard struct {
	person string
	id     string
	form   map[string]string
}

func newAPIRun(b *testing.B, people int) *apiRun {
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, shanghai)
	cfg := DefaultConfig()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.AdminToken = "bench-token"
	cfg.Store.Path = filepath.Join(b.TempDir(), "loopbot.db")
	cfg.Playground = PlaygroundConfig{Enabled: true, FakeClock: true, FakeClockStart: start.Format(time.RFC3339)}
	teams := (people + apiTeam - 1) / apiTeam
	for k := range teams {
		g := PlaygroundGroup{ID: fmt.Sprintf("g%d", k), Name: fmt.Sprintf("项目群 %d", k)}
		mgr := fmt.Sprintf("m%d", k)
		cfg.Playground.People = append(cfg.Playground.People, PlaygroundPerson{ID: mgr, Name: "经理" + strconv.Itoa(k), Roles: []string{"manager"}})
		g.Members = append(g.Members, mgr)
		for i := k * apiTeam; i < min((k+1)*apiTeam, people); i++ {
			id := fmt.Sprintf("u%d", i)
			cfg.Playground.People = append(cfg.Playground.People, PlaygroundPerson{ID: id, Name: "员工" + strconv.Itoa(i), Manager: mgr})
			g.Members = append(g.Members, id)
		}
		cfg.Playground.Groups = append(cfg.Playground.Groups, g)
	}
	ctx := context.Background()
	r := &apiRun{b: b, people: people, day: bot.DateOf(start), tasks: make([][]string, people),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 1024}}}
	app, err := newApp(ctx, cfg, slog.New(slog.DiscardHandler), store.Options{ObserveWrite: func(held, _ time.Duration) {
		r.commits.Add(1)
		r.held.Add(int64(held))
	}})
	if err != nil {
		b.Fatal(err)
	}
	r.app = app
	r.seed(start, teams)
	addr, err := app.Start(ctx)
	if err != nil {
		b.Fatal(err)
	}
	r.base = "http://" + addr
	return r
}

func (r *apiRun) close() {
	r.client.CloseIdleConnections()
	if err := r.app.Close(); err != nil {
		r.b.Error(err)
	}
}

// seed writes the projects and their open, accepted tasks straight into
// the store.
func (r *apiRun) seed(start time.Time, teams int) {
	today := bot.DateOf(start)
	for k := range teams {
		err := r.app.store.Update(context.Background(), func(tx bot.Tx) error {
			pid, err := tx.NextProjectID()
			if err != nil {
				return err
			}
			mgr := bot.PersonID(fmt.Sprintf("playground:m%d", k))
			proj := bot.Project{ID: pid, Name: fmt.Sprintf("项目 %d", k), Owner: mgr, Acceptance: true, Start: today,
				Groups: []bot.Target{bot.Group(bot.Playground, fmt.Sprintf("g%d", k))}, CreatedAt: start, UpdatedAt: start}
			for i := k * apiTeam; i < min((k+1)*apiTeam, r.people); i++ {
				p := bot.PersonID(fmt.Sprintf("playground:u%d", i))
				proj.Members = append(proj.Members, p)
				r.tasks[i] = nil
				for j := range apiTasks {
					id, err := tx.NextTaskID()
					if err != nil {
						return err
					}
					due := today.AddDays(20 + (i*7+j*9)%42)
					t := bot.Task{ID: id, Project: pid, Title: fmt.Sprintf("模块 %d 的第 %d 项工作", i, j+1), Assignee: p, Assigner: mgr,
						PlannedStart: today, Due: due, BaselineDue: due, EstimateDays: 3, Priority: bot.PrioNormal,
						Status: bot.StatusAccepted, Progress: 10, ProgressAt: start, StatusAt: start,
						CreatedAt: start, UpdatedAt: start}
					if err := tx.PutTask(t); err != nil {
						return err
					}
					r.tasks[i] = append(r.tasks[i], t.Code())
				}
			}
			return tx.PutProject(proj)
		})
		if err != nil {
			r.b.Fatal(err)
		}
	}
}

// newDay moves the fake clock to the next working day's 09:31 (the first
// time, the start day's), after the check-in fan-out, and collects the
// check-in cards to click. The closed loops share the first day; the open
// loop has the second.
func (r *apiRun) newDay() {
	r.b.StopTimer()
	defer r.b.StartTimer()
	d := r.day
	if r.started {
		d = d.AddDays(1)
	}
	r.started = true
	for !r.app.cal.IsWorkday(d) {
		d = d.AddDays(1)
	}
	r.day = d
	var out map[string]any
	t0 := time.Now()
	if code := r.post("/playground/api/clock", map[string]string{"set": d.At(9, 31, shanghai).Format(time.RFC3339)}, &out); code != 200 {
		r.b.Fatalf("clock to %s: status %d %v", d, code, out)
	}
	fmt.Printf("(clock to %s 09:31: %.1f s)\n", d, time.Since(t0).Seconds())
	var cards []apiCard
	err := r.app.store.View(context.Background(), func(tx bot.Tx) error {
		for i := range r.people {
			p := fmt.Sprintf("u%d", i)
			recs, err := tx.CardsByKey("checkin/playground:" + p + "/" + d.String())
			if err != nil {
				return err
			}
			if len(recs) == 0 || recs[0].MessageRef == "" {
				continue
			}
			form := map[string]string{}
			for _, in := range recs[0].Card.Inputs {
				if code, ok := strings.CutPrefix(in.Name, "progress."); ok && len(form) < 2 {
					v, _ := strconv.Atoi(in.Value)
					form[in.Name] = strconv.Itoa(min(v+10, 95))
					form["hours."+code] = "3"
				}
			}
			cards = append(cards, apiCard{person: p, id: recs[0].MessageRef, form: form})
		}
		return nil
	})
	if err != nil {
		r.b.Fatal(err)
	}
	rand.Shuffle(len(cards), func(i, j int) { cards[i], cards[j] = cards[j], cards[i] })
	r.mu.Lock()
	r.cards = cards
	r.mu.Unlock()
}

// post sends a JSON body and decodes the JSON answer into out (when not
// nil). It returns the status, or 0 when the request failed.
func (r *apiRun) post(path string, body, out any) int {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", r.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(data, out)
	}
	return resp.StatusCode
}

// request sends one request of the mix, chosen with rng, and reports
// whether it was answered 200 (for a click, with the card finished).
func (r *apiRun) request(rng *rand.Rand) bool {
	n := rng.IntN(100)
	if n >= 60 && n < 85 {
		r.mu.Lock()
		var c apiCard
		ok := len(r.cards) > 0
		if ok {
			c, r.cards = r.cards[len(r.cards)-1], r.cards[:len(r.cards)-1]
		}
		r.mu.Unlock()
		if ok {
			var out actionAnswer
			code := r.post("/playground/api/actions", map[string]any{"as": c.person, "message_id": c.id, "action": "submit", "form": c.form}, &out)
			return code == 200 && out.Card != nil && len(out.Card.Actions) == 0
		}
	}
	i := rng.IntN(r.people)
	text := "/tasks mine"
	if n < 85 {
		tasks := r.tasks[i]
		text = fmt.Sprintf("/progress %s %d", tasks[rng.IntN(len(tasks))], 15+rng.IntN(80))
	}
	var out struct {
		MessageID string `json:"message_id"`
	}
	code := r.post("/playground/api/messages", map[string]string{"from": fmt.Sprintf("u%d", i), "chat": "dm", "text": text}, &out)
	return code == 200 && out.MessageID != ""
}

// closedLoop runs clients clients, each sending its next request once the
// last is answered, for d, prints the figures and returns the requests per
// second.
func (r *apiRun) closedLoop(clients int, d time.Duration) float64 {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		lat    []time.Duration
		errs   atomic.Int64
		ph     = r.begin()
		start  = time.Now()
		finish = start.Add(d)
	)
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 11))
			var mine []time.Duration
			for time.Now().Before(finish) {
				t0 := time.Now()
				if !r.request(rng) {
					errs.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	perSec := float64(len(lat)) / took.Seconds()
	fmt.Printf("closed loop, %2d clients: %d requests in %.1f s = %.0f/s; p50 %s ms, p99 %s ms; %d errors; %s\n",
		clients, len(lat), took.Seconds(), perSec, ms(pct(lat, 50)), ms(pct(lat, 99)), errs.Load(), r.end(ph, len(lat)))
	return perSec
}

// openLoop offers rate requests per second for d, each sent at its
// scheduled time in its own goroutine, and prints the latencies counted
// from the scheduled times.
func (r *apiRun) openLoop(rate int, d time.Duration) {
	n := int(d.Seconds() * float64(rate))
	every := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	var (
		wg   sync.WaitGroup
		errs atomic.Int64
		ph   = r.begin()
	)
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * every)
		time.Sleep(time.Until(at))
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 13))
			if !r.request(rng) {
				errs.Add(1)
			}
			lat[i] = time.Since(at)
		})
	}
	wg.Wait()
	took := time.Since(start)
	fmt.Printf("open loop, %d requests/s offered for %.0f s: %d requests, %.0f/s served; p50 %s ms, p99 %s ms (target < 100), max %s ms; %d errors; %s\n",
		rate, d.Seconds(), n, float64(n)/took.Seconds(), ms(pct(lat, 50)), ms(pct(lat, 99)), ms(slices.Max(lat)), errs.Load(), r.end(ph, n))
}

// loadAvg returns the machine's load averages, or "?".
func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
