package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// platformConfigs enable each platform with every secret it needs, so that
// a refusal can only come from the platform itself.
var platformConfigs = map[string]string{
	"feishu":   "[feishu]\nenabled = true\napp_id = \"cli_a\"\napp_secret = \"s\"\n",
	"dingtalk": "[dingtalk]\nenabled = true\nclient_id = \"ding\"\nclient_secret = \"s\"\n",
	"wecom": "[wecom]\nenabled = true\ncorp_id = \"ww1\"\nagent_id = 1000002\nsecret = \"s\"\ntoken = \"t\"\n" +
		"encoding_aes_key = \"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\"\n",
}

// TestCheckConfigAgreesWithStart checks that `check-config` refuses exactly
// what the start refuses, for each platform whether its adapter is built or
// not, and that a refused start leaves no database file behind.
func TestCheckConfigAgreesWithStart(t *testing.T) {
	for name, section := range platformConfigs {
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "data", "loopbot.db")
			text := "[server]\nlisten = \"127.0.0.1:0\"\nsecret = \"0123456789abcdef\"\n[store]\npath = \"" + filepath.ToSlash(db) + "\"\n" + section
			path := writeConfig(t, text)
			var stdout, stderr bytes.Buffer
			checkErr := Run(context.Background(), []string{"check-config", "-config", path}, nil, &stdout, &stderr)

			cfg, _ := LoadConfig(path, nil)
			app, startErr := NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if startErr == nil {
				app.Close()
			}
			if (checkErr == nil) != (startErr == nil) {
				t.Fatalf("check-config says %v (%s), the start says %v", checkErr, stderr.String(), startErr)
			}
			if startErr != nil {
				if !strings.Contains(stderr.String(), name+".enabled") {
					t.Errorf("check-config does not name %s.enabled:\n%s", name, stderr.String())
				}
				if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the refused start created %s (stat: %v)", db, err)
				}
			}
		})
	}
}

// TestFailedStartCreatesNoDatabase starts serve on a port that is taken: it
// fails, and leaves no database file. An existing database stays.
func TestFailedStartCreatesNoDatabase(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	data := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(data, "loopbot.db")
	path := writeConfig(t, "[store]\npath = \""+filepath.ToSlash(db)+"\"\n[playground]\nenabled = true\n")
	var stdout, stderr bytes.Buffer
	err = Run(context.Background(), []string{"serve", "-config", path, "-listen", taken.Addr().String()}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Fatalf("serve on a taken port (-listen %s): %v", taken.Addr(), err)
	}
	if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the failed start created %s (stat: %v)", data, err)
	}

	// A bad config is refused before the store is opened.
	bad := writeConfig(t, "[store]\npath = \""+filepath.ToSlash(db)+"\"\n[playground]\nenabled = true\n[checkin]\nat = \"noon\"\n")
	if err := Run(context.Background(), []string{"serve", "-config", bad}, nil, &stdout, &stderr); err == nil {
		t.Fatal("serve accepted a bad config")
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused start created %s (stat: %v)", db, err)
	}
	cfg := EmbeddedConfig()
	cfg.Store.Path, cfg.Checkin.At = db, "noon"
	if _, err := NewApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Fatal("NewApp accepted a config that does not validate")
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("NewApp with a bad config created %s (stat: %v)", db, err)
	}

	// A database that was there before a failed start stays.
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = Run(context.Background(), []string{"serve", "-config", path, "-listen", taken.Addr().String()}, nil, &stdout, &stderr)
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("a failed start removed the database that was there: %v", err)
	}
}

