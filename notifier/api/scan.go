package api

import "context"

// Scan calls emit with every device status answers for fleet, by name —
// the stored ones and those of the inventory not stored yet, each judged
// stale or not as status judges it — until emit returns an error or the
// devices end. It reads the store a page at a time (storePage records),
// so its memory is one page whatever the fleet's size. The metrics of
// the links' states are made from it, so they and status cannot disagree.
func Scan(ctx context.Context, store Reader, fleet Fleet, emit func(DeviceStatus) error) error {
	j := judge{Fleet: fleet, decodeAll: true} // the links are read, not passed on
	var err error
	if j.sites, err = store.Sites(ctx); err != nil {
		return err
	}
	return j.scan(ctx, store, StatusRequest{}, func(d pageDevice) (bool, error) {
		if err := emit(d.DeviceStatus); err != nil {
			return false, err
		}
		return true, nil
	})
}
