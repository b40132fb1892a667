"""propscope inside other tools (optional extras): the spaCy pipeline component."""
