DELETE FROM carrier_pace_workers WHERE account = $1 AND mode = $2 AND worker = $3
