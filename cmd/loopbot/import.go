package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/importer"
	"github.com/loopbot/loopbot/store"
)

// runImport runs `loopbot import -project P [-apply] [-as PERSON]
// [-config F] [-db F] FILE`: it reads a CSV or XLSX plan, checks it against
// the store of a stopped service (the config's store.path, or -db), prints
// every problem by row and column or what it would create, and with -apply
// creates all the tasks in one transaction and queues their assignment
// cards, which the service delivers when it runs. A store in use by a
// running service is refused: POST /api/v1/import is for that.
func runImport(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	opts, err := importFlags(args, stderr)
	if err != nil {
		return err
	}
	app, table, err := openOffline(ctx, offlineFile{file: opts.file, config: opts.config, settings: opts.settings,
		environ: environ, noDB: "start the service once and create the project (/project new) first",
		api: "send the plan to the running service with POST /api/v1/import"}, stderr)
	if err != nil {
		return err
	}
	cfg := app.cfg
	defer app.Close()
	res, err := app.flows.ImportPlan(ctx, flows.PlanImport{Project: opts.project, File: filepath.Base(opts.file), Table: table,
		As: opts.as, Platforms: enabledPlatforms(cfg), Apply: opts.apply})
	if err != nil {
		return err
	}
	writeImportReport(stdout, filepath.Base(opts.file), res, "run again with -apply to import")
	if n := len(res.Problems); n > 0 {
		return fmt.Errorf("%d problem(s) in %s; nothing was written", n, opts.file)
	}
	return nil
}

type importOptions struct {
	project, config, file string
	as                    bot.PersonID
	apply                 bool
	settings              []Setting
}

// importFlags reads the flags of loopbot import, which may come before or
// after the file.
func importFlags(args []string, stderr io.Writer) (importOptions, error) {
	var o importOptions
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	fs.StringVar(&o.project, "project", "", "the project to import into, P1")
	fs.BoolVar(&o.apply, "apply", false, "create the tasks; without it the import is a dry run")
	fs.StringVar(&o.config, "config", "", "config file (default: ./config.toml if present, else embedded defaults)")
	db := fs.String("db", "", "the database file, overriding store.path")
	as := fs.String("as", "", "the importing admin or manager, feishu:ou_x; default: the project owner")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return o, errHelp
			}
			return o, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if o.project == "" || len(files) != 1 {
		fmt.Fprintln(stderr, "loopbot import: give -project P1 and one plan file: loopbot import -project P1 [-apply] plan.csv|plan.xlsx")
		return o, errUsage
	}
	o.file = files[0]
	if o.config == "" {
		if _, err := os.Stat("config.toml"); err == nil {
			o.config = "config.toml"
		}
	}
	if *db != "" {
		o.settings = append(o.settings, Setting{Flag: "-db", Key: "store.path", Value: *db})
	}
	if *as != "" {
		id, err := bot.ParsePersonID(*as, "")
		if err != nil {
			fmt.Fprintf(stderr, "loopbot import: -as %q is not a person id like feishu:ou_x or playground:alice\n", *as)
			return o, errUsage
		}
		o.as = id
	}
	return o, nil
}

func readPlanFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > importer.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, importer.MaxFileSize>>20)
	}
	return os.ReadFile(path)
}

// offlineFile is a file an offline command (import, people import) reads
// into a stopped service's store.
type offlineFile struct {
	file, config string
	settings     []Setting
	environ      []string
	noDB         string // what to do when there is no database yet
	api          string // what to do instead while the service runs
}

// openOffline reads and decodes o.file (CSV or XLSX), loads the config and
// opens the App on the store of a stopped service; a store in use is
// refused, naming o.api. The caller closes the App.
func openOffline(ctx context.Context, o offlineFile, stderr io.Writer) (*App, importer.Table, error) {
	data, err := readPlanFile(o.file)
	if err != nil {
		return nil, importer.Table{}, err
	}
	table, err := importer.Decode(filepath.Base(o.file), data)
	if err != nil {
		return nil, importer.Table{}, fmt.Errorf("%s: %w", o.file, err)
	}
	cfg, err := LoadConfig(o.config, o.environ, o.settings...)
	if err != nil {
		return nil, importer.Table{}, err
	}
	if _, err := os.Stat(cfg.Store.Path); errors.Is(err, fs.ErrNotExist) {
		return nil, importer.Table{}, fmt.Errorf("there is no database at %s: %s, or give the file with -db", cfg.Store.Path, o.noDB)
	}
	app, err := NewApp(ctx, cfg, newLogger("warn", stderr))
	if errors.Is(err, store.ErrInUse) {
		return nil, importer.Table{}, fmt.Errorf("%s is in use by a running loopbot: stop it, or %s", cfg.Store.Path, o.api)
	} else if err != nil {
		return nil, importer.Table{}, err
	}
	return app, table, nil
}

