package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/importer"
)

// runPeople runs `loopbot people import [-apply] [-platform P] [-config F]
// [-db F] FILE`: it reads a CSV or XLSX file of people (id, name,
// department, manager, email, mobile), checks it against the store of a
// stopped service (the config's store.path, or -db), prints every problem
// by row and column and what would change for each person, and with -apply
// writes it in one transaction. A store in use by a running service is
// refused: POST /api/v1/people/import is for that.
func runPeople(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprint(stdout, usageText)
			return errHelp
		}
		fmt.Fprintln(stderr, "loopbot people: the subcommand is import: loopbot people import [-apply] [-platform P] people.csv|people.xlsx")
		return errUsage
	}
	opts, err := peopleFlags(args[1:], stderr)
	if err != nil {
		return err
	}
	app, table, err := openOffline(ctx, offlineFile{file: opts.file, config: opts.config, settings: opts.settings,
		environ: environ, noDB: "start the service once first",
		api: "send the file to the running service with POST /api/v1/people/import"}, stderr)
	if err != nil {
		return err
	}
	cfg := app.cfg
	defer app.Close()
	res, err := app.flows.ImportPeople(ctx, flows.PeopleImport{File: filepath.Base(opts.file), Table: table, Platform: opts.platform,
		Platforms: enabledPlatforms(cfg), Apply: opts.apply})
	if err != nil {
		return err
	}
	writePeopleReport(stdout, filepath.Base(opts.file), res)
	if n := len(res.Problems); n > 0 {
		return fmt.Errorf("%d problem(s) in %s; nothing was written", n, opts.file)
	}
	return nil
}

type peopleOptions struct {
	config, file, platform string
	apply                  bool
	settings               []Setting
}

