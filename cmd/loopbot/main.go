// Command loopbot runs the loopbot service and its tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/loopbot/loopbot/store"
	_ "time/tzdata" // people's time zones must load on machines without tzdata
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usageText = `loopbot: the project progress loop (assign → check in → escalate → review)
inside Feishu/Lark, DingTalk and WeCom, with a built-in web playground.

Usage:
  loopbot [serve] [-config FILE] [-listen ADDR]
                                     run the bot (default). Without a config file
                                     it runs on embedded defaults: the playground at
                                     http://127.0.0.1:8080 with demo people.
  loopbot check-config [-config FILE] [-listen ADDR]
                                     validate the configuration as serve does;
                                     print every problem
  loopbot doctor [-config FILE]      check the database, the config, and each enabled
                                     platform's credentials and reachability
  loopbot compact -db FILE           rewrite the database file without its free space,
                                     with the service stopped (it refuses a file in use)
  loopbot export -db FILE [-project P] [-format xlsx|csv|md] [-from DATE] [-to DATE]
                 [-config FILE] -o OUT
                                     export a stopped service's file or a backup offline
                                     (it refuses a file in use: use GET /api/v1/export)
  loopbot backup -o FILE [-url URL] [-config FILE]
                                     hot backup through the running service's admin API
                                     (server.admin_token), verified before it is kept
  loopbot backup -db FILE -o FILE    offline copy of a stopped service's file, verified
  loopbot import -project P [-apply] [-as PERSON] [-config FILE] [-db FILE] PLAN.csv|PLAN.xlsx
                                     import a plan into a project, with the service
                                     stopped (it refuses a file in use; a running
                                     service takes POST /api/v1/import). Columns, zh or
                                     en: id/编号, title/任务, assignee/负责人, planned
                                     start/计划开始, due/截止, estimate/工期, depends
                                     on/前置任务, parent/父任务, milestone/里程碑. A dry
                                     run by default: every problem by row and column,
                                     or what it would create. -apply creates all rows
                                     or none and queues the assignment cards
  loopbot people import [-apply] [-platform P] [-config FILE] [-db FILE] PEOPLE.csv|PEOPLE.xlsx
                                     import people where no contact API is available,
                                     with the service stopped (it refuses a file in use;
                                     a running service takes POST /api/v1/people/import).
                                     Columns, zh or en: id/工号/用户ID (required; ids as
                                     feishu:ou_x, or bare with -platform), name/姓名,
                                     department/部门, manager/直属上级 (an id, or another
                                     row's name or email), email/邮箱, mobile/手机. CSV
                                     in UTF-8 (with or without BOM), UTF-16 or GBK, or
                                     XLSX. A dry run by default: every problem, and what
                                     would change per person. -apply writes it; an empty
                                     cell changes nothing
  loopbot version                    print the version

The config file is config.toml in the working directory, or the -config file.
Environment variables LOOPBOT_<SECTION>_<KEY> override it (LOOPBOT_SERVER_SECRET,
LOOPBOT_SERVER_LISTEN); a LOOPBOT_ variable that is no setting is an error.
-listen host:port overrides server.listen, e.g. -listen 127.0.0.1:9090.
See config.example.toml for every key.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil && !errors.Is(err, errHelp) {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "loopbot:", err)
		}
		os.Exit(exitCode(err))
	}
}

var (
	errUsage = errors.New("usage")
	// errHelp ends a command whose -h printed the usage; it is a success.
	errHelp = errors.New("help")
)

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// Run runs one loopbot command with its arguments, until ctx ends for
// serve.
func Run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		cmd, args = "help", args[1:]
	} else if len(args) > 0 && (args[0] == "" || args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, environ, stderr)
	case "check-config":
		return runCheckConfig(args, environ, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args, environ, stdout, stderr)
	case "compact":
		return runCompact(args, stdout, stderr)
	case "export":
		return runExport(ctx, args, environ, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, environ, stdout, stderr)
	case "import":
		return runImport(ctx, args, environ, stdout, stderr)
	case "people":
		return runPeople(ctx, args, environ, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "loopbot", version)
		return nil
	case "help":
		fmt.Fprint(stdout, usageText)
		return nil
	}
	fmt.Fprintf(stderr, "loopbot: unknown command %q\n\n%s", cmd, usageText)
	return errUsage
}

// configFlags parses -config and -listen and returns the config path (the
// flag, else config.toml when it exists, else "" for the embedded defaults)
// and the settings of the other flags.
func configFlags(name string, args []string, stderr io.Writer) (string, []Setting, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	path := fs.String("config", "", "config file (default: ./config.toml if present, else embedded defaults)")
	listen := fs.String("listen", "", "host:port to listen on, overriding server.listen")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, errHelp
		}
		return "", nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loopbot %s: unexpected argument %q\n", name, fs.Arg(0))
		return "", nil, errUsage
	}
	var settings []Setting
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "listen" {
			settings = append(settings, Setting{Flag: "-listen", Key: "server.listen", Value: *listen})
		}
	})
	if *path == "" {
		if _, err := os.Stat("config.toml"); err == nil {
			return "config.toml", settings, nil
		}
	}
	return *path, settings, nil
}

func runCheckConfig(args, environ []string, stdout, stderr io.Writer) error {
	path, settings, err := configFlags("check-config", args, stderr)
	if err != nil {
		return err
	}
	if _, err := LoadConfig(path, environ, settings...); err != nil {
		var errs ConfigErrors
		if errors.As(err, &errs) {
			for _, e := range errs {
				fmt.Fprintln(stderr, e.Error())
			}
			return fmt.Errorf("%d problem(s) in the configuration", len(errs))
		}
		return err
	}
	where := path
	if where == "" {
		where = "the embedded defaults"
	}
	fmt.Fprintf(stdout, "%s: OK\n", where)
	return nil
}

func runServe(ctx context.Context, args, environ []string, stderr io.Writer) error {
	path, settings, err := configFlags("serve", args, stderr)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(path, environ, settings...)
	if err != nil {
		return err
	}
	app, err := NewApp(ctx, cfg, newLogger(cfg.Server.LogLevel, stderr))
	if err != nil {
		return err
	}
	return app.Serve(ctx)
}

// runCompact rewrites a stopped service's database file without its free
// space (store.Compact).
func runCompact(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	db := fs.String("db", "", "the database file to compact (store.path), with the service stopped")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loopbot compact: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	if *db == "" {
		fmt.Fprintln(stderr, "loopbot compact: -db FILE is required: the database file (store.path in the config)")
		return errUsage
	}
	before, after, err := store.Compact(*db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s -> %s\n", *db, mib(before), mib(after))
	return nil
}

// mib writes a byte count in MiB with one decimal.
func mib(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
