"""shipctl: bulk shipping labels from the command line."""

__version__ = "0.1.0"
