"""Which US state each 3-digit ZIP prefix belongs to, as data: `prefixes.txt`.

One table for order validation (orders/zip_prefixes.py) and the simulator's address check.
Like `shipctl.iso3166`, this package holds no code, so the simulator, which imports nothing
else from shipctl, reads the file with `importlib.resources` and both sides agree by
construction. Each line: first prefix, last prefix, state; `#` starts a comment.
"""
