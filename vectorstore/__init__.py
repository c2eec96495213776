"""Vector store: embeddings, ClauseStore (Chroma + manifest) and BM25."""