// TestListenWithoutConfigFile changes the port without a config file, both
// ways that README gives: the -listen flag and LOOPBOT_SERVER_LISTEN.
func TestListenWithoutConfigFile(t *testing.T) {
	t.Chdir(t.TempDir()) // no config.toml here
	c, err := LoadConfig("", []string{"LOOPBOT_SERVER_LISTEN=127.0.0.1:9090"})
	if err != nil || c.Server.Listen != "127.0.0.1:9090" {
		t.Fatalf("LOOPBOT_SERVER_LISTEN: listen %q, %v", c.Server.Listen, err)
	}
	c, err = LoadConfig("", []string{"LOOPBOT_SERVER_LISTEN=127.0.0.1:9090"}, Setting{Flag: "-listen", Key: "server.listen", Value: "127.0.0.1:7070"})
	if err != nil || c.Server.Listen != "127.0.0.1:7070" {
		t.Fatalf("-listen over LOOPBOT_SERVER_LISTEN: listen %q, %v", c.Server.Listen, err)
	}
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"check-config", "-listen", "127.0.0.1:9091"}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("check-config -listen: %v %s", err, stderr.String())
	}
	err = Run(context.Background(), []string{"check-config", "-listen", "9091"}, nil, &stdout, &stderr)
	if err == nil || !strings.Contains(stderr.String(), `-listen: server.listen: "9091" is not a host:port address`) {
		t.Fatalf("check-config -listen 9091: %v\n%s", err, stderr.String())
	}
	// The serve test above listens through -listen on a port it picked.
}

// TestUnknownEnvironmentVariable checks that a misspelt LOOPBOT_ variable is
// an error naming it, with the nearest setting as a suggestion.
func TestUnknownEnvironmentVariable(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"LOOPBOT_SERVER_LISTN", "$LOOPBOT_SERVER_LISTN: is not a loopbot setting; did you mean LOOPBOT_SERVER_LISTEN?"},
		{"LOOPBOT_FEISHU_APPSECRET", "did you mean LOOPBOT_FEISHU_APP_SECRET?"},
		{"LOOPBOT_CHECKIN_REMIND", "did you mean LOOPBOT_CHECKIN_REMIND_AFTER?"},
		{"LOOPBOT_PORT", "$LOOPBOT_PORT: is not a loopbot setting; settings are LOOPBOT_<SECTION>_<KEY>"},
	}
	for _, tt := range tests {
		_, err := LoadConfig("", []string{tt.name + "=x"})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want …%s…", tt.name, err, tt.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"check-config"}, []string{"LOOPBOT_SERVER_LISTN=127.0.0.1:1"}, &stdout, &stderr); err == nil ||
		!strings.Contains(stderr.String(), "LOOPBOT_SERVER_LISTN") {
		t.Errorf("check-config with a misspelt variable: %v %q", err, stderr.String())
	}
}

// TestConfigUnknownKeySuggestion checks that an unknown key in the file names
// the key that it may be a misspelling of.
func TestConfigUnknownKeySuggestion(t *testing.T) {
	path := writeConfig(t, "[playground]\nenabled = true\n[checkin]\nremind_afer = \"2h\"\n")
	_, err := LoadConfig(path, nil)
	checkProblems(t, path, configErrors(t, err), []problem{{4, "checkin.remind_afer", "unknown key; did you mean checkin.remind_after?"}})
}

// TestConfigKeysAreCaseSensitive checks that a key in another case than the
// config's is unknown, as any misspelling (go-toml alone would take it).
func TestConfigKeysAreCaseSensitive(t *testing.T) {
	path := writeConfig(t, "[playground]\nenabled = true\n[server]\nListen = \"127.0.0.1:1\"\n[Checkin]\nat = \"09:00\"\n")
	_, err := LoadConfig(path, nil)
	checkProblems(t, path, configErrors(t, err), []problem{
		{4, "server.Listen", "unknown key; did you mean server.listen?"},
		{5, "Checkin", "unknown key; did you mean checkin?"},
	})
}

