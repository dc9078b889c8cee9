-- A rerun (or another worker) takes run $1 up again: running, not finished.
UPDATE runs SET status = 'running', finished_at = NULL WHERE id = $1
