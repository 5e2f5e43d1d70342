"""Training the answer reader (needs torch; nothing on the answering path imports this package)."""