// TestConfigNotFiniteNumbers checks that the config's one float refuses NaN
// and the infinities, from the file and from the environment.
func TestConfigNotFiniteNumbers(t *testing.T) {
	for _, v := range []string{"nan", "inf", "+inf", "-inf"} {
		path := writeConfig(t, "[playground]\nenabled = true\n[escalation]\ncritical_path_factor = "+v+"\n")
		_, err := LoadConfig(path, nil)
		checkProblems(t, path, configErrors(t, err), []problem{{4, "escalation.critical_path_factor", "is not a number"}})
	}
	for _, v := range []string{"NaN", "Inf", "-Inf", "+Infinity"} {
		_, err := LoadConfig("", []string{"LOOPBOT_ESCALATION_CRITICAL_PATH_FACTOR=" + v})
		errs := configErrors(t, err)
		if len(errs) != 1 || !strings.Contains(errs[0].Msg, "is not a number") {
			t.Errorf("LOOPBOT_ESCALATION_CRITICAL_PATH_FACTOR=%s: %v", v, errs)
		}
	}
}

// TestPlaygroundListen checks that the playground refuses to serve on an
// address other than loopback unless playground.allow_remote says so.
func TestPlaygroundListen(t *testing.T) {
	tests := []struct {
		listen string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:8080", false, true},
		{"[::1]:8080", false, true},
		{"localhost:8080", false, true},
		{"127.0.0.2:8080", false, true},
		{"0.0.0.0:8080", false, false},
		{":8080", false, false},
		{"[::]:8080", false, false},
		{"192.168.1.5:8080", false, false},
		{"bot.example.com:8080", false, false},
		{"0.0.0.0:8080", true, true},
		{":8080", true, true},
	}
	for _, tt := range tests {
		text := "[server]\nlisten = \"" + tt.listen + "\"\n[playground]\nenabled = true\n"
		if tt.remote {
			text += "allow_remote = true\n"
		}
		path := writeConfig(t, text)
		_, err := LoadConfig(path, nil)
		if tt.ok {
			if err != nil {
				t.Errorf("%s (allow_remote %v): %v", tt.listen, tt.remote, err)
			}
			continue
		}
		checkProblems(t, path, configErrors(t, err), []problem{{2, "server.listen", "is not a loopback address"}})
	}
	// The embedded config with LOOPBOT_SERVER_LISTEN on every interface.
	if _, err := LoadConfig("", []string{"LOOPBOT_SERVER_LISTEN=0.0.0.0:8080"}); err == nil || !strings.Contains(err.Error(), "playground.allow_remote = true") {
		t.Errorf("embedded playground on 0.0.0.0: %v", err)
	}
	if _, err := LoadConfig("", []string{"LOOPBOT_SERVER_LISTEN=0.0.0.0:8080", "LOOPBOT_PLAYGROUND_ALLOW_REMOTE=true"}); err != nil {
		t.Errorf("embedded playground on 0.0.0.0 with allow_remote: %v", err)
	}
}

// FuzzLoadConfig feeds LoadConfig any file: it must never panic, and every
// problem must name the file, or the variable that caused it.
func FuzzLoadConfig(f *testing.F) {
	for _, seed := range []string{
		"", "[server]\nlisten =\n", "[playground]\nenabled = true\n[[playground.people]]\nid = 5\n",
		"[calendar]\nday_start = 08:30\nextra_holidays = [2026-10-08, 1]\n", "server = 1\n[server]\n",
		"[dingtalk.card_templates]\na = { b = 1 }\n", "[[playground.people]]\n[[playground.people]]\nemial = 1\n",
		"[escalation]\ncritical_path_factor = nan\n", "a.b.c = [1, [2, {x = 2026-01-01T00:00:00Z}]]\n",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path, nil)
		var errs ConfigErrors
		if err != nil && !errors.As(err, &errs) {
			t.Fatalf("error is %T: %v", err, err)
		}
		for _, e := range errs {
			if e.File != path || e.Msg == "" {
				t.Fatalf("problem without its file or message: %#v", e)
			}
		}
	})
}
