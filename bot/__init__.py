"""Retrieval, answering, evaluation and the command line of newsbot."""
