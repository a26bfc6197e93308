"""Two releases of a tiny compute database, for the online walkthrough."""
