"""The ISO 3166-1 alpha-2 country codes EasyPost accepts, as data: `alpha2.txt`.

One list for order validation (orders/geography.py) and the simulator's address check.
This package holds no code, so the simulator, which imports nothing else from shipctl,
reads the file with `importlib.resources` and both sides agree by construction. The file
is the codes separated by whitespace; XK (Kosovo) is user-assigned but carriers take it.
"""
