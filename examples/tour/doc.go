// Package tour holds the code of the README's tour of crdtkit as runnable
// examples, so that every snippet and every printed line in the README is
// checked by go test.
package tour
