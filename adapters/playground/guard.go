package playground

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/loopbot/loopbot/bot"
)

// guard refuses, with 403, a request whose Host is not an address this
// playground is served at, and one that a page of another origin sent: the
// playground lets anyone act as any person, so a web page elsewhere must not
// drive it through the user's browser (cross-site requests), nor a hostile
// name that resolves to this machine (DNS rebinding).
//
// The Host must be the address the connection came in on (the listener's
// IP, or localhost when that IP is loopback, with the listener's port), or
// the host of Config.PublicURL. An Origin header, when sent, must be the
// Host's own http(s) origin or PublicURL's; Sec-Fetch-Site, when sent, must
// not be cross-site.
func (a *Adapter) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.hostAllowed(r) {
			writeError(w, http.StatusForbidden, bot.EFORBIDDEN, "host: %q is not the address the playground is served at; open it at its listen address or server.public_url", r.Host)
			return
		}
		if !a.originAllowed(r) {
			writeError(w, http.StatusForbidden, bot.EFORBIDDEN, "origin: requests from another site are refused")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether the request's Host names this playground.
func (a *Adapter) hostAllowed(r *http.Request) bool {
	if pub := a.publicHost(); pub != "" && strings.EqualFold(r.Host, pub) {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	lhost, lport, err := net.SplitHostPort(local.String())
	if err != nil {
		return false
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, "80"
	}
	if port != lport {
		return false
	}
	lip := net.ParseIP(lhost)
	if strings.EqualFold(host, "localhost") {
		return lip != nil && lip.IsLoopback()
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && lip != nil && (ip.Equal(lip) || ip.IsLoopback() && lip.IsLoopback())
}

// originAllowed reports whether the request came from the playground's own
// page, or from no page at all (a script or curl sends no Origin).
func (a *Adapter) originAllowed(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, r.Host) || (a.publicHost() != "" && strings.EqualFold(u.Host, a.publicHost()))
}

// publicHost returns the host[:port] of Config.PublicURL, or "".
func (a *Adapter) publicHost() string {
	if a.cfg.PublicURL == "" {
		return ""
	}
	u, err := url.Parse(a.cfg.PublicURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// isJSON reports whether the request's body is declared as JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}
