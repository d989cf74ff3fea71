package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/loopbot/loopbot/adapters/wecom"
	"github.com/loopbot/loopbot/store"
)

// doctorCheck is one check of loopbot doctor: a name, and a run that says
// what it found (ok) or what is wrong, in words an admin acts on.
type doctorCheck struct {
	name string
	run  func(ctx context.Context) (string, error)
}

// runDoctor runs `loopbot doctor [-config F]`: the store's integrity, the
// config, and each enabled platform's credentials and reachability (Feishu:
// feishuChecks; WeCom: wecomChecks). Each
// check prints "ok" or "FAIL" with a reason; any FAIL makes it exit 1.
func runDoctor(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	path, settings, err := configFlags("doctor", args, stderr)
	if err != nil {
		return err
	}
	cfg, cerr := LoadConfig(path, environ, settings...)
	checks := []doctorCheck{{name: "config", run: func(context.Context) (string, error) {
		if cerr != nil {
			return "", cerr
		}
		return "valid", nil
	}}}
	if cerr == nil {
		checks = append(checks, doctorCheck{name: "store", run: func(ctx context.Context) (string, error) { return checkStore(ctx, cfg) }})
		checks = append(checks, feishuChecks(cfg)...)
		checks = append(checks, wecomChecks(cfg)...)
		checks = append(checks, dingtalkChecks(cfg)...)
	}
	failed := 0
	for _, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		msg, err := c.run(cctx)
		cancel()
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL %s: %v\n", c.name, err)
			continue
		}
		fmt.Fprintf(stdout, "ok   %s: %s\n", c.name, msg)
	}
	if failed > 0 {
		return fmt.Errorf("doctor: %d check(s) failed", failed)
	}
	return nil
}

// checkStore runs bbolt's consistency check on the database, unless a
// running loopbot holds it.
func checkStore(ctx context.Context, cfg Config) (string, error) {
	if _, err := os.Stat(cfg.Store.Path); errors.Is(err, fs.ErrNotExist) {
		return "no database yet at " + cfg.Store.Path + "; the first start creates it", nil
	}
	db, err := store.Open(cfg.Store.Path, store.Options{Timeout: time.Second})
	if errors.Is(err, store.ErrInUse) {
		return "skipped: " + cfg.Store.Path + " is open in a running loopbot (stop it to check the file)", nil
	} else if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		return "", fmt.Errorf("%s is damaged: %w; restore a backup", cfg.Store.Path, err)
	}
	return cfg.Store.Path + " is consistent", nil
}

// wecomChecks are the checks of [wecom]: a token, the app, and the
// callback settings.
func wecomChecks(cfg Config) []doctorCheck {
	w := cfg.WeCom
	if !w.Enabled {
		return nil
	}
	a, err := wecom.New(wecom.Config{CorpID: w.CorpID, AgentID: w.AgentID, Secret: w.Secret, Token: w.Token,
		EncodingAESKey: w.EncodingAESKey, APIBase: w.APIBase})
	if err != nil {
		return []doctorCheck{{name: "wecom", run: func(context.Context) (string, error) { return "", err }}}
	}
	return []doctorCheck{
		{name: "wecom token", run: func(ctx context.Context) (string, error) {
			if err := a.CheckToken(ctx); err != nil {
				return "", explainWeCom(err, w.APIBase)
			}
			return "got an access token for corp " + w.CorpID, nil
		}},
		{name: "wecom agent", run: func(ctx context.Context) (string, error) {
			ag, err := a.CheckAgent(ctx)
			switch {
			case err != nil:
				return "", explainWeCom(err, w.APIBase)
			case ag.Close != 0:
				return "", fmt.Errorf("the app «%s» (AgentId %d) is disabled in the admin console; enable it", ag.Name, ag.AgentID)
			}
			return fmt.Sprintf("the app «%s» (AgentId %d) is enabled", ag.Name, ag.AgentID), nil
		}},
		{name: "wecom callback", run: func(context.Context) (string, error) { return checkWeComCallback(cfg) }},
	}
}

// explainWeCom names the setting behind a WeCom error (全局错误码,
// path/90313).
func explainWeCom(err error, apiBase string) error {
	var ae *wecom.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("cannot reach WeCom at %s (wecom.api_base); check the network and the trusted IPs: %v", apiBase, err)
	}
	switch ae.Code {
	case 40001, 42001, 40014:
		return fmt.Errorf("wecom.secret is wrong: WeCom refuses it (errcode %d); copy the app's Secret again", ae.Code)
	case 40013:
		return errors.New("wecom.corp_id is wrong (errcode 40013); it is the 企业ID under 我的企业")
	case 40056, 301002:
		return fmt.Errorf("wecom.agent_id is not this app's AgentId, or the secret belongs to another app (errcode %d)", ae.Code)
	case 60020:
		return errors.New("this server's IP is not among the app's trusted IPs (企业可信IP) (errcode 60020)")
	}
	return fmt.Errorf("WeCom answered errcode %d: %s", ae.Code, ae.Message)
}

// checkWeComCallback says whether the callback URL settings look complete:
// the public URL WeCom posts to, and the Token and EncodingAESKey that the
// app's 接收消息 settings must hold too. WeCom takes http or https callback
// URLs (https recommended; 接收消息与事件, path/90238), and the URL is set
// in WeCom's console, not used by loopbot: a missing server.public_url or
// an http one is advice, not a failure.
func checkWeComCallback(cfg Config) (string, error) {
	const same = " with the same Token and EncodingAESKey as in [wecom]"
	if cfg.Server.PublicURL == "" {
		return "server.public_url is not set, so the callback URL is unknown here: set the app's 接收消息 URL to " +
			"<this server's public address>" + wecom.CallbackPath + same, nil
	}
	u, err := url.Parse(cfg.Server.PublicURL)
	if err != nil || u.Host == "" {
		return "", errors.New("server.public_url is not a URL")
	}
	cb := u.JoinPath(wecom.CallbackPath).String()
	msg := "set the app's 接收消息 URL to " + cb + same
	if u.Scheme != "https" {
		msg += " (WeCom takes http, but recommends https: messages then cross the internet readable to anyone on the way, apart from their encrypted body)"
	}
	return msg, nil
}

// dingtalkChecks is the check of [dingtalk]: an access token with the
// client id and secret, then a stream connection opened and closed.
func dingtalkChecks(cfg Config) []doctorCheck {
	if !cfg.DingTalk.Enabled {
		return nil
	}
	return []doctorCheck{{name: "dingtalk", run: func(ctx context.Context) (string, error) {
		a := newDingTalk(cfg.DingTalk, nil, nil, slog.New(slog.DiscardHandler))
		if err := a.Check(ctx); err != nil {
			return "", err
		}
		return "access token and stream connection ok at " + cfg.DingTalk.OpenAPIHost, nil
	}}}
}