// peopleFlags reads the flags of loopbot people import, which may come
// before or after the file.
func peopleFlags(args []string, stderr io.Writer) (peopleOptions, error) {
	var o peopleOptions
	fs := flag.NewFlagSet("people import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	fs.BoolVar(&o.apply, "apply", false, "write the changes; without it the import is a dry run")
	fs.StringVar(&o.platform, "platform", "", "the platform of ids written without one: feishu, dingtalk, wecom or playground")
	fs.StringVar(&o.config, "config", "", "config file (default: ./config.toml if present, else embedded defaults)")
	db := fs.String("db", "", "the database file, overriding store.path")
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
	if len(files) != 1 {
		fmt.Fprintln(stderr, "loopbot people import: give one file: loopbot people import [-apply] [-platform P] people.csv|people.xlsx")
		return o, errUsage
	}
	o.file = files[0]
	if o.platform != "" && !bot.KnownPlatform(o.platform) {
		fmt.Fprintf(stderr, "loopbot people import: -platform %q is not feishu, dingtalk, wecom or playground\n", o.platform)
		return o, errUsage
	}
	if o.config == "" {
		if _, err := os.Stat("config.toml"); err == nil {
			o.config = "config.toml"
		}
	}
	if *db != "" {
		o.settings = append(o.settings, Setting{Flag: "-db", Key: "store.path", Value: *db})
	}
	return o, nil
}

// writePeopleReport prints a people import's problems and warnings, and
// what changes (or would) for each person.
func writePeopleReport(w io.Writer, file string, res flows.PeopleResult) {
	f := res.File
	what := strings.ToUpper(f.Format)
	if f.Sheet != "" {
		what += ", sheet " + f.Sheet
	}
	fmt.Fprintf(w, "%s (%s): %d person(s)\n", file, what, len(f.Rows))
	if len(f.Ignored) > 0 {
		fmt.Fprintf(w, "Ignored columns: %s\n", strings.Join(f.Ignored, ", "))
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
	n, created := res.Changed(), 0
	for _, p := range res.People {
		if p.New {
			created++
		}
	}
	if res.Applied {
		fmt.Fprintf(w, "Imported: %d person(s) changed, %d of them new to the bot; %d unchanged.\n", n, created, len(res.People)-n)
	} else {
		fmt.Fprintf(w, "Dry run: %d person(s) would change, %d of them new to the bot; %d unchanged. Nothing was written; run again with -apply to import.\n",
			n, created, len(res.People)-n)
	}
	writePeopleTable(w, res)
}

// writePeopleTable lists each person that changes and how.
func writePeopleTable(w io.Writer, res flows.PeopleResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  row\tperson\tchanges")
	for _, p := range res.People {
		if !p.New && len(p.Changes) == 0 {
			continue
		}
		var parts []string
		if p.New {
			parts = append(parts, "new")
		}
		for _, c := range p.Changes {
			if c.Old == "" {
				parts = append(parts, fmt.Sprintf("%s: %s", c.Field, c.New))
			} else {
				parts = append(parts, fmt.Sprintf("%s: %s → %s", c.Field, c.Old, c.New))
			}
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", p.Row, p.Person.ID, strings.Join(parts, "; "))
	}
	tw.Flush()
}

// peopleRoutes registers POST /api/v1/people/import.
func (a *App) peopleRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/people/import", a.auth(a.apiPeopleImport))
}

// apiPeopleImport answers POST /api/v1/people/import[?apply=true][&platform=wecom]
// with the file as the body, as POST /api/v1/import takes a plan
// (multipart/form-data with the field "file", or the raw CSV or XLSX). It
// answers 200 with what a dry run would change, 201 once applied, 422 with
// every problem (and nothing written), 400 for a bad query or unreadable
// file, 413 for a file over 10 MiB and 415 for another content type.
func (a *App) apiPeopleImport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := flows.PeopleImport{Platform: q.Get("platform"), Platforms: enabledPlatforms(a.cfg)}
	if in.Platform != "" && !bot.KnownPlatform(in.Platform) {
		writeError(w, http.StatusBadRequest, bot.EINVALID, "platform: "+in.Platform+" is not feishu, dingtalk, wecom or playground")
		return
	}
	var ok bool
	if in.Apply, ok = applyParam(w, q.Get("apply")); !ok {
		return
	}
	if in.File, in.Table, ok = uploadedTable(w, r); !ok {
		return
	}
	res, err := a.flows.ImportPeople(r.Context(), in)
	if a.apiFailed(w, err) {
		return
	}
	out := peopleJSON(in.File, res)
	status, e := importStatus(len(res.Problems), res.Applied, "file")
	out.Error = e
	writeJSON(w, status, out)
}

// apiPeopleJSON is the answer of POST /api/v1/people/import.
type apiPeopleJSON struct {
	Error    *apiErrorJSON      `json:"error,omitempty"`
	File     string             `json:"file"`
	Format   string             `json:"format"`
	Sheet    string             `json:"sheet,omitempty"`
	Applied  bool               `json:"applied"`
	Changed  int                `json:"changed"`
	People   []apiPersonImport  `json:"people"`
	Problems []importer.Problem `json:"problems"`
	Warnings []importer.Problem `json:"warnings"`
	Ignored  []string           `json:"ignored_columns"`
}

// apiPersonImport is a row of a people import: the person (their canonical
// id), whether the bot knew them, and each field that changes.
type apiPersonImport struct {
	Row     int                 `json:"row"`
	ID      bot.PersonID        `json:"id"`
	Name    string              `json:"name"`
	New     bool                `json:"new"`
	Changes []flows.FieldChange `json:"changes"`
}

func peopleJSON(file string, res flows.PeopleResult) apiPeopleJSON {
	out := apiPeopleJSON{File: file, Format: res.File.Format, Sheet: res.File.Sheet, Applied: res.Applied, Changed: res.Changed(),
		People: []apiPersonImport{}, Problems: res.Problems, Warnings: res.Warnings, Ignored: res.File.Ignored}
	for _, p := range res.People {
		changes := p.Changes
		if changes == nil {
			changes = []flows.FieldChange{}
		}
		out.People = append(out.People, apiPersonImport{Row: p.Row, ID: p.Person.ID, Name: p.Person.DisplayName(), New: p.New, Changes: changes})
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
