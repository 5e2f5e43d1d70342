"""Training the answer reader (needs torch; nothing on the answering path imports this package)."""


def emit(result: dict, out: str | None) -> None:
    """Print ``result`` as JSON, and write it to ``out`` when given."""
    import json
    from pathlib import Path

    text = json.dumps(result, indent=2)
    if out:
        Path(out).write_text(text + "\n")
    print(text)
