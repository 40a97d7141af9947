package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses of [Run].
const (
	// ExitOK is the status of a command that succeeded (and of a positive
	// answer: a valid payload, two equal payloads).
	ExitOK = 0
	// ExitNegative is the status of a negative answer (an invalid payload,
	// two payloads that differ) and of a command that failed.
	ExitNegative = 1
	// ExitUsage is the status of a usage error: an unknown command or
	// flag, or missing or surplus arguments.
	ExitUsage = 2
)

var (
	// ErrUsage is wrapped by every usage error.
	ErrUsage = errors.New("usage error")
	// ErrNegative is wrapped by the error of a command that ran and whose
	// answer is negative, such as validate on an invalid payload.
	ErrNegative = errors.New("negative answer")
)

// env is what a command runs with.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	args    string // the synopsis after the name
	summary string // one line for the command list
	help    string // the rest of "crdtkit help NAME"
	run     func(e *env, fs *flag.FlagSet, args []string) error
	flags   func(fs *flag.FlagSet) // defines the command's flags, if any
}

// commands is filled by the init functions of the files that define them.
var commands []*command

// helpOrder is the order in which help lists the commands.
var helpOrder = []string{"inspect", "validate", "merge", "diff", "ls", "get", "merge-write", "itc"}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Run runs the crdtkit command line args (without the program name),
// reading input from stdin and writing results to stdout and diagnostics to
// stderr, and returns the exit status: [ExitOK], [ExitNegative] or
// [ExitUsage]. A nil stdin reads as empty.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(e, rest)
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "crdtkit: unknown command %q\nRun 'crdtkit help' for usage.\n", name)
		return ExitUsage
	}
	fs := c.flagSet()
	fs.SetOutput(io.Discard)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(stdout, fs)
			return ExitOK
		}
		fmt.Fprintf(stderr, "crdtkit %s: %v\n", c.name, err)
		c.usage(stderr, fs)
		return ExitUsage
	}
	err := c.run(e, fs, fs.Args())
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(stderr, "crdtkit %s: %s\n", c.name, strings.TrimPrefix(err.Error(), ErrUsage.Error()+": "))
		c.usage(stderr, fs)
		return ExitUsage
	case errors.Is(err, ErrNegative):
		// The command has reported its answer on stdout; the error only
		// sets the status.
		return ExitNegative
	default:
		fmt.Fprintf(stderr, "crdtkit %s: %v\n", c.name, err)
		return ExitNegative
	}
}

func (c *command) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.flags != nil {
		c.flags(fs)
	}
	return fs
}

func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: crdtkit %s %s\n\n%s\n", c.name, c.args, strings.TrimSpace(c.help))
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `crdtkit looks inside crdtkit payloads, stores and Interval Tree Clock stamps.

Usage:

	crdtkit <command> [arguments]

Commands:

`)
	for _, name := range helpOrder {
		if c := lookup(name); c != nil {
			fmt.Fprintf(w, "\t%-12s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprint(w, `
A FILE of "-" or no FILE where one is optional means standard input.
STORE is a store URL: bolt:PATH, dir:PATH, postgres://..., redis://...

Exit status: 0 success, 1 a negative answer (invalid, different) or an
error, 2 a usage error.

Run 'crdtkit help <command>' or 'crdtkit <command> -h' for a command's usage.
`)
}

func help(e *env, args []string) int {
	switch len(args) {
	case 0:
		usage(e.stdout)
		return ExitOK
	case 1:
		c := lookup(args[0])
		if c == nil {
			fmt.Fprintf(e.stderr, "crdtkit help: unknown command %q\nRun 'crdtkit help' for usage.\n", args[0])
			return ExitUsage
		}
		c.usage(e.stdout, c.flagSet())
		return ExitOK
	default:
		fmt.Fprintln(e.stderr, "usage: crdtkit help [command]")
		return ExitUsage
	}
}

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// input is one named input: a file, or standard input for "-".
type input struct {
	name string
	data []byte
}

// maxInput bounds what is read from one file or standard input; payloads
// themselves are bounded further by payload's limits.
const maxInput = 1 << 30

// readInput reads name, or standard input when name is "-" or empty.
func (e *env) readInput(name string) (input, error) {
	if name == "" || name == "-" {
		data, err := io.ReadAll(io.LimitReader(e.stdin, maxInput))
		if err != nil {
			return input{}, fmt.Errorf("reading standard input: %w", err)
		}
		return input{name: "<stdin>", data: data}, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return input{}, err // *fs.PathError names the file
	}
	return input{name: name, data: data}, nil
}

// boolFlag returns the value of the boolean flag name of fs.
func boolFlag(fs *flag.FlagSet, name string) bool {
	return fs.Lookup(name).Value.String() == "true"
}

// stringFlag returns the value of the flag name of fs.
func stringFlag(fs *flag.FlagSet, name string) string {
	return fs.Lookup(name).Value.String()
}
