package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// robotPath is the path of a group robot webhook:
// https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key> (群机器人配置说明,
// path/91770).
const robotPath = "/cgi-bin/webhook/send"

// robotKey is the form of a webhook key: a UUID, in practice.
var robotKey = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

// ParseRobotURL checks a group robot webhook URL: https (or the scheme of
// api_base, for tests and private deployments), WeCom's host or api_base's,
// the webhook path, and a key. It returns the URL in canonical form and the
// key. Errors never repeat the key.
func ParseRobotURL(raw, apiBase string) (canonical, key string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", "", errors.New("that is not a URL; copy the robot's webhook address, https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
	}
	hosts := map[string]string{"qyapi.weixin.qq.com": "https"}
	if b, err := url.Parse(apiBase); err == nil && b.Host != "" {
		hosts[strings.ToLower(b.Host)] = b.Scheme
	}
	scheme, ok := hosts[strings.ToLower(u.Host)]
	if !ok || u.Scheme != scheme && u.Scheme != "https" {
		return "", "", errors.New("a WeCom group robot's webhook starts with https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=")
	}
	if u.Path != robotPath || u.User != nil || u.Fragment != "" {
		return "", "", errors.New("the address must be the robot's webhook, …/cgi-bin/webhook/send?key=…")
	}
	key = u.Query().Get("key")
	if !robotKey.MatchString(key) {
		return "", "", errors.New("the webhook has no valid key=… part; copy the whole address from the robot's settings")
	}
	canonical = u.Scheme + "://" + u.Host + robotPath + "?key=" + url.QueryEscape(key)
	return canonical, key, nil
}

// RobotChat returns the chat id of a robot: a hash of its key, so that the
// key itself never appears in targets, logs or the API, and so that the
// 20-a-minute limit counts per robot.
func RobotChat(key string) string { return "robot-" + shortHash(key) }

// MaskRobotURL shows a webhook without its key: the last four characters.
func MaskRobotURL(key string) string {
	tail := key
	if len(tail) > 4 {
		tail = tail[len(tail)-4:]
	}
	return "…/cgi-bin/webhook/send?key=****" + tail
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// BindRobot validates a webhook URL and stores it in tx for the robot's
// chat, which it returns as the project's WeCom group. It returns EINVALID
// with what is wrong, and the masked URL to show back.
func (a *Adapter) BindRobot(tx bot.Tx, raw string) (bot.Target, string, error) {
	canonical, key, err := ParseRobotURL(raw, a.cfg.APIBase)
	if err != nil {
		return bot.Target{}, "", bot.Errorf(bot.EINVALID, "%s", err.Error())
	}
	chat := RobotChat(key)
	if err := tx.PutMeta(metaRobot+chat, []byte(canonical)); err != nil {
		return bot.Target{}, "", err
	}
	return bot.Group(bot.WeCom, chat), MaskRobotURL(key), nil
}

// ConfigRobots returns the robots of [[wecom.group_robots]] as project code
// → the robot's group target, after checking each URL.
func (a *Adapter) ConfigRobots() (map[string]bot.Target, error) {
	out := map[string]bot.Target{}
	for project, raw := range a.cfg.Robots {
		_, key, err := ParseRobotURL(raw, a.cfg.APIBase)
		if err != nil {
			return nil, errors.New("wecom.group_robots: " + project + ": " + err.Error())
		}
		out[project] = bot.Group(bot.WeCom, RobotChat(key))
	}
	return out, nil
}

// errNoRobot: a group message for a robot the adapter does not know.
var errNoRobot = bot.Permanent(errors.New("wecom: no group robot webhook for this chat; set one with /project webhook"))

// robotURL returns the webhook of a robot chat: from config, else from the
// store.
func (a *Adapter) robotURL(ctx context.Context, chat string) (string, error) {
	for _, raw := range a.cfg.Robots {
		canonical, key, err := ParseRobotURL(raw, a.cfg.APIBase)
		if err == nil && RobotChat(key) == chat {
			return canonical, nil
		}
	}
	var u string
	err := a.cfg.Store.View(ctx, func(tx bot.Tx) error {
		raw, err := tx.Meta(metaRobot + chat)
		if err == nil {
			u = string(raw)
		} else if bot.ErrorCode(err) != bot.ENOTFOUND {
			return err
		}
		return nil
	})
	if err != nil {
		return "", bot.Temporary(err, 0)
	}
	if u == "" {
		return "", errNoRobot
	}
	return u, nil
}
