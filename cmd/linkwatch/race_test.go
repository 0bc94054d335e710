//go:build race

package main

// Under `go test -race` the end-to-end binary is built with the race
// detector too, so the services' processes are checked as well.
func init() { raceBuild = true }
