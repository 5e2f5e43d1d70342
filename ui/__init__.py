"""The three doors to one ``NewsBot``: the Gradio web chat, the REST API and the embeddable widget."""
