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
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("loopbot error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns a domain error with the given code and formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
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
		return e.Message
	}
	return "Internal error. 内部错误，请稍后再试。"
}
