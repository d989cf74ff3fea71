package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/loopbot/loopbot/bot"
	"github.com/loopbot/loopbot/cards"
	"github.com/loopbot/loopbot/command"
	"github.com/loopbot/loopbot/export"
	"github.com/loopbot/loopbot/flows"
	"github.com/loopbot/loopbot/store"
)

// offlineLockWait is how long `loopbot export` and `backup -db` wait for
// the database file's lock before saying that a running loopbot holds it.
const offlineLockWait = 500 * time.Millisecond

// runExport runs `loopbot export -db F [-project P] [-format xlsx|csv|md]
// [-from D] [-to D] [-config F] -o OUT`: the export of a stopped service's
// file or of a backup. The calendar, zone and language come from the config
// (-config, ./config.toml, else the defaults).
func runExport(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "the database file (store.path) of a stopped service, or a backup")
	project := fs.String("project", "", "the project, such as P1 (default: every project)")
	format := fs.String("format", "xlsx", "xlsx, csv (a zip of CSV files) or md (the weekly report)")
	from := fs.String("from", "", "first day, 2006-01-02 (default: since the project started)")
	to := fs.String("to", "", "last day, 2006-01-02 (default: today)")
	out := fs.String("o", "", "the file to write; - for standard output")
	cfgPath := fs.String("config", "", "config file for the calendar, zone and language (default: ./config.toml if present)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *db == "" || *out == "" {
		fmt.Fprintln(stderr, "loopbot export: -db FILE and -o OUT are required")
		return errUsage
	}
	req, f, err := exportFlags(*project, *format, *from, *to)
	if err != nil {
		fmt.Fprintln(stderr, "loopbot export:", bot.ErrorMessage(err))
		return errUsage
	}
	// An export is a batch job whose heap is mostly a few large buffers
	// (the workbook's sheets): collecting more often keeps its peak memory
	// near what it holds, at little cost. GOGC, when set, decides.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(25))
	}
	a, err := offlineApp(ctx, *cfgPath, environ, *db)
	if err != nil {
		return err
	}
	defer a.store.Close()
	a.exporter.CPUShare = 1 // no pacing: nothing else runs on this file
	req.Lang = cards.Lang(a.cfg.Server.Lang)
	if *out == "-" {
		return a.exporter.Write(ctx, stdout, req, f)
	}
	if err := writeFileAtomic(*out, func(w io.Writer) error { return a.exporter.Write(ctx, w, req, f) }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s export written\n", *out, strings.ToUpper(string(f)))
	return nil
}

// exportFlags reads the export's flags as the admin API reads its query.
func exportFlags(project, format, from, to string) (export.Request, export.Format, error) {
	var req export.Request
	if project != "" {
		id, ok := command.ParseProjectID(project)
		if !ok {
			return req, "", bot.Errorf(bot.EINVALID, "-project %q is not a project id like P1", project)
		}
		req.Project = id
	}
	f, err := export.ParseFormat(format)
	if err != nil {
		return req, "", bot.Errorf(bot.EINVALID, "-format %q is not xlsx, csv or md", format)
	}
	for _, d := range []struct {
		flag, v string
		dst     *bot.Date
	}{{"-from", from, &req.From}, {"-to", to, &req.To}} {
		if d.v == "" {
			continue
		}
		if *d.dst, err = bot.ParseISODate(d.v); err != nil {
			return req, "", bot.Errorf(bot.EINVALID, "%s %q is not a date like 2026-11-23", d.flag, d.v)
		}
	}
	if !req.From.IsZero() && !req.To.IsZero() && req.To.Before(req.From) {
		return req, "", bot.Errorf(bot.EINVALID, "-to %s is before -from %s", req.To, req.From)
	}
	return req, f, nil
}

