package crdttest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"pgregory.net/rapid"
)

// recorder is a rapid.TB that keeps what a property check reports instead of
// failing a test, so that Verify can return it as an error.
type recorder struct {
	name   string
	mu     sync.Mutex
	log    strings.Builder
	failed bool
}

// stopRecording is the panic value with which recorder.FailNow ends a check;
// runRecorded recovers it.
type stopRecording struct{}

var _ rapid.TB = (*recorder)(nil)

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return r.name }

func (r *recorder) Logf(format string, args ...any) { r.write(fmt.Sprintf(format, args...)) }
func (r *recorder) Log(args ...any)                 { r.write(fmt.Sprintln(args...)) }

func (r *recorder) Errorf(format string, args ...any) { r.Logf(format, args...); r.Fail() }
func (r *recorder) Error(args ...any)                 { r.Log(args...); r.Fail() }
func (r *recorder) Fatalf(format string, args ...any) { r.Logf(format, args...); r.FailNow() }
func (r *recorder) Fatal(args ...any)                 { r.Log(args...); r.FailNow() }

func (r *recorder) Skipf(format string, args ...any) { r.Logf(format, args...); r.SkipNow() }
func (r *recorder) Skip(args ...any)                 { r.Log(args...); r.SkipNow() }
func (r *recorder) SkipNow()                         { panic(stopRecording{}) }

func (r *recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

func (r *recorder) FailNow() {
	r.Fail()
	panic(stopRecording{})
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) write(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log.WriteString(strings.TrimRight(s, "\n"))
	r.log.WriteByte('\n')
}

// runRecorded runs rapid.Check on prop with a recorder named name and
// returns what it reported and whether the property failed. rapid saves a
// fail file under testdata/rapid when a check fails; runRecorded removes it
// again (and the directories it created, when empty), since a Verify call
// is not a test to reproduce.
func runRecorded(name string, prop func(*rapid.T)) (report string, failed bool) {
	r := &recorder{name: name}
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(stopRecording); !ok {
					panic(v)
				}
			}
		}()
		rapid.Check(r, prop)
	}()
	report = r.log.String()
	if r.failed {
		removeFailFile(report)
	}
	return report, r.failed
}

var failFileRE = regexp.MustCompile(`-rapid\.failfile=("(?:[^"\\]|\\.)*")`)

func removeFailFile(report string) {
	m := failFileRE.FindStringSubmatch(report)
	if m == nil {
		return
	}
	path, err := strconv.Unquote(m[1])
	if err != nil || !strings.HasPrefix(filepath.ToSlash(path), "testdata/rapid/") {
		return
	}
	if os.Remove(path) != nil {
		return
	}
	// Remove the directories rapid made, innermost first; os.Remove leaves
	// a directory that is not empty alone.
	for dir := filepath.Dir(path); dir != "." && dir != string(filepath.Separator); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return
		}
	}
}
