package bot

import (
	"strings"
)

// Target is where a message goes: a direct chat with a person, or a group
// chat, on one platform.
type Target struct {
	Platform string `json:"platform"`
	// Chat is the platform's chat id; for a direct chat, the person's own
	// platform id.
	Chat string `json:"chat"`
	DM   bool   `json:"dm,omitempty"`
}

// DM returns the target of a direct chat with p.
func DM(p PersonID) Target {
	return Target{Platform: p.Platform(), Chat: p.Local(), DM: true}
}

// Group returns the target of a group chat on a platform.
func Group(platform, chat string) Target {
	return Target{Platform: platform, Chat: chat}
}

// Person returns the person of a direct-chat target, or "".
func (t Target) Person() PersonID {
	if !t.DM {
		return ""
	}
	return PersonID(t.Platform + ":" + t.Chat)
}

// String returns "<platform>:dm:<id>" or "<platform>:group:<id>", which is
// also the key the outbox orders deliveries by.
func (t Target) String() string {
	kind := "group"
	if t.DM {
		kind = "dm"
	}
	return t.Platform + ":" + kind + ":" + t.Chat
}

// ParseTarget reads the form String writes. It returns EINVALID otherwise.
func ParseTarget(s string) (Target, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 || parts[2] == "" || !KnownPlatform(parts[0]) {
		return Target{}, Errorf(EINVALID, "%q is not a chat", s)
	}
	switch parts[1] {
	case "dm":
		return Target{Platform: parts[0], Chat: parts[2], DM: true}, nil
	case "group":
		return Target{Platform: parts[0], Chat: parts[2]}, nil
	}
	return Target{}, Errorf(EINVALID, "%q is not a chat", s)
}
