"""The survey's pages: the counter tablet, the visitor's phone, the IKM report."""