// offlineApp opens a database file that no running loopbot holds and wires
// what an export needs: the config's calendar (with the store's additions),
// the flows' summary, the exporter.
func offlineApp(ctx context.Context, cfgPath string, environ []string, db string) (*App, error) {
	if cfgPath == "" {
		if _, err := os.Stat("config.toml"); err == nil {
			cfgPath = "config.toml"
		}
	}
	cfg, err := LoadConfig(cfgPath, environ)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(db); err != nil {
		return nil, fmt.Errorf("%s: %w", db, err)
	}
	st, err := store.Open(db, store.Options{Timeout: offlineLockWait})
	if errors.Is(err, store.ErrInUse) {
		return nil, fmt.Errorf("%s is in use by a running loopbot: stop it first, or export through its admin API "+
			"(GET /api/v1/export?project=P1&format=xlsx with the bearer admin_token): %w", db, err)
	} else if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, logger: slog.New(slog.DiscardHandler), store: st, clock: bot.SystemClock{}}
	if err := a.setupCalendar(ctx); err != nil {
		st.Close()
		return nil, err
	}
	loc := a.cal.Location()
	a.flows = flows.New(flows.Config{Clock: a.clock, Calendar: a.cal, Location: loc, Lang: cards.Lang(cfg.Server.Lang),
		Store: st, Logger: a.logger})
	a.exporter = a.newExporter(loc)
	return a, nil
}

// writeFileAtomic writes path through write into path+".tmp" and renames it
// over path once complete, so that a failed export leaves no half file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// runBackup runs `loopbot backup -o F`: a hot backup through the running
// service's admin API (-url, else server.public_url, else http://<listen>;
// the token is server.admin_token from the config or
// LOOPBOT_SERVER_ADMIN_TOKEN), or with -db an offline copy of a stopped
// service's file. Either way the copy is verified (opened read-only and
// checked with bbolt's Check) before it takes the name F.
func runBackup(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "the backup file to write")
	db := fs.String("db", "", "copy this database file offline (the service stopped) instead of through the admin API")
	base := fs.String("url", "", "the running service's URL (default: server.public_url, else http://<server.listen>)")
	cfgPath := fs.String("config", "", "config file with server.admin_token and the address (default: ./config.toml if present)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "loopbot backup: -o FILE is required")
		return errUsage
	}
	var n int64
	var err error
	if *db != "" {
		n, err = offlineBackup(ctx, *db, *out)
	} else {
		n, err = hotBackup(ctx, *cfgPath, environ, *base, *out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s, verified\n", *out, mib(n))
	return nil
}

func offlineBackup(ctx context.Context, db, out string) (int64, error) {
	if _, err := os.Stat(db); err != nil {
		return 0, fmt.Errorf("%s: %w", db, err)
	}
	st, err := store.Open(db, store.Options{Timeout: offlineLockWait})
	if errors.Is(err, store.ErrInUse) {
		return 0, fmt.Errorf("%s is in use by a running loopbot: leave out -db to back it up hot through its admin API: %w", db, err)
	} else if err != nil {
		return 0, err
	}
	defer st.Close()
	return writeVerified(ctx, out, func(w io.Writer) (int64, error) { return st.Backup(ctx, w) })
}

func hotBackup(ctx context.Context, cfgPath string, environ []string, base, out string) (int64, error) {
	if cfgPath == "" {
		if _, err := os.Stat("config.toml"); err == nil {
			cfgPath = "config.toml"
		}
	}
	cfg, err := LoadConfig(cfgPath, environ)
	if err != nil {
		return 0, err
	}
	token := cfg.Server.AdminToken
	if token == "" {
		return 0, errors.New("server.admin_token is not set (config file or LOOPBOT_SERVER_ADMIN_TOKEN): the hot backup goes through the admin API; or use -db FILE with the service stopped")
	}
	if base == "" {
		base = cfg.Server.PublicURL
	}
	if base == "" {
		base = "http://" + cfg.Server.Listen
	}
	url := strings.TrimRight(base, "/") + "/api/v1/backup"
	return writeVerified(ctx, out, func(w io.Writer) (int64, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, fmt.Errorf("POST %s: %w", url, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return 0, fmt.Errorf("POST %s: %s: %s", url, resp.Status, strings.TrimSpace(string(msg)))
		}
		return io.Copy(w, resp.Body)
	})
}

// parseFlags parses a subcommand's flags: -h is errHelp, a bad flag or a
// stray argument errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.Usage = func() { fmt.Fprint(fs.Output(), usageText) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "loopbot %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}
