package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/loopbot/loopbot/adapters/feishu"
	"github.com/loopbot/loopbot/bot"
)

// feishuAdapterConfig maps the [feishu] section to the adapter's config.
func feishuAdapterConfig(fc FeishuConfig) feishu.Config {
	return feishu.Config{
		AppID: fc.AppID, AppSecret: fc.AppSecret, BaseURL: fc.BaseURL, Mode: fc.Mode,
		VerificationToken: fc.VerificationToken, EncryptKey: fc.EncryptKey,
	}
}

// feishuConfig wires the Feishu messenger into the app: the service clock
// dates its events and cards, and the store says whose names are known, so
// that the contact API is asked only for the others. The engine is set as
// its handler once it exists.
func (a *App) feishuConfig() feishu.Config {
	c := feishuAdapterConfig(a.cfg.Feishu)
	c.KnownName, c.Now, c.Logger = a.knownName, a.now, a.logger
	return c
}

// knownName reports whether the store has a person's name.
func (a *App) knownName(ctx context.Context, id bot.PersonID) bool {
	known := false
	_ = a.store.View(ctx, func(tx bot.Tx) error {
		p, err := tx.Person(id)
		known = err == nil && p.Name != ""
		return nil
	})
	return known
}

// feishuRoutes adds the callback endpoint, /callback/feishu, in webhook
// mode.
func (a *App) feishuRoutes(mux *http.ServeMux) {
	if a.feishu != nil && a.cfg.Feishu.Mode == feishu.ModeWebhook {
		mux.Handle("POST /callback/feishu", a.feishu)
	}
}

// feishuChecks are loopbot doctor's checks of [feishu]: a tenant token (the
// app id and secret) and the bot-info API (the bot capability), at
// feishu.base_url.
func feishuChecks(cfg Config) []doctorCheck {
	if !cfg.Feishu.Enabled {
		return nil
	}
	a := feishu.New(feishuAdapterConfig(cfg.Feishu))
	checks := []doctorCheck{{name: "feishu", run: func(ctx context.Context) (string, error) {
		name, err := a.Check(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("got a tenant token and the bot %q from %s", name, cfg.Feishu.BaseURL), nil
	}}}
	if cfg.Feishu.Mode == feishu.ModeWebhook {
		checks = append(checks, doctorCheck{name: "feishu callback", run: func(context.Context) (string, error) {
			return checkFeishuCallback(cfg.Server.PublicURL)
		}})
	}
	return checks
}

// checkFeishuCallback says where Feishu must post in webhook mode: the
// request URL of the event subscription and of the card callback.
func checkFeishuCallback(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if publicURL == "" || err != nil || u.Host == "" {
		return "", errors.New(`server.public_url is not set to a URL; webhook mode needs a public https URL for Feishu to post to (<public_url>/callback/feishu), or use feishu.mode = "websocket", which needs none`)
	}
	return "set the request URL of the events and of the card callback to " + u.JoinPath("/callback/feishu").String(), nil
}
