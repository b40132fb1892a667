"""The web app: a FastAPI REST API and the page that uses it (see propscope.server.app)."""
