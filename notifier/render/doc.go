// Package render turns a batch of alerts into one email to the NOC: a
// subject that counts the changes per new state and names the sites, and a
// text and an HTML body with one entry per alert, from templates compiled
// into the binary.
//
// What is true here: rendering is pure (alerts, addresses and a time zone
// in, an Email out) and cannot fail: a template error, which the golden
// tests in testdata rule out, still yields a readable body. Device error text is
// quoted verbatim in the text body, HTML-escaped in the HTML body, folded
// onto one line and bounded in length. Times are shown in UTC, and also in
// the NOC's zone when one is given.
//
// go test ./notifier/render -run TestGolden -update rewrites the golden
// files after an intended change of the output.
package render
