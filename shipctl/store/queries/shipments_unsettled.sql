-- Orders of mode $1 whose buy may have gone through without shipctl learning it, for the
-- tracking sweep to settle: every `unknown` one (a buy sent, its answer lost), and `created`
-- ones of a run that is no dry run and never finished (a process killed or stopped while it
-- was buying), changed since $3. Only those last changed before $2: a live worker may be
-- buying one right now, and its own answer settles it.
SELECT s.* FROM shipments s
LEFT JOIN runs r ON r.id = s.run_id
WHERE s.mode = $1 AND s.superseded_at IS NULL AND s.easypost_shipment_id IS NOT NULL
  AND s.updated_at < $2
  AND (s.state = 'unknown'
       OR (s.state = 'created' AND s.updated_at >= $3
           AND r.status IN ('running', 'interrupted')
           AND NOT coalesce((r.options ->> 'dry_run')::boolean, false)))
ORDER BY s.id
