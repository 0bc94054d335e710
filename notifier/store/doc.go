// Package store implements state.Store twice: Redis, shared by every
// notifier replica of a distributed deployment, and Embedded (bbolt), one
// file under data_dir for the all-in-one `linkwatch run`. Both pass the one
// conformance suite in storetest.
package store