// enabledPlatforms lists the platforms the config enables.
func enabledPlatforms(cfg Config) []string {
	var out []string
	for _, p := range []struct {
		name string
		on   bool
	}{{bot.Feishu, cfg.Feishu.Enabled}, {bot.DingTalk, cfg.DingTalk.Enabled}, {bot.WeCom, cfg.WeCom.Enabled}, {bot.Playground, cfg.Playground.Enabled}} {
		if p.on {
			out = append(out, p.name)
		}
	}
	return out
}

// writeImportReport prints an import's problems, or what it created or
// would create.
func writeImportReport(w io.Writer, file string, res flows.ImportResult, dryHint string) {
	p := res.Plan
	what := strings.ToUpper(p.Format)
	if p.Sheet != "" {
		what += ", sheet " + p.Sheet
	}
	fmt.Fprintf(w, "%s (%s): %d task(s)", file, what, len(p.Items))
	if res.Project.ID != 0 {
		fmt.Fprintf(w, " for %s «%s»", res.Project.Code(), res.Project.Name)
	}
	fmt.Fprintln(w)
	if len(p.Ignored) > 0 {
		fmt.Fprintf(w, "Ignored columns: %s\n", strings.Join(p.Ignored, ", "))
	}
	if len(res.Problems) > 0 {
		fmt.Fprintf(w, "%d problem(s); nothing was written:\n", len(res.Problems))
		for _, pr := range res.Problems {
			fmt.Fprintln(w, "  "+pr.String())
		}
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintln(w, "Warnings:")
		for _, pr := range res.Warnings {
			fmt.Fprintln(w, "  "+pr.String())
		}
	}
	if len(res.Problems) > 0 {
		return
	}
	cards := 0
	for _, t := range res.Tasks {
		if t.Task.Assignee != res.Assigner.ID {
			cards++
		}
	}
	by := fmt.Sprintf("%s (%s)", res.Assigner.DisplayName(), res.Assigner.ID)
	if res.Applied {
		fmt.Fprintf(w, "Imported %d tasks (%s–%s), assigned by %s; %d assignment card(s) queued, delivered while the service runs.\n",
			len(res.Tasks), res.Tasks[0].Task.Code(), res.Tasks[len(res.Tasks)-1].Task.Code(), by, res.Cards)
	} else {
		fmt.Fprintf(w, "Dry run: %d tasks would be created, assigned by %s, and %d assignment card(s) sent. Nothing was written; %s.\n",
			len(res.Tasks), by, cards, dryHint)
	}
	writeImportTable(w, res)
}

// writeImportTable lists the tasks, with the title and the assignee last
// since their Chinese characters are wider than tabwriter counts.
func writeImportTable(w io.Writer, res flows.ImportResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  task\trow\tid\tstart\tdue\test.\tafter\tparent\ttitle → assignee")
	for _, t := range res.Tasks {
		code := "-"
		if t.Task.ID != 0 {
			code = t.Task.Code()
		}
		title := t.Title
		if t.Milestone {
			title = "◆ " + title
		}
		who := fmt.Sprintf("%s (%s)", t.Assignee.DisplayName(), t.Assignee.ID)
		if t.NewPerson {
			who += ", new to the bot"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s → %s\n", code, t.Row, t.Ref,
			dateOrDash(t.Start), dateOrDash(t.Due), estimate(t.Estimate), refs(res, t.After), parentRef(res, t.Parent), title, who)
	}
	tw.Flush()
}

func dateOrDash(d bot.Date) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}

func estimate(days float64) string {
	if days == 0 {
		return "-"
	}
	return fmt.Sprintf("%gd", days)
}

