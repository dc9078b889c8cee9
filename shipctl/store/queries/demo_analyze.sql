-- demo seed: fresh statistics and visibility map, so the first report plans well and its
-- index-only scans stay index-only.
VACUUM (ANALYZE) shipments, trackers, tracking_events, refunds
