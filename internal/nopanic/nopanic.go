// Package nopanic is the one helper of the misuse tests that check every
// method of a type's zero value: a call that panics fails the test, naming
// the call.
package nopanic

import "testing"

// Check runs f and fails t, naming call, if f panics.
func Check(t testing.TB, call string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panics on a zero value: %v", call, p)
		}
	}()
	f()
}
