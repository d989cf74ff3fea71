package bot

import (
	"errors"
	"fmt"
)

// Error codes of domain errors. A domain error's message is safe to show to
// the user who caused it.
const (
	EINVALID     = "invalid"
	ENOTFOUND    = "not_found"
	EFORBIDDEN   = "forbidden"
	ECONFLICT    = "conflict"
	EINTERNAL    = "internal"
	EUNAVAILABLE = "unavailable"
)

// Error is a domain error: a code that programs act on and a message that a
// person may read.
type Error struct {
	Code    string
	Message string
	// Zh is the Chinese message of an error made by Bilingual, in a
	// package that does not know who reads it; Message is then English.
	Zh string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("loopbot error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns a domain error with the given code and formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Bilingual returns a domain error with an English and a Chinese message,
// for a package that does not know the language of who reads it (calendar,
// command). MessageIn shows the reader's one; ErrorMessage shows both.
func Bilingual(code, en, zh string) *Error {
	return &Error{Code: code, Message: en, Zh: zh}
}

// ErrorCode returns the code of the domain error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the domain error in err's
// chain, and a generic message for any other error, so that internal details
// never reach a chat.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		if e.Zh != "" {
			return e.Message + "\n" + e.Zh
		}
		return e.Message
	}
	return "Internal error. 内部错误，请稍后再试。"
}

// MessageIn returns ErrorMessage for a reader of lang ("zh" or "en"): only
// the message in their language of an error made by Bilingual, and the
// generic message of an internal error in their language.
func MessageIn(err error, lang string) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case !errors.As(err, &e):
		if lang == "zh" {
			return "内部错误，请稍后再试。"
		}
		return "Internal error. Please try again later."
	case e.Zh != "" && lang == "zh":
		return e.Zh
	}
	return e.Message
}
