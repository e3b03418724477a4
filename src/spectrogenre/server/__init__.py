"""The web server: the classification API and the phone app."""
