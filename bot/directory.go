package bot

import "context"

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
