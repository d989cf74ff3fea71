package bot

import (
	"context"
	"sync"
	"time"
)

// Directory looks people up in a platform's contact API (通讯录): Feishu
// contact v3, DingTalk topapi/v2/user/get, WeCom user/get. Each adapter
// whose platform has one implements it; flows calls it outside any
// transaction, at most once a day per person, and applies the entry with
// Person.Seed, so that what a person chose with a command wins.
type Directory interface {
	// LookUp returns what the contact API knows about the person with the
	// platform's own id localID (an open_id, a userId, a userid). A field
	// the platform does not return, or returns only with a permission the
	// app lacks, is "": missing data is never an error. Errors:
	//   - EFORBIDDEN: the app lacks the contact permission (or the person is
	//     outside the app's contact scope); the message names the missing
	//     permission as the platform's console calls it;
	//   - ENOTFOUND: the platform knows no such person;
	//   - any other error: the platform could not be reached or failed, and
	//     a later lookup may succeed.
	LookUp(ctx context.Context, localID string) (DirectoryEntry, error)
}

// DirectoryEntry is one person as a platform's contact API describes them.
// Every field may be "" (unknown).
type DirectoryEntry struct {
	Name   string
	Email  string
	Mobile string
	// Department is the name of the person's main (or first) department;
	// its id when the platform does not tell the name.
	Department string
	// Manager is the direct manager's id on the same platform (not a
	// PersonID: flows adds the platform and resolves linked identities).
	Manager string
}

// DepartmentTTL is how long a DepartmentCache keeps a department's name.
const DepartmentTTL = 24 * time.Hour

// DepartmentCache keeps the department names an adapter's directory read
// (and refusals, as ""), by the platform's department id, for
// DepartmentTTL; it forgets everything past 10,000 names. Safe for
// concurrent use; the zero value is ready.
type DepartmentCache struct {
	mu    sync.Mutex
	names map[string]departmentName
}

type departmentName struct {
	name string
	at   time.Time
}

// Get returns the name kept for id, if it is younger than DepartmentTTL at
// now.
func (c *DepartmentCache) Get(id string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.names[id]
	if !ok || now.Sub(d.at) >= DepartmentTTL || now.Before(d.at) {
		return "", false
	}
	return d.name, true
}

// Put keeps name ("" for a refusal) for id, read at now.
func (c *DepartmentCache) Put(id, name string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.names == nil || len(c.names) > 10000 {
		c.names = map[string]departmentName{}
	}
	c.names[id] = departmentName{name: name, at: now}
}
