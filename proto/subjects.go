package proto

import "fmt"

// Subject, stream and consumer names: the one place the services agree on
// where they meet. Every token that comes from configuration is checked with
// ValidName, so a site or device name can never widen a subject with '.',
// '*' or '>'.
const (
	// JobsAll matches every job subject; it is the jobs stream's subject.
	JobsAll = "linkwatch.jobs.>"
	// ResultsAll matches every result subject; it is the results stream's
	// subject.
	ResultsAll = "linkwatch.results.>"
	// StreamJobs is the work-queue stream that holds ProbeJobs.
	StreamJobs = "LINKWATCH_JOBS"
	// StreamResults is the stream that holds ProbeResults.
	StreamResults = "LINKWATCH_RESULTS"
	// NotifierConsumer is the durable consumer of the results stream that
	// the notifier instances share.
	NotifierConsumer = "notifier"
	// APIPrefix is the subject prefix of the notifier's status and history
	// request-reply service.
	APIPrefix = "linkwatch.api"
	// LeaseBucket is the key-value bucket of leases: the notifier replica
	// holding key MailerLease is the only one that sends email.
	LeaseBucket = "linkwatch_leases"
	MailerLease = "mailer"
	// MailerWake is the subject a notifier publishes on (an empty core
	// NATS message) after a commit that queued alerts, so that the
	// notifier holding the mailer lease sends them at once. Only the
	// notifier role may publish or subscribe to it.
	MailerWake = "linkwatch.mailer.wake"

	jobsPrefix    = "linkwatch.jobs."
	resultsPrefix = "linkwatch.results."
	workerPrefix  = "worker-"
	leafPrefix    = "leaf-"
)

// JobSubject returns the subject the scheduler publishes a site's jobs on:
// linkwatch.jobs.<site>.
func JobSubject(site string) (string, error) {
	if err := ValidName(site); err != nil {
		return "", fmt.Errorf("job subject: site %w", err)
	}
	return jobsPrefix + site, nil
}

// ResultSubject returns the subject a worker publishes a device's results
// on: linkwatch.results.<site>.<device>.
func ResultSubject(site, device string) (string, error) {
	if err := ValidName(site); err != nil {
		return "", fmt.Errorf("result subject: site %w", err)
	}
	if err := ValidName(device); err != nil {
		return "", fmt.Errorf("result subject: device %w", err)
	}
	return resultsPrefix + site + "." + device, nil
}

// WorkerConsumer returns the name of the durable pull consumer that all
// workers of a site share, filtered on JobSubject(site). The jobs stream is
// a work queue, which admits one consumer per subject filter: one per site.
func WorkerConsumer(site string) (string, error) {
	if err := ValidName(site); err != nil {
		return "", fmt.Errorf("worker consumer: site %w", err)
	}
	return workerPrefix + site, nil
}

// JobID returns the id of a device's job for one interval slot,
// "<device>@<slot>". It is also the job's JetStream message id, so the same
// job published twice within the duplicate window is stored once.
func JobID(device string, slot int64) string {
	return fmt.Sprintf("%s@%d", device, slot)
}

// sessionPrefix starts the subjects a site's workers forward jobs on to the
// worker holding a device's persistent session.
const sessionPrefix = "linkwatch.session."

// SessionSubject is where the worker token of site takes jobs forwarded to
// its persistent sessions, and where its replies come back:
// linkwatch.session.<site>.<token>. Only the site's workers may publish or
// subscribe under linkwatch.session.<site>.
func SessionSubject(site, token string) (string, error) {
	if err := ValidName(site); err != nil {
		return "", fmt.Errorf("session subject: site %w", err)
	}
	if err := ValidName(token); err != nil {
		return "", fmt.Errorf("session subject: worker token %w", err)
	}
	return sessionPrefix + site + "." + token, nil
}

// SessionSubjects matches every session subject of site, and nothing of
// another site: linkwatch.session.<site>.>.
func SessionSubjects(site string) (string, error) {
	if err := ValidName(site); err != nil {
		return "", fmt.Errorf("session subjects: site %w", err)
	}
	return sessionPrefix + site + ".>", nil
}
