package proto

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	// minWindow is the shortest age and duplicate window of the jobs
	// stream, however short the interval.
	minWindow = 10 * time.Second
	// resultsMaxAge is how long results are kept for a notifier that was
	// down to catch up.
	resultsMaxAge = 24 * time.Hour
	// resultsDuplicates is the results stream's duplicate window, long
	// enough to cover a worker's publish retries.
	resultsDuplicates = 2 * time.Minute
)

// EnsureStreams creates the jobs and results streams, or updates them to the
// configuration for interval and replicas (EnsureStream on each).
func EnsureStreams(ctx context.Context, js jetstream.JetStream, interval time.Duration, replicas int) error {
	for _, name := range []string{StreamJobs, StreamResults} {
		if err := EnsureStream(ctx, js, name, interval, replicas); err != nil {
			return err
		}
	}
	return nil
}

// EnsureStream creates the stream name (StreamJobs or StreamResults), or
// updates it to the configuration for interval and replicas. Each stream
// has one keeper on the bus: the scheduler the jobs, the notifier the
// results (see Role). It is idempotent: its keeper calls it at start.
//
// The jobs stream is a work queue: a job is removed once a worker acks it,
// and kept no longer than one interval (at least 10 s), after which it is
// stale anyway. Its duplicate window is the interval, so schedulers running
// side by side that publish the same job id store it once. The results
// stream keeps results for a day under limits retention.
//
// A stream already as wanted is left alone: an update racing another
// service's consumer creation is needless work for the server (and trips a
// data race inside nats-server v2.15's file store). As wanted means also
// that nothing was added that would move messages elsewhere or drop them
// (republish, sources, a mirror, a subject transform, message limits):
// such a stream is put back as it should be.
func EnsureStream(ctx context.Context, js jetstream.JetStream, name string, interval time.Duration, replicas int) error {
	for _, cfg := range streamConfigs(interval, replicas) {
		if cfg.Name == name {
			if err := ensureStream(ctx, js, cfg); err != nil {
				return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
			}
			return nil
		}
	}
	return fmt.Errorf("ensure stream %s: not a linkwatch stream", name)
}

func ensureStream(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) error {
	stream, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, want)
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return err
		}
		// Another service created it first: compare with theirs.
		stream, err = js.Stream(ctx, want.Name)
	}
	if err != nil {
		return err
	}
	if asWanted(stream.CachedInfo().Config, want) {
		return nil
	}
	_, err = js.UpdateStream(ctx, want)
	return err
}

// asWanted reports whether have is the stream want describes, with nothing
// added that would copy its messages elsewhere, bring others in, or drop
// them early.
func asWanted(have, want jetstream.StreamConfig) bool {
	same := slices.Equal(have.Subjects, want.Subjects) && have.Retention == want.Retention && have.MaxAge == want.MaxAge &&
		have.Duplicates == want.Duplicates && have.Storage == want.Storage && have.Replicas == want.Replicas &&
		have.Discard == want.Discard
	added := have.RePublish != nil || have.Mirror != nil || len(have.Sources) > 0 || have.SubjectTransform != nil ||
		have.Sealed || have.NoAck || have.MaxMsgs > 0 || have.MaxBytes > 0 || have.MaxMsgsPerSubject > 0 ||
		have.MaxMsgSize > 0 || have.MaxConsumers > 0
	return same && !added
}

func streamConfigs(interval time.Duration, replicas int) []jetstream.StreamConfig {
	window := max(interval, minWindow)
	replicas = max(replicas, 1)
	return []jetstream.StreamConfig{
		{
			Name:        StreamJobs,
			Description: "linkwatch probe jobs, one work queue per site subject",
			Subjects:    []string{JobsAll},
			Retention:   jetstream.WorkQueuePolicy,
			MaxAge:      window,
			Duplicates:  window,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		},
		{
			Name:        StreamResults,
			Description: "linkwatch probe results",
			Subjects:    []string{ResultsAll},
			Retention:   jetstream.LimitsPolicy,
			MaxAge:      resultsMaxAge,
			Duplicates:  resultsDuplicates,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		},
	}
}