func refs(res flows.ImportResult, idx []int) string {
	if len(idx) == 0 {
		return "-"
	}
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = res.Tasks[j].Ref
	}
	return strings.Join(out, ",")
}

func parentRef(res flows.ImportResult, j int) string {
	if j < 0 {
		return "-"
	}
	return res.Tasks[j].Ref
}

// importRoutes registers POST /api/v1/import.
func (a *App) importRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/import", a.auth(a.apiImport))
}

// The content types of a raw plan body.
var planTypes = map[string]bool{
	"text/csv": true, "application/csv": true, "text/plain": true, "text/tab-separated-values": true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": true, "application/octet-stream": true,
}

// apiImport answers POST /api/v1/import?project=P1[&apply=true][&as=feishu:ou_x]
// with the plan as the body: multipart/form-data with the file in the
// field "file", or the raw file with Content-Type text/csv or
// application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (the
// format is found from the bytes). It answers 200 with what a dry run
// would create, 201 with what was created, 422 with every problem (and
// nothing written), 400 for a bad query or unreadable file, 413 for a file
// over 10 MiB and 415 for another content type.
func (a *App) apiImport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := flows.PlanImport{Project: q.Get("project"), Platforms: enabledPlatforms(a.cfg)}
	if in.Project == "" {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "project: give the project to import into, ?project=P1")
		return
	}
	var ok bool
	if in.Apply, ok = applyParam(w, q.Get("apply")); !ok {
		return
	}
	if v := q.Get("as"); v != "" {
		id, err := bot.ParsePersonID(v, "")
		if err != nil {
			writeError(w, http.StatusBadRequest, bot.EINVALID, "as: "+v+" is not a person id like feishu:ou_x")
			return
		}
		in.As = id
	}
	if in.File, in.Table, ok = uploadedTable(w, r); !ok {
		return
	}
	res, err := a.flows.ImportPlan(r.Context(), in)
	if a.apiFailed(w, err) {
		return
	}
	out := importJSON(in.File, res)
	status, e := importStatus(len(res.Problems), res.Applied, "plan")
	out.Error = e
	writeJSON(w, status, out)
}

// applyParam reads an import's ?apply= ("", false, 0, true or 1); on
// anything else it answers 400 and reports false.
func applyParam(w http.ResponseWriter, v string) (apply, ok bool) {
	switch v {
	case "", "false", "0":
		return false, true
	case "true", "1":
		return true, true
	}
	writeError(w, http.StatusBadRequest, bot.EINVALID, "apply: "+v+" is not true or false")
	return false, false
}

// uploadedTable reads and decodes the CSV or XLSX file of an import
// request (planBody); on failure it answers and reports false.
func uploadedTable(w http.ResponseWriter, r *http.Request) (string, importer.Table, bool) {
	name, data, status, msg := planBody(w, r)
	if status != 0 {
		writeError(w, status, bot.EINVALID, msg)
		return "", importer.Table{}, false
	}
	table, err := importer.Decode(name, data)
	if err != nil {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "file: "+err.Error())
		return "", importer.Table{}, false
	}
	return name, table, true
}

// importStatus is an import's HTTP status: 422 with an error when the file
// (a "plan" or a "file") had problems and nothing was written, 201 once
// applied, else 200 for a dry run.
func importStatus(problems int, applied bool, what string) (int, *apiErrorJSON) {
	switch {
	case problems > 0:
		return http.StatusUnprocessableEntity, &apiErrorJSON{Code: bot.EINVALID,
			Message: fmt.Sprintf("%d problem(s) in the %s; nothing was written", problems, what)}
	case applied:
		return http.StatusCreated, nil
	}
	return http.StatusOK, nil
}

