"""Loading articles, cutting them into chunks and keeping the chunk store (Chroma + BM25)."""