// planBody reads the request's file and its name; a non-zero status says
// why it cannot.
func planBody(w http.ResponseWriter, r *http.Request) (name string, data []byte, status int, msg string) {
	r.Body = http.MaxBytesReader(w, r.Body, importer.MaxFileSize+1<<20)
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return "", nil, http.StatusUnsupportedMediaType, "Content-Type: " + r.Header.Get("Content-Type") + " does not parse"
	}
	var body io.Reader = r.Body
	name = "plan"
	switch {
	case ct == "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return "", nil, http.StatusBadRequest, "the multipart body cannot be read: " + err.Error()
		}
		part, err := filePart(mr)
		if err != nil {
			return "", nil, http.StatusBadRequest, err.Error()
		}
		defer part.Close()
		body, name = part, part.FileName()
	case !planTypes[ct] && ct != "":
		return "", nil, http.StatusUnsupportedMediaType,
			"Content-Type: " + ct + " is not a plan; send text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet or multipart/form-data"
	}
	data, err = io.ReadAll(io.LimitReader(body, importer.MaxFileSize+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || len(data) > importer.MaxFileSize:
		return "", nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("the file is larger than %d MiB", importer.MaxFileSize>>20)
	case err != nil:
		return "", nil, http.StatusBadRequest, "the body cannot be read: " + err.Error()
	}
	if name == "" {
		name = "plan"
	}
	return name, data, 0, ""
}

// filePart returns the multipart body's "file" field.
func filePart(mr *multipart.Reader) (*multipart.Part, error) {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errors.New(`the multipart body has no "file" field`)
		} else if err != nil {
			return nil, fmt.Errorf("the multipart body cannot be read: %v", err)
		}
		if part.FormName() == "file" {
			return part, nil
		}
		part.Close()
	}
}

type apiErrorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiImportJSON is the answer of POST /api/v1/import.
type apiImportJSON struct {
	Error    *apiErrorJSON      `json:"error,omitempty"`
	Project  string             `json:"project,omitempty"`
	File     string             `json:"file"`
	Format   string             `json:"format"`
	Sheet    string             `json:"sheet,omitempty"`
	Applied  bool               `json:"applied"`
	Assigner bot.PersonID       `json:"assigner,omitempty"`
	Tasks    []apiImportTask    `json:"tasks"`
	Cards    int                `json:"cards"`
	Problems []importer.Problem `json:"problems"`
	Warnings []importer.Problem `json:"warnings"`
	Ignored  []string           `json:"ignored_columns"`
}

// apiImportTask is a row of an import: ref is the file's id of the row,
// depends_on and parent are file ids; id is the task's id once applied.
type apiImportTask struct {
	Row          int          `json:"row"`
	Ref          string       `json:"ref"`
	ID           string       `json:"id,omitempty"`
	Title        string       `json:"title"`
	Assignee     bot.PersonID `json:"assignee"`
	AssigneeName string       `json:"assignee_name"`
	NewPerson    bool         `json:"new_person,omitempty"`
	PlannedStart bot.Date     `json:"planned_start,omitzero"`
	Due          bot.Date     `json:"due,omitzero"`
	EstimateDays float64      `json:"estimate_days"`
	DependsOn    []string     `json:"depends_on"`
	Parent       string       `json:"parent,omitempty"`
	Milestone    bool         `json:"milestone"`
	Priority     string       `json:"priority"`
}

func importJSON(file string, res flows.ImportResult) apiImportJSON {
	out := apiImportJSON{File: file, Format: res.Plan.Format, Sheet: res.Plan.Sheet, Applied: res.Applied, Cards: res.Cards,
		Assigner: res.Assigner.ID, Tasks: []apiImportTask{}, Problems: res.Problems, Warnings: res.Warnings, Ignored: res.Plan.Ignored}
	if res.Project.ID != 0 {
		out.Project = res.Project.Code()
	}
	for _, t := range res.Tasks {
		it := apiImportTask{Row: t.Row, Ref: t.Ref, Title: t.Title, Assignee: t.Assignee.ID, AssigneeName: t.Assignee.DisplayName(),
			NewPerson: t.NewPerson, PlannedStart: t.Start, Due: t.Due, EstimateDays: t.Estimate, DependsOn: []string{},
			Milestone: t.Milestone, Priority: t.Task.Priority}
		if t.Task.ID != 0 {
			it.ID = t.Task.Code()
		}
		for _, j := range t.After {
			it.DependsOn = append(it.DependsOn, res.Tasks[j].Ref)
		}
		if t.Parent >= 0 {
			it.Parent = res.Tasks[t.Parent].Ref
		}
		out.Tasks = append(out.Tasks, it)
	}
	for _, list := range []*[]importer.Problem{&out.Problems, &out.Warnings} {
		if *list == nil {
			*list = []importer.Problem{}
		}
	}
	if out.Ignored == nil {
		out.Ignored = []string{}
	}
	return out
}
